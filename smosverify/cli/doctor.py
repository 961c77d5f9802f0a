"""`smosverify doctor`: which versions of the tools smosverify uses are here, and for each one
that is missing, which commands need it and how to get it."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import click

from smosverify import __version__
from smosverify.errors import EnvironmentProblem
from smosverify.image.capdl_tool import GHC_PACKAGES, TOOL, cache_dir
from smosverify.image.targets import QEMU_PACKAGES, TARGETS
from smosverify.image.workspace import ENV_VAR, validate_workspace
from smosverify.lean_install import default_home, installed_version, launcher, outdated
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
    if version:
        return f"{version} ({launcher(home)})"
    if outdated(home):
        return f"installed in {home} by an older smosverify: run `smosverify lean install` again"
    return f"not installed in {home} (smosverify lean install)"


def lean_line() -> str:
    """Which Lean `prove` and `check --lean` will use, and how they run it."""
    lean = find_lean()
    if lean is None:
        return ("Lean proofs: no Lean found, so `check` notes that Lean was not run; install lake with elan "
                "(https://github.com/leanprover/elan) or run `smosverify lean install`")
    return f"Lean proofs: {lean.short}, run as {lean.how}"


IMAGE_COMMANDS = "image, check --boot"


def image_tools() -> list[tuple[str, str]]:
    """(what, version, or why it is needed and how to get it) for everything that building,
    booting and reading back seL4 images uses: the workspace, capDL-tool, and per architecture
    QEMU and the (cross) toolchain."""
    rows = [("seL4 workspace", _workspace()), ("capDL-tool", _capdl_tool())]
    needs: dict[str, tuple[str, list[str]]] = {}  # executable -> (Debian package, architectures)
    for target in TARGETS.values():
        for executable, package in ((target.qemu, QEMU_PACKAGES[target.qemu]), *target.build_tools):
            needs.setdefault(executable, (package, []))[1].append(target.arch)
    for executable, (package, archs) in needs.items():
        found = _tool_version(executable, "--version")
        rows.append((executable, found if found != "not found" else
                     f"not found: needed for {' and '.join(archs)} images ({IMAGE_COMMANDS}); Debian: apt install {package}"))
    sel4_deps = _package_version("sel4-deps")
    rows.append(("sel4-deps", sel4_deps if sel4_deps != "not found" else
                 f"not found: the seL4 build's Python modules ({IMAGE_COMMANDS}); pip install sel4-deps"))
    return rows


def _workspace() -> str:
    where = os.environ.get(ENV_VAR)
    if not where:
        return (f"not set: {IMAGE_COMMANDS} need an seL4 checkout in the layout of seL4's manifests (kernel/, "
                f"tools/seL4/, projects/capdl, ...); pass --sel4 DIR or set {ENV_VAR} (docs/image.md)")
    try:
        return f"{validate_workspace(Path(where)).root} (${ENV_VAR})"
    except EnvironmentProblem as err:
        return f"${ENV_VAR} is set, but: {err}"


def _capdl_tool() -> str:
    on_path = shutil.which(TOOL)
    if on_path:
        return f"{TOOL} at {on_path}"
    built = sorted(cache_dir().glob(f"{TOOL}-*"))
    if built:
        return f"{TOOL} built from a workspace's capDL-tool: {', '.join(str(p) for p in built)}"
    ghc = _tool_version("ghc", "--version")
    if ghc != "not found":
        return f"{TOOL} not built yet; {IMAGE_COMMANDS} build it once from the workspace with {ghc}"
    return (f"not found: {IMAGE_COMMANDS} and conform with a boot log need {TOOL} on PATH, or GHC to build it from "
            f"the workspace (Debian: apt install {GHC_PACKAGES})")


@click.command()
def doctor() -> None:
    """Print the versions of python, z3, Lean and the other tools smosverify uses, and which Lean
    checks the proofs."""
    rows = environment()
    width = max(len(name) for name, _ in rows)
    for name, version in rows:
        click.echo(f"{name.ljust(width)}  {version}")
    click.echo("\n" + lean_line())
    images = image_tools()
    click.echo(f"\nseL4 images ({IMAGE_COMMANDS}):")
    width = max(len(name) for name, _ in images)
    for name, found in images:
        click.echo(f"{name.ljust(width)}  {found}")
    missing = sum(1 for _, found in images if found.startswith(("not found", "not set")))
    if missing:
        click.echo(f"\n{missing} missing for seL4 images; on Debian, .ci/install-sel4-deps in the smosverify "
                   "repository installs all of the packages")
