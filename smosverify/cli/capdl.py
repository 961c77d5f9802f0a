"""capDL commands: `capdl inspect SPEC`, `conform SYSTEM SPEC`, and `emit capdl SYSTEM -o DIR`."""

from __future__ import annotations

import sys

import click

from smosverify.cli.common import FORMATS, exits_cleanly


@click.group()
def capdl() -> None:
    """Read capDL specs (the syntax of seL4's capDL-tool)."""


@capdl.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@exits_cleanly
def inspect(spec: str, fmt: str) -> None:
    """Summarise SPEC: objects and caps by type, and the authority of each thread, closed under
    seL4's transfer rules (exit 0, or 2 when SPEC is not valid capDL)."""
    from smosverify.analyses.capdl_authority import spec_authority
    from smosverify.load.capdl import load_capdl
    from smosverify.report.capdl_inspect import inspect_summary, render_inspect

    parsed = load_capdl(spec)
    click.echo(render_inspect(inspect_summary(parsed, spec_authority(parsed)), fmt), nl=False)


@click.command()
@click.argument("system", type=click.Path(dir_okay=True))
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--map", "map_file", type=click.Path(dir_okay=False),
              help="YAML file saying which capDL objects stand for which model elements (docs/capdl.md).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@exits_cleanly
def conform(system: str, spec: str, map_file: str | None, fmt: str, output: str | None) -> None:
    """Check that capDL SPEC refines SYSTEM's model: no authority beyond the model's, every cap the
    model needs present (exit 0 conforms, 1 does not, 2 bad input)."""
    from smosverify.analyses.conformance_capdl import conform_capdl
    from smosverify.load.capdl import load_capdl
    from smosverify.load.capdl_map import load_capdl_map
    from smosverify.load.system import load_system
    from smosverify.report import render

    model = load_system(system)
    parsed = load_capdl(spec)
    mapping = load_capdl_map(map_file, model) if map_file else None
    report = conform_capdl(model, parsed, mapping)
    text = render(report, fmt)
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        click.echo(text, nl=False)
    sys.exit(report.exit_code())


@click.command(name="capdl")
@click.argument("system", type=click.Path(dir_okay=True))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Directory to write SYSTEM_NAME.cdl into.")
@exits_cleanly
def emit_capdl_command(system: str, out_dir: str) -> None:
    """Write SYSTEM as a capDL spec capDL-tool accepts (deterministic; names follow the model)."""
    from smosverify.emit.capdl import write_capdl
    from smosverify.load.system import load_system

    click.echo(str(write_capdl(load_system(system), out_dir)))
