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
from smosverify.model.microkit import MicrokitBoard

EXIT_HOLDS, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_ENVIRONMENT = 0, 1, 2, 3

FORMATS = click.Choice(["text", "json", "sarif"])

SDF_OPTIONS = (
    click.option("--policy", type=click.Path(dir_okay=False), help="The policy of a Microkit SDF (.system, .xml)."),
    click.option("--labels", type=click.Path(dir_okay=False), help="Labels binding an SDF's elements to sids (docs/microkit.md)."),
    click.option("--default-sid", help="The sid of an SDF's elements the labels do not bind."),
    click.option("--search-path", multiple=True, type=click.Path(file_okay=False),
                 help="Where an SDF's prefill files are looked for after its own folder (Microkit's --search-path)."),
)


def _address(ctx, param, value: str | None) -> int | None:
    try:
        number = None if value is None else int(value, 0)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a number (decimal or 0x-prefixed)") from None
    if number is not None and not 0 < number < 2**64:
        raise click.BadParameter(f"{value} is not a 64-bit address")
    return number


_BOARD = MicrokitBoard()
# The kernel an SDF is built for, as the Microkit tool reads it from the board's SDK (docs/microkit.md)
BOARD_OPTIONS = (
    click.option("--cores", type=click.IntRange(1, 256), help=f"Board: CPU cores (SMP builds) [default: {_BOARD.cores}]."),
    click.option("--domains", type=click.IntRange(1, 256), help=f"Board: KernelNumDomains [default: {_BOARD.domains}]."),
    click.option("--domain-schedule", type=click.IntRange(1), help=f"Board: KernelNumDomainSchedules [default: {_BOARD.domain_schedule}]."),
    click.option("--hypervisor/--no-hypervisor", default=None, help="Board: hypervisor support, for virtual machines [default: on]."),
    click.option("--iommu/--no-iommu", default=None, help="Board: IOMMU support, for io_address_space [default: on]."),
    click.option("--smc/--no-smc", default=None, help="Board: ARM SMC calls forwarded, for smc=\"true\" [default: on]."),
    click.option("--user-top", callback=_address, metavar="ADDRESS",
                 help="Board: seL4_UserVSpaceTop, the last user virtual address [default: the architecture's]."),
    click.option("--iommu-bits", type=click.IntRange(12, 64), help=f"Board: IOMMU address bits [default: {_BOARD.iommu_bits}]."),
    click.option("--max-pds", type=click.IntRange(1), help=f"Microkit's MAX_PDS [default: {_BOARD.max_pds}]."),
)
BOARD_FIELDS = ("cores", "domains", "domain_schedule", "hypervisor", "iommu", "smc", "user_top", "iommu_bits", "max_pds")


def system_options(command):
    """The options that make a Microkit SDF a system, the same in every command that reads a
    system; the command receives them as one `sdf: SdfOptions`."""

    @functools.wraps(command)
    def wrapper(*args, policy, labels, default_sid, search_path, **kwargs):
        given = {name: value for name in BOARD_FIELDS if (value := kwargs.pop(name)) is not None}
        board = MicrokitBoard(**given) if given else None
        return command(*args, sdf=SdfOptions(policy, labels, default_sid, search_path or None, board), **kwargs)

    for option in reversed(SDF_OPTIONS + BOARD_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


class Output(click.ParamType):
    """`-o` as every command means it: the file the command writes when it writes one file, the
    directory it writes into when it writes several; anything else is refused before any work."""

    def __init__(self, directory: bool, example: str = ""):
        self.directory = directory
        self.example = example  # what a right -o looks like, for the refusal
        self.name = "DIR" if directory else "FILE"

    def get_metavar(self, param, ctx=None) -> str:
        return self.name

    def convert(self, value, param, ctx):
        path = os.fspath(value)
        command = " ".join(["smosverify", *ctx.command_path.split()[1:]]) if ctx else "this command"
        hint = f" ({self.example})" if self.example else ""
        if self.directory and os.path.exists(path) and not os.path.isdir(path):
            self.fail(f"'{path}' is a file; {command} writes several files, so -o names a directory{hint}", param, ctx)
        if not self.directory and (os.path.isdir(path) or path.endswith(("/", os.sep))):
            self.fail(f"'{path}' is a directory; {command} writes one file, so -o names that file{hint}", param, ctx)
        return path


def say_wrote(what: str, path: str | Path) -> None:
    """Every writer says on stderr what it wrote, so stdout stays the command's answer."""
    click.echo(f"wrote {what} to {path}", err=True)


def _write_text(path: str | Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:  # the same bytes on every platform
        out.write(text)


def write_output(path: str | Path, text: str, what: str) -> None:
    """Write one output file and say so; a path that cannot be written is bad input."""
    try:
        _write_text(path, text)
    except OSError as err:
        raise InputError(f"cannot write {what} to '{path}': {err.strerror}") from None
    say_wrote(what, path)


def write_directory(path: str | Path, files: dict[str, str], what: str) -> None:
    """Write several output files (by name) into one directory, created if missing, and say so."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _write_text(out / name, text)
    except OSError as err:
        raise InputError(f"cannot write {what} under '{path}': {err.strerror}") from None
    say_wrote(what, path)


def print_or_write(text: str, output: str | None, what: str) -> None:
    """A report goes to stdout, or with -o to that file."""
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text, what)


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
