"""`smosverify check SYSTEM`: load, decide every property, render, exit 0/1/2/3."""

from __future__ import annotations

import sys

import click

from smosverify.analyses.check import check_system
from smosverify.cli.common import FORMATS, exits_cleanly
from smosverify.errors import InputError
from smosverify.lean_runner import with_lean_step
from smosverify.load.microkit import load_any
from smosverify.report import render


@click.command()
@click.argument("system", type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here instead of stdout.")
@click.option("--policy", type=click.Path(dir_okay=False), help="The policy of a Microkit SDF (SYSTEM.system).")
@click.option("--labels", type=click.Path(dir_okay=False), help="Labels binding an SDF's elements to sids (docs/microkit.md).")
@click.option("--default-sid", help="The sid of an SDF's elements the labels do not bind.")
@click.option("--lean", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Check the emitted Lean theorems with `lake build`: auto runs it when lake is on PATH; on requires it (exit 3 without).")
@exits_cleanly
def check(system: str, fmt: str, output: str | None, policy: str | None, labels: str | None, default_sid: str | None, lean: str) -> None:
    """Decide whether SYSTEM enforces its policy (exit 0 holds, 1 violated, 2 bad input, 3 environment).

    SYSTEM is a YAML system description or a Microkit SDF (.system, .xml) with --policy."""
    model = load_any(system, policy, labels, default_sid)
    report = with_lean_step(model, check_system(model), lean)
    text = render(report, fmt)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as err:
            raise InputError(f"cannot write the report to '{output}': {err.strerror}") from None
    else:
        click.echo(text, nl=False)
    sys.exit(report.exit_code())
