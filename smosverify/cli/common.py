"""What every command shares: turning our exceptions into messages and exit codes."""

from __future__ import annotations

import functools
import sys

import click

from smosverify.errors import EnvironmentProblem, InputError

EXIT_HOLDS, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_ENVIRONMENT = 0, 1, 2, 3

FORMATS = click.Choice(["text", "json", "sarif"])


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
