"""`smosverify image build|boot|conform`: run a capDL spec on seL4 in QEMU and check the kernel."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smosverify.cli.common import FORMATS, Output, exits_cleanly, say_wrote, system_options
from smosverify.errors import InputError, Span
from smosverify.image.targets import TARGETS
from smosverify.load.any import SdfOptions
from smosverify.model.system import System


def _say(message: str) -> None:
    click.echo(f"smosverify: {message}", err=True)


@click.group()
def image() -> None:
    """Build an seL4 image for a system or capDL spec, boot it in QEMU, check what the kernel holds."""


@image.command()
@click.argument("system_or_spec", type=click.Path(dir_okay=False))
@system_options
@click.option("--sel4", type=click.Path(file_okay=False), help="seL4 workspace (default: $SMOSVERIFY_SEL4).")
@click.option("--arch", type=click.Choice(sorted(TARGETS)),
              help="Target (default: the system's arch, or the spec's `arch` line); a system is emitted for it.")
@click.option("-o", "--output", "out", type=Output(directory=True), required=True, help="Build folder (reused).")
@click.option("--programs", is_flag=True,
              help="Also generate the system's SMOS programs (policy server, object servers, clients) into "
                   "BUILD/programs/, build them and load them into the image: they run at boot (docs/programs.md).")
@exits_cleanly
def build(system_or_spec: str, sdf: SdfOptions, sel4: str | None, arch: str | None, out: str, programs: bool) -> None:
    """Build the kernel and the capDL loader image for SYSTEM_OR_SPEC into the build folder."""
    from smosverify.image.build import build_image
    from smosverify.image.program_image import build_program_image
    from smosverify.image.programs import generate_programs
    from smosverify.image.run import spec_source, system_source
    from smosverify.image.workspace import find_workspace

    if programs:
        source = system_source(_system(system_or_spec, sdf, "--programs"), arch, _say)
        generated = generate_programs(source.system)  # a system they cannot be made for is bad input first
        result = build_program_image(source.system, find_workspace(sel4), Path(out), generated, _say).result
        what = f"the {result.target.platform} image with the SMOS programs (their C in {Path(out) / 'programs'})"
    else:
        source = spec_source(system_or_spec, arch, _say, sdf)
        result = build_image(source.text, source.file, find_workspace(sel4), source.arch, Path(out), _say)
        what = f"the {result.target.platform} image"
    how = "configured and built" if result.configured else "rebuilt"
    say_wrote(f"{what} ({how} in {result.seconds:.1f} s)", result.out)


def _system(path: str, sdf: SdfOptions, option: str) -> System:
    from smosverify.load.any import load_any

    if path.endswith(".cdl"):
        raise InputError(f"{option} works from a system's model and policy; a capDL spec has neither", Span(path, 1, 1))
    return load_any(path, sdf)


@image.command()
@click.argument("build_dir", type=click.Path(file_okay=False))
@click.option("-o", "--output", "log", type=Output(directory=False), required=True, help="Serial log to write.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds before giving up.")
@exits_cleanly
def boot(build_dir: str, log: str, timeout: float) -> None:
    """Boot the image in BUILD_DIR headless in QEMU until the loader is done; keep the serial log."""
    from smosverify.image.boot import boot_image

    result = boot_image(Path(build_dir), Path(log), timeout)
    say_wrote(f"the serial log (booted and read back in {result.seconds:.1f} s)", result.log)


@image.command()
@click.argument("system_or_spec", type=click.Path(dir_okay=False))
@click.argument("boot_log", type=click.Path(dir_okay=False))
@system_options
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Report format.")
@click.option("--sel4", type=click.Path(file_okay=False), help="seL4 workspace, to find capDL-tool.")
@click.option("--behaviour", is_flag=True,
              help="Check what the generated programs did instead (decisions, mediation, outcomes; docs/programs.md).")
@click.option("--spec", "built", type=click.Path(dir_okay=False),
              help="The spec the image was built from (BUILD/spec.cdl), for a system built with --programs.")
@exits_cleanly
def conform(system_or_spec: str, boot_log: str, sdf: SdfOptions, fmt: str, sel4: str | None, behaviour: bool,
            built: str | None) -> None:
    """Check that what the kernel holds in BOOT_LOG is what SYSTEM_OR_SPEC says, and for a system that
    the kernel's authority is within the model's; with --behaviour, that the system's generated
    programs decided and acted as its policy and model say (exit 0/1/2/3)."""
    from smosverify.image.run import conform_log
    from smosverify.report import render

    if behaviour:
        report = _behaviour(system_or_spec, boot_log, sdf)
    else:
        report = conform_log(system_or_spec, boot_log, sel4, _say, sdf, built)
    click.echo(render(report, fmt), nl=False)
    sys.exit(report.exit_code())


def _behaviour(path: str, boot_log: str, sdf: SdfOptions):
    from smosverify.image.behaviour import conform_behaviour, read_behaviour_log

    return conform_behaviour(_system(path, sdf, "--behaviour"), read_behaviour_log(boot_log))
