"""`smosverify emit yaml SYSTEM -o FILE`: the system in the canonical YAML form."""

from __future__ import annotations

from pathlib import Path

import click

from smosverify.cli.common import exits_cleanly
from smosverify.emit.system_yaml import system_to_yaml
from smosverify.errors import InputError
from smosverify.load.system import load_system


@click.command("yaml")
@click.argument("system", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The YAML file to write.")
@exits_cleanly
def emit_yaml(system: str, output: str) -> None:
    """Write SYSTEM as a YAML system description with every default spelled out."""
    text = system_to_yaml(load_system(system), Path(output))
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write '{output}': {err.strerror}") from None
    click.echo(f"wrote {output}")
