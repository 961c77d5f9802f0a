"""The `smosverify` command: thin, each subcommand in its own module."""

from __future__ import annotations

import click

from smosverify import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smosverify")
def main() -> None:
    """Verify that an SMOS-style seL4 system enforces its security policy."""


def _register() -> None:
    from smosverify.cli import (
        bundle,
        capdl,
        check,
        diff,
        doctor,
        emit,
        emit_lean,
        emit_microkit,
        emit_smt,
        emit_yaml,
        graph,
        image,
        lean,
        prove,
    )

    for command in (
        check.check,
        doctor.doctor,
        diff.diff,
        graph.graph,
        emit.emit,
        capdl.capdl,
        capdl.conform,
        image.image,
        lean.lean,
        prove.prove_command,
        bundle.bundle,
        bundle.verify_bundle_command,
    ):
        main.add_command(command)
    for command in (
        capdl.emit_capdl_command,
        emit_smt.emit_smt,
        emit_lean.emit_lean,
        emit_microkit.microkit,
        emit_yaml.emit_yaml,
    ):
        emit.emit.add_command(command)


_register()
