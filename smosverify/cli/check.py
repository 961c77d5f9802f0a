"""`smosverify check SYSTEM`: load, decide every property, render, exit 0/1/2/3."""

from __future__ import annotations

import sys

import click

from smosverify.analyses.check import check_system
from smosverify.cli.common import FORMATS, Output, exits_cleanly, print_or_write, system_options
from smosverify.lean_runner import with_lean_step
from smosverify.load.any import SdfOptions, load_any
from smosverify.report import render


@click.command()
@click.argument("system", type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=Output(directory=False), help="Write the report here instead of stdout.")
@system_options
@click.option("--lean", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Check the emitted Lean theorems: auto runs lake when it is on PATH; on runs any Lean found, also the "
              "npm build of `smosverify lean install` (exit 3 without one); off does not.")
@click.option("--boot", is_flag=True, help="Also build SYSTEM's capDL image, boot it in QEMU and check what the kernel "
              "holds (docs/image.md; needs an seL4 workspace).")
@click.option("--sel4", type=click.Path(file_okay=False), help="seL4 workspace for --boot (default: $SMOSVERIFY_SEL4).")
@click.option("--arch", type=click.Choice(["x86_64", "aarch64"]), help="Image target for --boot (default: SYSTEM's arch).")
@click.option("--boot-dir", type=click.Path(file_okay=False), help="Build folder for --boot (default: one per "
              "workspace and arch under ~/.cache/smosverify, reused).")
@exits_cleanly
def check(system: str, fmt: str, output: str | None, sdf: SdfOptions, lean: str, boot: bool, sel4: str | None, arch: str | None, boot_dir: str | None) -> None:
    """Decide whether SYSTEM enforces its policy (exit 0 holds, 1 violated, 2 bad input, 3 environment).

    SYSTEM is a YAML system description or a Microkit SDF (.system, .xml) with --policy."""
    if not boot and (sel4 or arch or boot_dir):
        raise click.UsageError("--sel4, --arch and --boot-dir go with --boot")
    model = load_any(system, sdf)
    report = with_lean_step(model, check_system(model), lean)
    if boot:
        from smosverify.image.run import with_boot_step

        report = with_boot_step(model, report, sel4, arch, boot_dir,
                                notify=lambda message: click.echo(f"smosverify: {message}", err=True))
    print_or_write(render(report, fmt), output, "the report")
    sys.exit(report.exit_code())
