"""capDL commands: `capdl inspect SPEC`, `conform SYSTEM SPEC`, and `emit capdl SYSTEM -o FILE`."""

from __future__ import annotations

import sys

import click

from smosverify.cli.common import FORMATS, Output, exits_cleanly, print_or_write, system_options, write_output
from smosverify.load.any import SdfOptions, load_any


@click.group()
def capdl() -> None:
    """Read capDL specs (the syntax of seL4's capDL-tool)."""


@capdl.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--arch", type=click.Choice(["aarch64", "x86_64", "riscv"]),
              help="The architecture of a JSON spec, where nothing in it shows which.")
@click.option("--thread", help="List this thread's authority edge by edge instead (rights obtained through transfers marked).")
@exits_cleanly
def inspect(spec: str, fmt: str, arch: str | None, thread: str | None) -> None:
    """Summarise SPEC (capDL text, or JSON as Microkit's --capdl-json writes it): objects and caps by
    type, and the authority of the threads, closed under seL4's transfer rules, once per class of
    threads whose CSpaces merge (exit 0, or 2 when SPEC is not a valid spec)."""
    from smosverify.analyses.capdl.authority import spec_authority
    from smosverify.load.capdl.reader import load_capdl
    from smosverify.report.capdl_inspect import inspect_summary, render_inspect, render_thread, thread_authority

    parsed = load_capdl(spec, arch)
    authority = spec_authority(parsed)
    if thread is None:
        click.echo(render_inspect(inspect_summary(parsed, authority), fmt), nl=False)
        return
    if thread not in authority.roots:
        known = ", ".join(authority.threads[:10]) + (", ..." if len(authority.threads) > 10 else "")
        raise click.BadParameter(f"no thread (TCB) {thread!r} in {spec} (its threads: {known or 'none'})", param_hint="'--thread'")
    click.echo(render_thread(thread_authority(parsed, authority, thread), fmt), nl=False)


@click.command()
@click.argument("system", type=click.Path(dir_okay=True))
@click.argument("spec", type=click.Path(dir_okay=False))
@system_options
@click.option("--map", "map_file", type=click.Path(dir_okay=False),
              help="YAML file saying which capDL objects stand for which model elements (docs/capdl.md).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=Output(directory=False), help="Write the report here instead of stdout.")
@exits_cleanly
def conform(system: str, spec: str, sdf: SdfOptions, map_file: str | None, fmt: str, output: str | None) -> None:
    """Check that capDL SPEC refines SYSTEM's model: no authority beyond the model's, every cap the
    model needs present (exit 0 conforms, 1 does not, 2 bad input)."""
    from smosverify.analyses.capdl.conformance import conform_capdl
    from smosverify.load.capdl.reader import load_capdl
    from smosverify.load.capdl.mapping import load_capdl_map
    from smosverify.model.capdl import ARCH_OF_SYSTEM
    from smosverify.report import render

    model = load_any(system, sdf)
    parsed = load_capdl(spec, ARCH_OF_SYSTEM.get(model.arch))  # a JSON spec is for the system's arch
    mapping = load_capdl_map(map_file, model) if map_file else None
    report = conform_capdl(model, parsed, mapping)
    print_or_write(render(report, fmt), output, "the report")
    sys.exit(report.exit_code())


@click.command(name="capdl")
@click.argument("system", type=click.Path(dir_okay=True))
@system_options
@click.option("-o", "--output", type=Output(directory=False, example="e.g. DIR/SYSTEM.cdl"), required=True,
              help="The capDL spec to write.")
@exits_cleanly
def emit_capdl_command(system: str, sdf: SdfOptions, output: str) -> None:
    """Write SYSTEM as a capDL spec capDL-tool accepts (deterministic; names follow the model)."""
    from smosverify.emit.capdl import emit_capdl

    model = load_any(system, sdf)
    write_output(output, emit_capdl(model), f"the capDL spec of {model.name} ({model.arch})")
