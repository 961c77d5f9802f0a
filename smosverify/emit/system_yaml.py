"""Write a model back as a YAML system description, in the canonical form of docs/system-format.md.

Loading the written file gives the same model (the round-trip test checks every example); defaults
are written out (badges, sizes), so the file says everything the model holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from smosverify.model.kernel import Right
from smosverify.model.system import System

RIGHT_ORDER = {r: i for i, r in enumerate(Right)}


def _scalar(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text[: -len("...")].strip() if text.endswith("...") else text


def _rights(rights) -> str:
    return "[" + ", ".join(r.value for r in sorted(rights, key=RIGHT_ORDER.__getitem__)) + "]"


def _flow(pairs: list[tuple[str, str]]) -> str:
    """A flow mapping from already-rendered values."""
    return "{" + ", ".join(f"{_scalar(k)}: {v}" for k, v in pairs) + "}"


def _relative(file: str | Path, base: Path) -> str:
    return Path(os.path.relpath(Path(file).resolve(), base)).as_posix()


def _sdf_lines(system: System, base: Path) -> list[str]:
    """A system read from an SDF: the SDF named by `sdf:`, and labels binding each of its elements
    by name (its layout, addresses and priorities have no place in the YAML format)."""
    from smosverify.emit.microkit import labels_body  # sdfgen is loaded only for SDF systems

    labels = labels_body(system, system.microkit).splitlines()
    return [f"sdf: {_scalar(_relative(system.microkit.span.file, base))}", "labels:", *(f"  {line}" for line in labels)]


def system_to_yaml(system: System, out: Path) -> str:
    """The system as YAML text for a file at `out` (file paths are written relative to it)."""
    base = out.resolve().parent
    roots = [_relative(f, base) for f in system.policy.roots]
    policy = f"policy: {_scalar(roots[0])}" if len(roots) == 1 else "policy: [" + ", ".join(map(_scalar, roots)) + "]"
    if system.microkit is not None:  # the arch goes in the labels
        return "\n".join([f"system: {_scalar(system.name)}", policy, *_sdf_lines(system, base)]) + "\n"
    lines = [f"system: {_scalar(system.name)}", f"arch: {system.arch}", policy]
    lines.append("components:")
    for c in system.components.values():
        lines.append(f"  {_scalar(c.name)}:")
        lines.append(f"    sid: {_scalar(c.sid)}")
        lines.append(f"    role: {c.role.value}")
        if c.objects:
            lines.append("    objects:")
            for o in c.objects:
                lines.append(f"      {_scalar(o.name)}: {_flow([('class', _scalar(o.cls)), ('sid', _scalar(o.sid))])}")
        if c.caps:
            lines.append("    caps:")
            for cap in c.caps:
                pairs = [("to", _scalar(str(cap.target))), ("rights", _rights(cap.rights))]
                if cap.badge:
                    pairs.append(("badge", str(cap.badge)))
                lines.append(f"      - {_flow(pairs)}")
        if c.keeps is not None:
            lines.append("    keeps: [" + ", ".join(_scalar(str(t)) for t in c.keeps) + "]")
    if system.connections:
        lines.append("connections:")
        for conn in system.connections:
            pairs = [("from", _scalar(conn.client)), ("to", _scalar(conn.server)), ("rights", _rights(conn.rights)), ("badge", str(conn.badge))]
            if conn.capacity is not None:
                pairs.append(("capacity", str(conn.capacity)))
            lines.append(f"  - {_flow(pairs)}")
    if system.regions:
        lines.append("regions:")
        for r in system.regions.values():
            maps = _flow([(m.component, _rights(m.rights)) for m in r.maps])
            pairs = [("sid", _scalar(r.sid)), ("size", str(r.size)), ("map", maps)]
            if r.capacity is not None:
                pairs.append(("capacity", str(r.capacity)))
            lines.append(f"  {_scalar(r.name)}: {_flow(pairs)}")
    if system.notifications:
        lines.append("notifications:")
        for n in system.notifications.values():
            ends = lambda items: "[" + ", ".join(_scalar(who) for who, _ in items) + "]"  # noqa: E731
            pairs = [("sid", _scalar(n.sid)), ("signal", ends(n.signallers)), ("wait", ends(n.waiters))]
            if n.capacity is not None:
                pairs.append(("capacity", str(n.capacity)))
            lines.append(f"  {_scalar(n.name)}: {_flow(pairs)}")
    if system.untyped:
        lines.append("untyped:")
        for u in system.untyped.values():
            covers = "[" + ", ".join(_scalar(str(t)) for t in u.covers) + "]"
            lines.append(f"  {_scalar(u.name)}: {_flow([('sid', _scalar(u.sid)), ('covers', covers)])}")
    return "\n".join(lines) + "\n"
