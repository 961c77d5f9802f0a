"""What every command shares: the system-input options, what `-o` means, and turning our
exceptions into messages and exit codes."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from smosverify.errors import EnvironmentProblem, InputError
from smosverify.load.any import SdfOptions

EXIT_HOLDS, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_ENVIRONMENT = 0, 1, 2, 3

FORMATS = click.Choice(["text", "json", "sarif"])

SDF_OPTIONS = (
    click.option("--policy", type=click.Path(dir_okay=False), help="The policy of a Microkit SDF (.system, .xml)."),
    click.option("--labels", type=click.Path(dir_okay=False), help="Labels binding an SDF's elements to sids (docs/microkit.md)."),
    click.option("--default-sid", help="The sid of an SDF's elements the labels do not bind."),
)


def system_options(command):
    """The options that make a Microkit SDF a system, the same in every command that reads a
    system; the command receives them as one `sdf: SdfOptions`."""

    @functools.wraps(command)
    def wrapper(*args, policy, labels, default_sid, **kwargs):
        return command(*args, sdf=SdfOptions(policy, labels, default_sid), **kwargs)

    for option in reversed(SDF_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def exits_cleanly(command):
    """Bad input exits 2 and a missing tool exits 3, each with one line on stderr, no traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except EnvironmentProblem as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_ENVIRONMENT)

    return wrapper
