"""`smosverify emit microkit SYSTEM -o OUT.system [--labels-out LABELS]`: the system as an SDF."""

from __future__ import annotations

import click

from smosverify.cli.common import exits_cleanly, system_options
from smosverify.emit.microkit import labels_yaml, render_sdf
from smosverify.emit.microkit_layout import layout_of
from smosverify.errors import InputError
from smosverify.load.any import SdfOptions, load_any


@click.command("microkit")
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Write the SDF here.")
@click.option("--labels-out", type=click.Path(dir_okay=False), help="Also write the labels that bind the SDF to the model's sids.")
@system_options
@exits_cleanly
def microkit(system: str, output: str, labels_out: str | None, sdf: SdfOptions) -> None:
    """Write SYSTEM as a Microkit system description, built with sdfgen (docs/microkit.md).

    Reading the SDF back with the labels from --labels-out gives the same model."""
    model = load_any(system, sdf)
    layout, notes = layout_of(model)
    _write(output, render_sdf(layout, model.arch))
    if labels_out:
        _write(labels_out, labels_yaml(model, layout))
    for note in notes:
        click.echo(f"note: {note}", err=True)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise InputError(f"cannot write '{path}': {err.strerror}") from None
