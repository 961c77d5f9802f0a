"""The kernel source an image is built from: a copy in the build folder with the project's fix to
the kernel's capDL dump.

The dump (seL4_DebugSnapshot) trips its own assertions on caps that are not mapped (a frame cap in
a CNode, which the capDL loader makes whenever a component is given a cap to frames) and, on
AArch64, on 4k frames; the project's patch for the target (extract/image/ARCH-capdl-dump.patch)
is applied to a copy, never to the user's checkout. The copy is redone only when the kernel
sources or the patch change.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from smosverify.errors import EnvironmentProblem
from smosverify.image.targets import Target
from smosverify.image.workspace import Workspace

PATCHES = Path(__file__).resolve().parents[2] / "extract" / "image"
_SKIP = shutil.ignore_patterns(".git", "manual")


def kernel_for(workspace: Workspace, target: Target, out: Path,
               notify: Callable[[str], None] = lambda _: None) -> Path:
    """The patched copy of the workspace's kernel for `target`, in `out`/kernel."""
    patch = PATCHES / target.kernel_patch
    if not patch.is_file():
        raise EnvironmentProblem(f"the project's kernel patch is missing at {patch}")
    copy = out / "kernel"
    stamp = copy / ".smosverify-stamp"
    key = _fingerprint(workspace.kernel) + hashlib.sha256(patch.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == key:
        return copy
    notify(f"copying the kernel to {copy} and applying {patch.name}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(workspace.kernel, copy, ignore=_SKIP)
    done = subprocess.run(["patch", "-p1", "-s", "-i", str(patch)], cwd=copy, capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvironmentProblem(
            f"{patch.name} does not apply to the kernel in {workspace.kernel} (a different seL4 version?):\n"
            + (done.stdout + done.stderr).strip())
    stamp.write_text(key)
    return copy


def _fingerprint(kernel: Path) -> str:
    """Cheap identity of a source tree: every file's path, size and modification time."""
    sha = hashlib.sha256()
    for path in sorted(kernel.rglob("*")):
        if path.is_file() and ".git" not in path.parts and "manual" not in path.parts:
            st = path.stat()
            sha.update(f"{path.relative_to(kernel)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return sha.hexdigest()
