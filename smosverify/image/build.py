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


def build_image(spec_text: str, spec_name: str, workspace: Workspace, arch: str, out: Path,
                notify=lambda _: None) -> BuildResult:
    """Configure (when needed) and build the image for `spec_text` in `out`."""
    started = time.monotonic()
    target = TARGETS[arch]
    check_toolchain(target)
    parse_capdl = find_parse_capdl(workspace, notify)
    spec_model = load_spec(spec_text, spec_name, parse_capdl)  # rejected by capDL-tool: the user's error
    if spec_model.arch != target.arch:
        raise InputError(f"the spec is for arch {spec_model.arch!r}, the build for {target.arch!r}",
                         Span(spec_name, 1, 1))
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    project = _write_if_changed_tree(out / "project")
    kernel = kernel_for(workspace, target, out, notify)
    spec = out / "spec.cdl"
    _write_if_changed(spec, spec_text)
    build = out / "build"
    key = json.dumps([str(workspace.root), str(kernel), str(parse_capdl), target.arch], sort_keys=True)
    configured = False
    if _stamp(build) != key:
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        notify(f"configuring the seL4 build in {build} (once per build folder)")
        _run(["cmake", "-G", "Ninja", f"-DSMOS_WORKSPACE={workspace.root}", f"-DSMOS_KERNEL_PATH={kernel}",
              f"-DSMOS_PARSE_CAPDL={parse_capdl}", f"-DSMOS_SPEC={spec}",
              f"-DSMOS_PLATFORM={target.platform}", f"-DSMOS_SEL4_ARCH={target.sel4_arch}",
              f"-DSMOS_CROSS_COMPILER_PREFIX={target.cross_prefix}", str(project)], build, "configuring")
        (build / "smosverify.stamp").write_text(key)
        configured = True
    _ninja(build)
    images = {role: f"build/images/{name}" for role, name in target.images.items()}
    for role, rel in images.items():
        if not (out / rel).is_file():
            raise EnvironmentProblem(f"the build finished but did not produce the {role} image {out / rel}")
    result = BuildResult(out, target, images, configured, time.monotonic() - started)
    manifest = {"arch": target.arch, "platform": target.platform, "images": images, "spec": spec_name}
    _write_if_changed(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return result


def check_toolchain(target: Target) -> None:
    """Raise EnvironmentProblem naming every missing build tool and how to install it."""
    missing = [f"{tool} (Debian: {package})" for tool, package in target.build_tools if shutil.which(tool) is None]
    modules = [m for m in PYTHON_MODULES if importlib.util.find_spec(m) is None]
    if modules:
        missing.append(f"Python modules {', '.join(modules)} (pip install sel4-deps)")
    if missing:
        raise EnvironmentProblem("cannot build an seL4 image, missing: " + "; ".join(missing)
                                 + " (or run .ci/install-sel4-deps)")


def _ninja(build: Path) -> None:
    done = subprocess.run(["ninja", "-j", "2"], cwd=build, capture_output=True, text=True)
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


def _write_if_changed_tree(dest: Path) -> Path:
    """Copy the CMake project into the build folder; unchanged files keep their times."""
    if not (TEMPLATE / "CMakeLists.txt").is_file():
        raise EnvironmentProblem(f"the image project template is missing at {TEMPLATE}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATE_FILES:
        _write_if_changed(dest / name, (TEMPLATE / name).read_text())
    return dest


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return
    path.write_text(text)
