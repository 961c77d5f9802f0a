"""`smosverify diff OLD NEW`: what a policy or system change permits, forbids and leaks (docs/diff.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from smosverify.cli.common import EXIT_HOLDS, EXIT_VIOLATED, Output, exits_cleanly, print_or_write, system_options
from smosverify.errors import InputError
from smosverify.load.any import SdfOptions, is_sdf, load_any

AREAS = {
    "flow-policy": "Flow policy", "relabel": "Labels", "trust": "Trust declarations", "budget": "Budgets",
    "capacity": "Capacities", "realised-flow": "Flows the system realises", "P5": "Information flow (P5)",
    "P6": "Leakage (P6)",
}


def _kind(path: str) -> str:
    suffix = Path(path).suffix
    if suffix in (".yaml", ".yml") or is_sdf(path):
        return "system"
    if suffix == ".pol":
        return "policy"
    raise InputError(f"'{path}': expected a system file (.yaml, .yml, or a Microkit SDF .system, .xml) or a policy file (.pol)")


@click.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@system_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=Output(directory=False), help="Write the report here instead of stdout.")
@exits_cleanly
def diff(old: str, new: str, sdf: SdfOptions, fmt: str, output: str | None) -> None:
    """Compare two policies (.pol) or two systems (YAML, or Microkit SDFs with --policy, which
    binds whichever of OLD and NEW is an SDF): exit 0 when NEW permits nothing OLD did not, 1 when
    it does, 2 on bad input."""
    from smosverify.analyses.policy.diff import diff_policies, diff_systems
    from smosverify.load.policy import load_policy

    if sdf.given() and not (is_sdf(old) or is_sdf(new)):
        raise sdf.go_with_an_sdf("neither OLD nor NEW is an SDF")

    kinds = {_kind(old), _kind(new)}
    if len(kinds) > 1:
        raise InputError(f"cannot compare a {_kind(old)} file with a {_kind(new)} file: give two policies or two systems")
    if kinds == {"policy"}:
        result = diff_policies(load_policy([(Path(old), None)]), load_policy([(Path(new), None)]))
    else:
        result = diff_systems(*(load_any(p, sdf if is_sdf(p) else SdfOptions()) for p in (old, new)))
    text = json.dumps(to_json(result), indent=2, ensure_ascii=False) if fmt == "json" else to_text(result)
    print_or_write(text + "\n", output, "the comparison")
    sys.exit(EXIT_VIOLATED if result.wider else EXIT_HOLDS)


def summary(d) -> str:
    wider = sum(c.wider for c in d.changes)
    parts = [f"{d.newly_permitted} request(s) newly permitted", f"{d.newly_denied} newly denied",
             f"{len(d.changes)} other change(s), {wider} of them wider"]
    verdict = "NEW is wider than OLD" if d.wider else "NEW permits nothing OLD did not"
    return f"{verdict}: {', '.join(parts)}"


def to_text(d) -> str:
    lines = [f"old: {', '.join(d.old_files)}", f"new: {', '.join(d.new_files)}", ""]
    for permitted, title in ((True, "Decisions newly permitted"), (False, "Decisions newly denied")):
        groups = [g for g in d.decisions if g.permitted == permitted]
        if groups:
            lines.append(f"{title} ({sum(g.requests() for g in groups)} request(s)):")
            for g in groups:
                lines.append(f"  {'+' if permitted else '-'} {' '.join(g.subjects)} -> {g.obj} : {g.cls} {{ {' '.join(g.ops)} }}")
                lines.append(f"      {'by ' if permitted else ''}{g.because}")
    for area, title in AREAS.items():
        changes = [c for c in d.changes if c.area == area]
        if changes:
            lines.append(f"{title}:")
            lines += [f"  {'~' if c.neutral else '+' if c.wider else '-'} {c.text}" for c in changes]
    agreement = "agrees" if d.z3_agrees else "DISAGREES with the enumeration: please report this bug"
    lines += [f"Z3, asked whether NEW permits a request OLD does not: {d.z3_wider} ({agreement})", "", summary(d)]
    return "\n".join(lines)


def to_json(d) -> dict:
    return {
        "kind": d.kind,
        "old": list(d.old_files),
        "new": list(d.new_files),
        "wider": d.wider,
        "summary": summary(d),
        "decisions": [
            {"change": "permitted" if g.permitted else "denied", "subjects": list(g.subjects), "object": g.obj,
             "class": g.cls, "operations": list(g.ops), "because": g.because}
            for g in d.decisions
        ],
        "changes": [{"area": c.area, "change": c.text, "wider": c.wider, "neutral": c.neutral} for c in d.changes],
        "z3": {"wider": d.z3_wider, "agrees": d.z3_agrees},
    }
