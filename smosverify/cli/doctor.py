"""`smosverify doctor`: which versions of the tools smosverify uses are here, or "not found"."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata

import click

from smosverify import __version__
from smosverify.lean_install import default_home, installed_version, launcher
from smosverify.lean_toolchain import find_lean


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
        ("lake", _tool_version("lake", "--version")),
        ("lean (npm build)", _npm_lean()),
        ("node", _tool_version("node", "--version")),
        ("dot (graphviz)", _tool_version("dot", "-V")),
    ]


def _npm_lean() -> str:
    home = default_home()
    version = installed_version(home)
    return f"{version} ({launcher(home)})" if version else f"not installed in {home} (smosverify lean install)"


def lean_line() -> str:
    """Which Lean `prove` and `check --lean` will use, and how they run it."""
    lean = find_lean()
    if lean is None:
        return ("Lean proofs: no Lean found, so `check` notes that Lean was not run; install lake with elan "
                "(https://github.com/leanprover/elan) or run `smosverify lean install`")
    return f"Lean proofs: {lean.short}, run as {lean.how}"


@click.command()
def doctor() -> None:
    """Print the versions of python, z3, Lean and the other tools smosverify uses, and which Lean
    checks the proofs."""
    rows = environment()
    width = max(len(name) for name, _ in rows)
    for name, version in rows:
        click.echo(f"{name.ljust(width)}  {version}")
    click.echo("\n" + lean_line())
