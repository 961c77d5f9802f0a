"""Running Lean on an emitted instance module: `lake build`, and a verdict per theorem.

Lean is optional. Without `lake` on PATH nothing is claimed to be checked: every theorem is
reported as skipped, with how to install a toolchain. With it, the module is written into the
Lake project and `lake build Instances.<Mod>` decides: a claimed theorem is proved when the build
reports no error inside it (and none in the data it uses), failed otherwise, with Lean's message;
Lean elaborates each declaration on its own, so one failed theorem does not fail the others.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from smosverify.analyses.result import Evidence, PropertyResult, Report, Status
from smosverify.emit.lean import LeanModule, lean_module, write_lean_module
from smosverify.errors import EnvironmentProblem
from smosverify.model.system import System

INSTALL = ("install a Lean toolchain with elan (https://github.com/leanprover/elan: "
           "`curl https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -sSf | sh`), "
           "then run again; lean/lean-toolchain pins the version")
NO_TOOLCHAIN = "no Lean toolchain: `lake` is not on PATH, so nothing was checked by Lean"
ERROR = re.compile(r"(?P<file>[^\s:]+\.lean):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")
BUILD_TIMEOUT = 3600


@dataclass(frozen=True)
class TheoremOutcome:
    property: str
    theorem: str
    status: str  # proved | failed | skipped | not claimed
    message: str


@dataclass(frozen=True)
class ProveResult:
    module: str
    ran: bool  # whether `lake build` ran
    outcomes: tuple[TheoremOutcome, ...]
    log: str  # Lean's output, when it ran

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)


def default_project() -> Path:
    """The Lake project of the source tree smosverify runs from."""
    return Path(__file__).resolve().parent.parent / "lean"


def find_lake() -> str | None:
    return shutil.which("lake")


def prove(module: LeanModule, project: Path | None = None, lake: str | None = None,
          timeout: int = BUILD_TIMEOUT) -> ProveResult:
    """Build the module with Lake when a toolchain is present; otherwise report every claimed
    theorem as skipped (never as proved)."""
    lake = lake or find_lake()
    if lake is None:
        return ProveResult(module.name, False, _outcomes(module, lambda c: ("skipped", "not checked: no Lean toolchain")), "")
    project = project or default_project()
    if not (project / "lakefile.lean").exists():
        raise EnvironmentProblem(f"no Lake project at {project} (expected lakefile.lean there); pass --project")
    path = write_lean_module(module, project)
    try:
        done = subprocess.run([lake, "build", f"Instances.{module.name}"], cwd=project, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ProveResult(module.name, True, _outcomes(module, lambda c: ("failed", f"lake build timed out after {timeout} s")), "")
    log = done.stdout + done.stderr
    errors = [m for m in (ERROR.search(line.strip()) for line in log.splitlines()) if m and Path(m["file"]).name == path.name]
    spans = _theorem_lines(module.text)

    def verdict(claim) -> tuple[str, str]:
        mine = [e for e in errors if spans[claim.theorem][0] <= int(e["line"]) <= spans[claim.theorem][1]]
        elsewhere = [e for e in errors if not any(a <= int(e["line"]) <= b for a, b in spans.values())]
        if mine or elsewhere:
            e = (mine or elsewhere)[0]
            return "failed", f"line {e['line']}: {e['msg']}"
        if done.returncode != 0 and not errors:
            return "failed", f"lake build failed (exit {done.returncode}): {_last_line(log)}"
        return "proved", "checked by Lean (lake build)"

    return ProveResult(module.name, True, _outcomes(module, verdict), log)


def _outcomes(module: LeanModule, verdict) -> tuple[TheoremOutcome, ...]:
    out = []
    for claim in module.claims:
        status, message = verdict(claim) if claim.claimed else ("not claimed", claim.reason)
        out.append(TheoremOutcome(claim.property, claim.theorem, status, message))
    return tuple(out)


def _theorem_lines(text: str) -> dict[str, tuple[int, int]]:
    """1-based line ranges of each theorem: from `theorem` to the line before the next blank."""
    lines = text.splitlines()
    out = {}
    for i, line in enumerate(lines, 1):
        m = re.match(r"theorem (\w+) ", line)
        if m:
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            out[m.group(1)] = (i, end)
    return out


def _last_line(log: str) -> str:
    lines = [line for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def lean_result(result: ProveResult) -> PropertyResult:
    """The Lean step as a row of the report (id LEAN): it says plainly whether Lean ran."""
    evidence = tuple(Evidence(f"theorem-{o.status.replace(' ', '-')}", f"{o.property} {o.theorem}: {o.status}: {o.message}",
                              (), {"property": o.property, "theorem": o.theorem, "status": o.status})
                     for o in result.outcomes)
    claimed = [o for o in result.outcomes if o.status != "not claimed"]
    if not result.ran:
        return PropertyResult("LEAN", "Lean proof", Status.SKIPPED,
                              f"not run: {NO_TOOLCHAIN} ({len(claimed)} theorem(s) would be checked); {INSTALL}", evidence)
    if result.failed:
        bad = [o.property for o in claimed if o.status == "failed"]
        return PropertyResult("LEAN", "Lean proof", Status.VIOLATED,
                              f"lake build rejected {', '.join(bad)} of module Instances.{result.module}", evidence)
    return PropertyResult("LEAN", "Lean proof", Status.HOLDS,
                          f"lake build checked {len(claimed)} theorem(s) of module Instances.{result.module}: "
                          f"{', '.join(o.property for o in claimed) or 'none claimed'}", evidence)


def with_lean_step(system: System, report: Report, mode: str, project: Path | None = None) -> Report:
    """`report` with the Lean step's row added. mode: auto (run when `lake` is on PATH), on
    (a missing toolchain is an environment problem: exit 3), off (not run, and said so)."""
    if mode == "off":
        return replace(report, notes=report.notes + ("Lean was not run (--lean off): nothing was checked by Lean",))
    if find_lake() is None:
        if mode == "on":
            raise EnvironmentProblem(f"--lean on, but {NO_TOOLCHAIN}; {INSTALL}")
        # Without a toolchain nothing is emitted: the module's claims are only worth their cost
        # when Lean will check them (`smosverify emit lean` shows them on request).
        return replace(report, notes=report.notes + (
            f"Lean was not run: {NO_TOOLCHAIN}; {INSTALL}; `smosverify emit lean` shows what would be claimed",))
    row = lean_result(prove(lean_module(system, report), project))
    return replace(report, results=report.results + (row,))
