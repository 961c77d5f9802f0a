"""`smosverify doctor`: which versions of the tools smosverify uses are here, or "not found"."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata

import click

from smosverify import __version__


def _tool_version(command: str, *args: str) -> str:
    path = shutil.which(command)
    if path is None:
        return "not found"
    try:
        done = subprocess.run([path, *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"found at {path}, but it did not run: {err}"
    first = (done.stdout or done.stderr).strip().splitlines()
    return f"{first[0] if first else 'unknown version'} ({path})"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not found"


def environment() -> list[tuple[str, str]]:
    """(what, version) for everything smosverify can use."""
    try:
        import z3

        z3_version = z3.get_version_string()
    except ImportError:
        z3_version = "not found"
    return [
        ("smosverify", __version__),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("z3", z3_version),
        ("lark", _package_version("lark")),
        ("sdfgen", _package_version("sdfgen")),
        ("lean", _tool_version("lean", "--version")),
        ("lake", _tool_version("lake", "--version")),
        ("dot (graphviz)", _tool_version("dot", "-V")),
    ]


@click.command()
def doctor() -> None:
    """Print the versions of python, z3, lean/lake and the other tools smosverify uses."""
    rows = environment()
    width = max(len(name) for name, _ in rows)
    for name, version in rows:
        click.echo(f"{name.ljust(width)}  {version}")
    if any(name in ("lean", "lake") and version == "not found" for name, version in rows):
        click.echo("\nLean proofs are skipped without lake; install it with elan: https://github.com/leanprover/elan")
