"""`smosverify emit yaml SYSTEM -o FILE`: the system in the canonical YAML form."""

from __future__ import annotations

from pathlib import Path

import click

from smosverify.cli.common import Output, exits_cleanly, system_options, write_output
from smosverify.emit.system_yaml import system_to_yaml
from smosverify.errors import InputError
from smosverify.load.any import SdfOptions, load_any


@click.command("yaml")
@click.argument("system", type=click.Path())
@system_options
@click.option("-o", "--output", required=True, type=Output(directory=False, example="e.g. DIR/system.yaml"),
              help="The YAML file to write.")
@exits_cleanly
def emit_yaml(system: str, sdf: SdfOptions, output: str) -> None:
    """Write SYSTEM as a YAML system description with every default spelled out; an SDF is
    named by `sdf:` with every element's label written out (docs/microkit.md)."""
    model = load_any(system, sdf)
    unwritable = [o for o in sdf.given() if o not in ("--policy", "--labels", "--default-sid")]
    if unwritable:  # the written file would be read with Microkit's defaults, and maybe refused
        raise InputError(f"{system}: a YAML system has no place for {', '.join(unwritable)}; keep the SDF and "
                         "pass them to each command instead")
    write_output(output, system_to_yaml(model, Path(output)), f"the YAML system {model.name}")
