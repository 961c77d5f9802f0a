"""The image steps end to end, as the CLI and `check --boot` call them.

`spec_source` turns SYSTEM_OR_SPEC into capDL text: a `.cdl` file as it is, a system emitted to
capDL (for the architecture asked for, by default the system's own). `conform_log` checks a boot
log against it: the BOOT-* results for a spec, and for a system also the kernel's authority
against the model. `build_boot_conform` does it all; `with_boot_step` adds it to `check`'s report.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from smosverify.analyses.result import Report
from smosverify.errors import EnvironmentProblem, InputError, Span
from smosverify.image.boot import boot_image, check_qemu
from smosverify.image.build import build_image, check_toolchain
from smosverify.image.capdl_tool import TOOL, cache_dir, find_parse_capdl
from smosverify.image.conform import conform_boot
from smosverify.image.readback import BootLog, read_boot_log
from smosverify.image.spec import load_spec
from smosverify.image.system_boot import conform_system_boot
from smosverify.image.targets import TARGETS
from smosverify.image.workspace import ENV_VAR, find_workspace
from smosverify.load.any import SdfOptions, load_any
from smosverify.model.system import System

Notify = Callable[[str], None]
_ARCH_LINE = re.compile(r"^\s*arch\s+(\S+)", re.M)


@dataclass(frozen=True)
class SpecSource:
    text: str  # capDL
    file: str  # the user's file: the .cdl, or the system description
    arch: str  # the image target
    system: System | None  # the system it was emitted from


def spec_source(path: str, arch: str | None = None, notify: Notify = lambda _: None,
                options: SdfOptions = SdfOptions()) -> SpecSource:
    """A `.cdl` spec as it is (for the arch of its `arch` line), or a system (YAML, or an SDF bound
    by `options`) emitted to capDL."""
    if not os.path.exists(path):
        raise InputError("no such file", Span(path, 1, 1))
    if not path.endswith(".cdl"):
        return system_source(load_any(path, options), arch, notify)
    if options.given():
        raise options.go_with_an_sdf(path)
    text = Path(path).read_text(encoding="utf-8")
    found = _ARCH_LINE.search(text)
    if found is None:
        raise InputError("a capDL spec starts with an `arch` line (x86_64 or aarch64)", Span(path, 1, 1))
    return SpecSource(text, path, _target(arch or found.group(1), Span(path, 1, 1)), None)


def system_source(system: System, arch: str | None = None, notify: Notify = lambda _: None) -> SpecSource:
    """The system's capDL; for another arch than the system's, emitted as if the system said so
    (the authority is the same; only the page-table levels differ), and said so."""
    from smosverify.emit.capdl import emit_capdl

    arch = _target(arch or system.arch, Span(system.file, 1, 1))
    if arch != system.arch:
        notify(f"{system.name} is an {system.arch} system; emitting its capDL for {arch} "
               "(the page tables differ, the caps do not)")
        system = replace(system, arch=arch)
    return SpecSource(emit_capdl(system), system.file, arch, system)


def _target(arch: str, span: Span) -> str:
    if arch.lower() not in TARGETS:
        raise InputError(f"no seL4 image target for arch {arch!r}; targets: {', '.join(sorted(TARGETS))} (--arch)", span)
    return arch.lower()


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


def conform_log(path: str, log: str, sel4: str | None = None, notify: Notify = lambda _: None,
                options: SdfOptions = SdfOptions(), built: str | None = None) -> Report:
    """Check the boot in `log` against SYSTEM_OR_SPEC (a system is emitted for the log's arch), or
    a system against the spec `built` its image was built from (an image with the SMOS programs:
    the emitted spec has no program memory)."""
    boot = read_boot_log(log)
    source = spec_source(path, boot.dump.arch if not path.endswith(".cdl") else None, notify, options)
    if built is not None:
        if source.system is None:
            raise InputError("--spec goes with a system: a .cdl spec is checked as it is", Span(path, 1, 1))
        if not os.path.exists(built):
            raise InputError("no such file", Span(built, 1, 1))
        source = replace(source, text=Path(built).read_text(encoding="utf-8"), file=built)
    return _conform(source, boot, lambda: parse_capdl_for_conform(sel4))


def _conform(source: SpecSource, boot: BootLog, parse_capdl: Callable[[], Path]) -> Report:
    if source.arch != boot.dump.arch:
        raise InputError(f"the boot log is of an {boot.dump.arch} kernel; {source.file} is for {source.arch}",
                         Span(boot.path, 1, 1))
    spec = load_spec(source.text, source.file, parse_capdl())
    if source.system is not None:
        return conform_system_boot(source.system, spec, boot)
    return conform_boot(spec, boot)


def build_boot_conform(source: SpecSource, sel4: str | None, out: Path, timeout: float = 60.0,
                       notify: Notify = lambda _: None) -> Report:
    """Build the image for `source` in `out`, boot it, and check the kernel against the spec (and
    the model). Every tool is looked for before the build starts."""
    workspace = find_workspace(sel4)
    missing = []
    for check in (check_toolchain, check_qemu):
        try:
            check(TARGETS[source.arch])
        except EnvironmentProblem as err:
            missing.append(str(err))
    if missing:
        raise EnvironmentProblem("; ".join(missing))
    build_image(source.text, source.file, workspace, source.arch, out, notify)
    log = Path(out) / "boot.log"
    boot_image(Path(out), log, timeout)
    return _conform(source, read_boot_log(log), lambda: find_parse_capdl(workspace, notify))


def default_build_dir(sel4: str | None, arch: str) -> Path:
    """Where `check --boot` builds when not told: one folder per workspace and arch, so it is warm
    the second time."""
    root = str(find_workspace(sel4).root)
    return cache_dir() / f"image-{arch}-{hashlib.sha256(root.encode()).hexdigest()[:12]}"


def with_boot_step(system: System, report: Report, sel4: str | None, arch: str | None, out: str | None,
                   timeout: float = 60.0, notify: Notify = lambda _: None) -> Report:
    """`report` with the boot's results added: the system built, booted and checked on seL4."""
    source = system_source(system, arch, notify)
    folder = Path(out) if out else default_build_dir(sel4, source.arch)
    booted = build_boot_conform(source, sel4, folder, timeout, notify)
    return Report(report.system, report.files + (str(folder / "boot.log"),), report.results + booted.results)
