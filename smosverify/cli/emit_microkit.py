"""`smosverify emit microkit SYSTEM -o OUT.system [--labels-out LABELS]`: the system as an SDF."""

from __future__ import annotations

import click

from smosverify.cli.common import Output, exits_cleanly, system_options, write_output
from smosverify.emit.microkit import labels_yaml, render_sdf
from smosverify.emit.microkit_layout import layout_of
from smosverify.load.any import SdfOptions, load_any


@click.command("microkit")
@click.argument("system", type=click.Path(dir_okay=False))
@system_options
@click.option("-o", "--output", required=True, type=Output(directory=False, example="e.g. DIR/SYSTEM.system"),
              help="The SDF to write.")
@click.option("--labels-out", type=Output(directory=False), help="Also write the labels that bind the SDF to the model's sids.")
@exits_cleanly
def microkit(system: str, sdf: SdfOptions, output: str, labels_out: str | None) -> None:
    """Write SYSTEM as a Microkit system description, built with sdfgen (docs/microkit.md).

    Reading the SDF back with the labels from --labels-out gives the same model."""
    model = load_any(system, sdf)
    layout, notes = layout_of(model)
    write_output(output, render_sdf(layout, model.arch), f"the SDF of {model.name}")
    if labels_out:
        write_output(labels_out, labels_yaml(model, layout), f"the labels of {model.name}'s SDF")
    for note in notes:
        click.echo(f"note: {note}", err=True)
