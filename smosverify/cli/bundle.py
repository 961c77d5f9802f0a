"""`smosverify bundle SYSTEM -o DIR` and `smosverify verify-bundle DIR`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smosverify.bundle import MANIFEST, verify_bundle, write_bundle
from smosverify.cli.common import EXIT_HOLDS, EXIT_VIOLATED, exits_cleanly
from smosverify.errors import EnvironmentProblem
from smosverify.lean_runner import INSTALL, NO_TOOLCHAIN, find_lake


@click.command("bundle")
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="The bundle directory (new or empty).")
@exits_cleanly
def bundle(system: str, out_dir: str) -> None:
    """Write a proof-carrying release bundle of SYSTEM: inputs, JSON report, Lean instance with
    the Lean library, SMT-LIB queries, capDL spec, and a manifest of SHA-256 hashes."""
    manifest = write_bundle(system, out_dir)
    lean = manifest["lean"]
    click.echo(f"wrote {len(manifest['files'])} file(s) and {Path(out_dir) / MANIFEST}; verdict: {manifest['verdict']}")
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
    if lean == "on" and find_lake() is None:
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
    click.echo("bundle verification FAILED" if failed else "bundle verified: hashes, report, Lean instance, SMT answers and capDL spec match a fresh run")
    sys.exit(EXIT_VIOLATED if failed else EXIT_HOLDS)
