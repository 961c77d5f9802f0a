"""`smosverify prove SYSTEM`: emit the Lean instance and have Lean check each theorem, saying which
Lean checked it (version, commit), how it ran and for how long."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from smosverify.cli.common import EXIT_ENVIRONMENT, EXIT_HOLDS, EXIT_VIOLATED, exits_cleanly
from smosverify.emit.lean import lean_module
from smosverify.lean_runner import INSTALL, NO_TOOLCHAIN, ProveResult, prove
from smosverify.lean_toolchain import LAKE
from smosverify.load.system import load_system


@click.command("prove")
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("--project", type=click.Path(file_okay=False, path_type=Path),
              help="The Lake project to build in (default: lean/ of the source tree).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="With the npm Lean: check the instance in stages of modules, this many processes at a "
                   "time (for large systems: about 1,000 components and more; see docs/lean.md).")
@exits_cleanly
def prove_command(system: str, project: Path | None, fmt: str, jobs: int) -> None:
    """Check SYSTEM's theorems with Lean (lake, else the Lean of `smosverify lean install`):
    proved, failed (with Lean's message), stopped (time or memory, or Lean dead of its own limits)
    or skipped.

    Exit 0 every claimed theorem proved, 1 one failed or was not finished, 3 no Lean toolchain
    (nothing checked)."""
    result = prove(lean_module(load_system(system)), project, jobs=jobs)
    if jobs > 1 and result.run is not None and result.run.lean.kind == LAKE:
        click.echo("note: --jobs applies to the npm Lean; lake built the instance as one module", err=True)
    click.echo(_json(result) if fmt == "json" else _text(result), nl=False)
    if not result.ran:
        sys.exit(EXIT_ENVIRONMENT)
    sys.exit(EXIT_VIOLATED if result.failed or result.stopped else EXIT_HOLDS)


def _text(result: ProveResult) -> str:
    if result.run is None:
        head = f"Lean was NOT run: {NO_TOOLCHAIN}; {INSTALL}"
    else:
        head = f"{result.run.summary}\n  Lean: {result.run.lean.version}, run as {result.run.lean.how}"
    lines = [f"Instances.{result.module}: {head}"]
    lines += [f"  {o.property} {o.theorem}: {o.status}: {o.message}" for o in result.outcomes]
    return "\n".join(lines) + "\n"


def _json(result: ProveResult) -> str:
    return json.dumps({
        "module": f"Instances.{result.module}", "lean_ran": result.ran,
        "lean": None if result.run is None else {
            "kind": result.run.lean.kind, "version": result.run.lean.version, "program": str(result.run.lean.program),
            "seconds": round(result.run.seconds, 1), "peak_bytes": result.run.peak_bytes,
            "stopped": None if result.run.finished else result.run.failure()},
        "theorems": [{"property": o.property, "theorem": o.theorem, "status": o.status, "message": o.message}
                     for o in result.outcomes],
    }, indent=2) + "\n"
