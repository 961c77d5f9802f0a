"""The image steps end to end, as the CLI and `check --boot` call them.

`spec_source` turns SYSTEM_OR_SPEC into capDL text (a `.cdl` file as is; a system emitted to
capDL first); `conform_log` checks a boot log against it; `build_boot_conform` does it all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from smosverify.analyses.result import Report
from smosverify.errors import EnvironmentProblem, InputError, Span
from smosverify.image.boot import boot_image
from smosverify.image.build import build_image
from smosverify.image.capdl_tool import TOOL, cache_dir, find_parse_capdl
from smosverify.image.conform import conform_boot
from smosverify.image.readback import read_boot_log
from smosverify.image.spec import load_spec
from smosverify.image.workspace import ENV_VAR, find_workspace


def spec_source(path: str) -> tuple[str, str | None]:
    """(capDL text, system name or None) for a `.cdl` spec or a system description."""
    if not os.path.exists(path):
        raise InputError("no such file", Span(path, 1, 1))
    if path.endswith(".cdl"):
        return Path(path).read_text(encoding="utf-8"), None
    try:
        from smosverify.emit.capdl import emit_capdl
    except ImportError as err:
        raise EnvironmentProblem(
            f"{path} is a system description; emitting it as capDL needs smosverify.emit.capdl, "
            "which this installation lacks; pass a .cdl spec instead") from err
    from smosverify.load.system import load_system

    system = load_system(path)
    return emit_capdl(system), system.name


def parse_capdl_for_conform(sel4: str | None) -> Path:
    """parse-capDL without building anything: PATH, the workspace's cached build, or any cached build."""
    on_path = shutil.which(TOOL)
    if on_path:
        return Path(on_path)
    if sel4 or os.environ.get(ENV_VAR):
        return find_parse_capdl(find_workspace(sel4))
    cached = sorted(cache_dir().glob(f"{TOOL}-*"), key=lambda p: p.stat().st_mtime)
    if cached:
        return cached[-1]
    raise EnvironmentProblem(f"{TOOL} (capDL-tool) is needed to read the spec: put it on PATH, or pass "
                             f"--sel4 / set {ENV_VAR} so it can be built from the workspace")


def conform_log(spec_path: str, log: str, sel4: str | None = None) -> Report:
    text, system = spec_source(spec_path)
    spec = load_spec(text, spec_path, parse_capdl_for_conform(sel4))
    return conform_boot(spec, read_boot_log(log), system)


def build_boot_conform(spec_path: str, sel4: str | None, arch: str, out: Path, timeout: float = 60.0,
                       notify: Callable[[str], None] = lambda _: None) -> Report:
    """Build the image for SYSTEM_OR_SPEC in `out`, boot it, and check the kernel against the spec
    (what `smosverify check --boot` runs)."""
    workspace = find_workspace(sel4)
    text, _ = spec_source(spec_path)
    build_image(text, spec_path, workspace, arch, out, notify)
    log = out / "boot.log"
    boot_image(out, log, timeout)
    return conform_log(spec_path, str(log), sel4)
