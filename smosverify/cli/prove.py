"""`smosverify prove SYSTEM`: emit the Lean instance and have `lake build` check each theorem."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from smosverify.cli.common import EXIT_ENVIRONMENT, EXIT_HOLDS, EXIT_VIOLATED, exits_cleanly
from smosverify.emit.lean import lean_module
from smosverify.lean_runner import INSTALL, NO_TOOLCHAIN, ProveResult, prove
from smosverify.load.system import load_system


@click.command("prove")
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("--project", type=click.Path(file_okay=False, path_type=Path),
              help="The Lake project to build in (default: lean/ of the source tree).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@exits_cleanly
def prove_command(system: str, project: Path | None, fmt: str) -> None:
    """Check SYSTEM's theorems with Lean: proved, failed (with Lean's message) or skipped.

    Exit 0 every claimed theorem proved, 1 one failed, 3 no Lean toolchain (nothing checked)."""
    result = prove(lean_module(load_system(system)), project)
    click.echo(_json(result) if fmt == "json" else _text(result), nl=False)
    sys.exit(EXIT_ENVIRONMENT if not result.ran else EXIT_VIOLATED if result.failed else EXIT_HOLDS)


def _text(result: ProveResult) -> str:
    head = "lake build ran" if result.ran else f"Lean was NOT run: {NO_TOOLCHAIN}; {INSTALL}"
    lines = [f"Instances.{result.module}: {head}"]
    lines += [f"  {o.property} {o.theorem}: {o.status}: {o.message}" for o in result.outcomes]
    return "\n".join(lines) + "\n"


def _json(result: ProveResult) -> str:
    return json.dumps({
        "module": f"Instances.{result.module}", "lean_ran": result.ran,
        "theorems": [{"property": o.property, "theorem": o.theorem, "status": o.status, "message": o.message}
                     for o in result.outcomes],
    }, indent=2) + "\n"
