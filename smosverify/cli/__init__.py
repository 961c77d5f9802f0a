"""The `smosverify` command: thin, each subcommand in its own module.

A subcommand's module is imported only when that subcommand runs (or a help page lists it), so
that `smosverify --version` and a small `check` do not pay for loading every analysis and
emitter (`python -X importtime` shows what a command imports)."""

from __future__ import annotations

import importlib

import click

from smosverify import __version__

# name -> (module under smosverify.cli, attribute); the help page lists them sorted, as click does
COMMANDS = {
    "check": ("check", "check"),
    "doctor": ("doctor", "doctor"),
    "diff": ("diff", "diff"),
    "graph": ("graph", "graph"),
    "emit": ("emit", "emit"),
    "capdl": ("capdl", "capdl"),
    "conform": ("capdl", "conform"),
    "image": ("image", "image"),
    "lean": ("lean", "lean"),
    "prove": ("prove", "prove_command"),
    "bundle": ("bundle", "bundle"),
    "verify-bundle": ("bundle", "verify_bundle_command"),
}
EMIT_COMMANDS = {
    "capdl": ("capdl", "emit_capdl_command"),
    "smt": ("emit_smt", "emit_smt"),
    "lean": ("emit_lean", "emit_lean"),
    "microkit": ("emit_microkit", "microkit"),
    "yaml": ("emit_yaml", "emit_yaml"),
}


def _command(module: str, attribute: str) -> click.Command:
    return getattr(importlib.import_module(f"smosverify.cli.{module}"), attribute)


class _LazyGroup(click.Group):
    """The top-level group: knows its subcommands by name and imports one when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        command = _command(*COMMANDS[name])
        if name == "emit" and not command.commands:
            for sub in EMIT_COMMANDS.values():
                command.add_command(_command(*sub))
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smosverify")
def main() -> None:
    """Verify that an SMOS-style seL4 system enforces its security policy."""
