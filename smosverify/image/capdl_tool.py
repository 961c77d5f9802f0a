"""capDL-tool's `parse-capDL`, which turns a capDL spec into the C the capDL loader needs.

Taken from PATH when there, otherwise built once with GHC from the workspace's capDL-tool and
cached under ~/.cache/smosverify keyed by a hash of its sources, so a workspace update rebuilds it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from smosverify.errors import EnvironmentProblem
from smosverify.image.workspace import Workspace

TOOL = "parse-capDL"
GHC_PACKAGES = (
    "ghc libghc-missingh-dev libghc-lens-dev libghc-yaml-dev libghc-split-dev "
    "libghc-regex-compat-dev libghc-base-compat-dev"
)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "smosverify"


def find_parse_capdl(workspace: Workspace, notify: Callable[[str], None] = lambda _: None) -> Path:
    """parse-capDL from PATH, or the cached build for this workspace's capDL-tool (built if absent)."""
    on_path = shutil.which(TOOL)
    if on_path:
        return Path(on_path)
    digest = _source_digest(workspace.capdl_tool)
    cached = cache_dir() / f"{TOOL}-{digest[:16]}"
    if cached.is_file():
        return cached
    notify(f"{TOOL} is not on PATH; building it once from {workspace.capdl_tool} with GHC into {cached}")
    _build(workspace.capdl_tool, cached)
    return cached


def _source_digest(tool_dir: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(tool_dir.rglob("*")):
        if path.suffix in (".hs", ".cabal") and path.is_file():
            sha.update(str(path.relative_to(tool_dir)).encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def _build(tool_dir: Path, target: Path) -> None:
    ghc = shutil.which("ghc")
    if ghc is None:
        raise EnvironmentProblem(
            f"{TOOL} is not on PATH and GHC is missing to build it from {tool_dir}; "
            f"install the Debian packages: {GHC_PACKAGES} (or run .ci/install-sel4-deps)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix="capdl-tool-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(tool_dir, src)
        command = [ghc, "--make", "-O1", *_hidden_packages(), "-outputdir", "build", "-o", TOOL, "Main.hs"]
        done = subprocess.run(command, cwd=src, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise EnvironmentProblem(
                f"building {TOOL} with GHC failed (are {GHC_PACKAGES} installed?):\n{tail}"
            )
        os.replace(src / TOOL, target)


def _hidden_packages() -> list[str]:
    """base-compat-batteries re-exports base-compat's modules; hide it when installed."""
    ghc_pkg = shutil.which("ghc-pkg")
    if ghc_pkg is None:
        return []
    done = subprocess.run([ghc_pkg, "--simple-output", "list", "base-compat-batteries"],
                          capture_output=True, text=True)
    return ["-hide-package", "base-compat-batteries"] if done.stdout.strip() else []
