"""`smosverify bundle SYSTEM -o DIR` and `smosverify verify-bundle DIR`."""

from __future__ import annotations

import sys

import click

from smosverify.bundle import MANIFEST, verify_bundle, write_bundle
from smosverify.cli.common import EXIT_HOLDS, EXIT_VIOLATED, Output, exits_cleanly, say_wrote, system_options
from smosverify.errors import EnvironmentProblem
from smosverify.lean_runner import INSTALL, NO_TOOLCHAIN, find_lean
from smosverify.load.any import SdfOptions


@click.command("bundle")
@click.argument("system", type=click.Path(dir_okay=False))
@system_options
@click.option("-o", "--output", "out_dir", required=True, type=Output(directory=True),
              help="The bundle directory (new or empty).")
@exits_cleanly
def bundle(system: str, sdf: SdfOptions, out_dir: str) -> None:
    """Write a proof-carrying release bundle of SYSTEM: inputs, JSON report, Lean instance with
    the Lean library, SMT-LIB queries, capDL spec, and a manifest of SHA-256 hashes."""
    manifest = write_bundle(system, out_dir, sdf)
    lean = manifest["lean"]
    say_wrote(f"the bundle ({len(manifest['files'])} file(s) and {MANIFEST})", out_dir)
    click.echo(f"verdict: {manifest['verdict']}")
    click.echo(f"  Lean module {lean['module']} claims {', '.join(lean['claimed']) or 'nothing'}; "
               "Lean was not run (smosverify verify-bundle runs lake build where a toolchain is installed)")


@click.command("verify-bundle")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--lean", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Run lake build on the bundle's Lean instance: auto when lake is on PATH; on requires it (exit 3 without).")
@exits_cleanly
def verify_bundle_command(directory: str, lean: str) -> None:
    """Re-check a bundle: hashes, the analyses and emitters re-run on its inputs, the Z3 answers,
    and the Lean theorems when a toolchain is present. Exit 0 nothing differs, 1 something does."""
    if lean == "on" and find_lean() is None:
        raise EnvironmentProblem(f"--lean on, but {NO_TOOLCHAIN}; {INSTALL}")
    result = verify_bundle(directory, lean)
    for note in result.notes:
        click.echo(f"note: {note}")
    for difference in result.differences:
        click.echo(f"DIFFERS: {difference}")
    if result.lean is None:
        why = "--lean off" if lean == "off" else NO_TOOLCHAIN
        click.echo(f"Lean: not run ({why}); the Lean theorems were NOT re-checked")
    else:
        for o in result.lean.outcomes:
            click.echo(f"Lean: {o.property} {o.theorem}: {o.status}: {o.message}")
    failed = bool(result.differences) or (result.lean is not None and result.lean.failed)
    unfinished = result.lean is not None and result.lean.stopped
    if failed:
        click.echo("bundle verification FAILED")
    elif unfinished:
        click.echo("bundle NOT verified: Lean did not finish checking its theorems (see above)")
    else:
        click.echo("bundle verified: hashes, report, Lean instance, SMT answers and capDL spec match a fresh run")
    sys.exit(EXIT_VIOLATED if failed or unfinished else EXIT_HOLDS)
