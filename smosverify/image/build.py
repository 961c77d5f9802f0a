"""Build a bootable seL4 image for a capDL spec: the kernel plus the capDL loader as root server.

The build folder holds a copy of the CMake project (extract/image), the spec, and for AArch64 a
patched copy of the kernel; the user's workspace is only read. A second build in the same folder
reuses the configured CMake tree, so only the spec, the loader and the image are rebuilt.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import EnvironmentProblem, InputError, Span
from smosverify.image.capdl_tool import find_parse_capdl
from smosverify.image.kernel_copy import kernel_for
from smosverify.image.spec import load_spec
from smosverify.image.targets import TARGETS, Target
from smosverify.image.workspace import Workspace

TEMPLATE = Path(__file__).resolve().parents[2] / "extract" / "image"
TEMPLATE_FILES = ("CMakeLists.txt", "cap_names.cmake", "smosverify_readback.c")
PYTHON_MODULES = ("jinja2", "ply", "yaml", "six", "future", "jsonschema", "elftools", "pyfdt", "lxml")
MANIFEST = "image.json"


@dataclass(frozen=True)
class BuildResult:
    out: Path
    target: Target
    images: dict[str, str]  # "kernel" / "initrd" -> path relative to out
    configured: bool  # whether CMake ran (a cold build) or the build folder was reused
    seconds: float


@dataclass(frozen=True)
class Tree:
    """A configured build folder: `out`, its CMake/ninja tree `build`, and capDL-tool."""

    out: Path
    build: Path
    target: Target
    parse_capdl: Path
    configured: bool
    started: float


PROGRAMS_CMAKE = "programs.cmake"  # which programs the tree builds (extract/image/CMakeLists.txt)


def build_image(spec_text: str, spec_name: str, workspace: Workspace, arch: str, out: Path,
                notify=lambda _: None) -> BuildResult:
    """Configure (when needed) and build the image for `spec_text` in `out`."""
    started = time.monotonic()
    target = TARGETS[arch]
    check_toolchain(target)
    parse_capdl = find_parse_capdl(workspace, notify)
    check_spec(spec_text, spec_name, target, parse_capdl)
    tree = open_tree(workspace, target, out, parse_capdl, programs_cmake(()), notify, started)
    return finish(tree, spec_text, spec_name)


def check_spec(spec_text: str, spec_name: str, target: Target, parse_capdl: Path) -> None:
    """A spec capDL-tool rejects, or one for another architecture, is the user's error."""
    spec_model = load_spec(spec_text, spec_name, parse_capdl)
    if spec_model.arch != target.arch:
        raise InputError(f"the spec is for arch {spec_model.arch!r}, the build for {target.arch!r}",
                         Span(spec_name, 1, 1))


def programs_cmake(programs: tuple[str, ...], directory: Path | None = None, base: int = 0) -> str:
    """The CMake file naming the programs the tree builds (none: an empty archive)."""
    lines = [f"set(smos_programs {' '.join(programs)})"]
    if programs:
        lines += [f'set(smos_programs_dir "{directory}")', f"set(smos_program_base {base:#x})"]
    return "# written by smosverify: the SMOS programs this build folder builds\n" + "\n".join(lines) + "\n"


def open_tree(workspace: Workspace, target: Target, out: Path, parse_capdl: Path, programs: str,
              notify=lambda _: None, started: float | None = None) -> Tree:
    """The build folder `out`, configured once (CMake runs again by itself when `programs` changes)."""
    started = time.monotonic() if started is None else started
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    project = _copy_project(out / "project")
    kernel = kernel_for(workspace, target, out, notify)
    write_if_changed(out / PROGRAMS_CMAKE, programs)
    build = out / "build"
    key = json.dumps([str(workspace.root), str(kernel), str(parse_capdl), target.arch], sort_keys=True)
    configured = False
    if _stamp(build) != key:
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        notify(f"configuring the seL4 build in {build} (once per build folder)")
        _run(["cmake", "-G", "Ninja", f"-DSMOS_WORKSPACE={workspace.root}", f"-DSMOS_KERNEL_PATH={kernel}",
              f"-DSMOS_PARSE_CAPDL={parse_capdl}", f"-DSMOS_SPEC={out / 'spec.cdl'}",
              f"-DSMOS_PROGRAMS={out / PROGRAMS_CMAKE}",
              f"-DSMOS_PLATFORM={target.platform}", f"-DSMOS_SEL4_ARCH={target.sel4_arch}",
              f"-DSMOS_CROSS_COMPILER_PREFIX={target.cross_prefix}", str(project)], build, "configuring")
        (build / "smosverify.stamp").write_text(key)
        configured = True
    return Tree(out, build, target, parse_capdl, configured, started)


def finish(tree: Tree, spec_text: str, spec_name: str, manifest_extra: dict | None = None) -> BuildResult:
    """Build the image of `spec_text` in the tree and write the manifest `image boot` reads."""
    write_if_changed(tree.out / "spec.cdl", spec_text)
    ninja(tree.build)
    images = {role: f"build/images/{name}" for role, name in tree.target.images.items()}
    for role, rel in images.items():
        if not (tree.out / rel).is_file():
            raise EnvironmentProblem(f"the build finished but did not produce the {role} image {tree.out / rel}")
    manifest = {"arch": tree.target.arch, "platform": tree.target.platform, "images": images, "spec": spec_name,
                **(manifest_extra or {})}
    write_if_changed(tree.out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return BuildResult(tree.out, tree.target, images, tree.configured, time.monotonic() - tree.started)


def check_toolchain(target: Target) -> None:
    """Raise EnvironmentProblem naming every missing build tool and how to install it."""
    missing = [f"{tool} (Debian: {package})" for tool, package in target.build_tools if shutil.which(tool) is None]
    modules = [m for m in PYTHON_MODULES if importlib.util.find_spec(m) is None]
    if modules:
        missing.append(f"Python modules {', '.join(modules)} (pip install sel4-deps)")
    if missing:
        raise EnvironmentProblem("cannot build an seL4 image, missing: " + "; ".join(missing)
                                 + " (or run .ci/install-sel4-deps)")


def ninja(build: Path, *targets: str) -> None:
    """Run ninja (two jobs at most) for `targets`, or everything."""
    done = subprocess.run(["ninja", "-j", "2", *targets], cwd=build, capture_output=True, text=True)
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    tail = "\n".join(output.strip().splitlines()[-25:])
    raise EnvironmentProblem(f"the seL4 image build failed in {build}:\n{tail}")


def _run(command: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise EnvironmentProblem(f"{what} the seL4 image build failed in {cwd}:\n{tail}")


def _stamp(build: Path) -> str | None:
    stamp = build / "smosverify.stamp"
    if not (build / "build.ninja").is_file() or not stamp.is_file():
        return None
    return stamp.read_text()


def _copy_project(dest: Path) -> Path:
    """Copy the CMake project into the build folder; unchanged files keep their times."""
    if not (TEMPLATE / "CMakeLists.txt").is_file():
        raise EnvironmentProblem(f"the image project template is missing at {TEMPLATE}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATE_FILES:
        write_if_changed(dest / name, (TEMPLATE / name).read_text())
    return dest


def write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return
    path.write_text(text)
