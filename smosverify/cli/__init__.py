"""The `smosverify` command: thin, each subcommand in its own module."""

from __future__ import annotations

import click

from smosverify import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smosverify")
def main() -> None:
    """Verify that an SMOS-style seL4 system enforces its security policy."""


def _register() -> None:
    # Subcommands import lazily-heavy modules (z3, lark) only when they run.
    from smosverify.cli import check, doctor, emit

    main.add_command(check.check)
    main.add_command(doctor.doctor)
    main.add_command(emit.emit)
    from smosverify.cli import image

    main.add_command(image.image)
    from smosverify.cli import capdl

    main.add_command(capdl.capdl)
    main.add_command(capdl.conform)
    emit.emit.add_command(capdl.emit_capdl_command)
    from smosverify.cli import emit_lean, prove

    emit.emit.add_command(emit_lean.emit_lean)
    main.add_command(prove.prove_command)
    from smosverify.cli import bundle

    main.add_command(bundle.bundle)
    main.add_command(bundle.verify_bundle_command)
    from smosverify.cli import emit_microkit

    emit.emit.add_command(emit_microkit.microkit)
    from smosverify.cli import diff, emit_smt, graph

    main.add_command(diff.diff)
    main.add_command(graph.graph)
    emit.emit.add_command(emit_smt.emit_smt)
    from smosverify.cli import emit_yaml

    emit.emit.add_command(emit_yaml.emit_yaml)


_register()
