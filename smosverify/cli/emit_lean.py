"""`smosverify emit lean SYSTEM -o FILE.lean`: write the system's Lean instance module."""

from __future__ import annotations

import click

from smosverify.cli.common import Output, exits_cleanly, system_options, write_output
from smosverify.emit.lean import lean_module
from smosverify.load.any import SdfOptions, load_any


@click.command("lean")
@click.argument("system", type=click.Path(dir_okay=False))
@system_options
@click.option("-o", "--output", required=True,
              type=Output(directory=False, example="in the Lake project lean/: lean/Instances/<Module>.lean"),
              help="The module file; in a Lake project, Instances/<Module>.lean (the module is Instances.<Module>).")
@exits_cleanly
def emit_lean(system: str, sdf: SdfOptions, output: str) -> None:
    """Write SYSTEM as a Lean instance module: its data, the analyses' certificates, and one
    theorem per property that holds (docs/lean.md). Lean itself is not run: see `prove`."""
    module = lean_module(load_any(system, sdf))
    write_output(output, module.text, f"the Lean module Instances.{module.name} (expected at {module.path} in a Lake project)")
    click.echo("Lean was not run (`smosverify prove` runs it)")
    for claim in module.claims:
        click.echo(f"  {claim.property} {claim.theorem}: {'claimed' if claim.claimed else 'not claimed: ' + claim.reason}")
