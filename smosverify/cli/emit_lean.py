"""`smosverify emit lean SYSTEM -o DIR`: write the system's Lean instance module."""

from __future__ import annotations

import click

from smosverify.cli.common import exits_cleanly
from smosverify.emit.lean import lean_module, write_lean_module
from smosverify.errors import InputError
from smosverify.load.system import load_system


@click.command("lean")
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="The Lake project (or any directory): the module goes to DIR/Instances/<Module>.lean.")
@exits_cleanly
def emit_lean(system: str, out_dir: str) -> None:
    """Write SYSTEM as a Lean instance module: its data, the analyses' certificates, and one
    theorem per property that holds (docs/lean.md). Lean itself is not run: see `prove`."""
    module = lean_module(load_system(system))
    try:
        path = write_lean_module(module, out_dir)
    except OSError as err:
        raise InputError(f"cannot write the Lean module under '{out_dir}': {err.strerror}") from None
    click.echo(f"wrote {path} (module Instances.{module.name}); Lean was not run")
    for claim in module.claims:
        click.echo(f"  {claim.property} {claim.theorem}: {'claimed' if claim.claimed else 'not claimed: ' + claim.reason}")
