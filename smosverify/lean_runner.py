"""Running Lean on an emitted instance module, and a verdict per theorem.

Lean is optional. Which Lean runs, and how, is `smosverify.lean_toolchain`'s business: `lake`
when it is on PATH, else the npm build `smosverify lean install` puts in the user's cache.
Without either nothing is claimed to be checked: every theorem is reported as skipped, with how
to install a toolchain. With one, Lean checks the module (and the library it imports): a claimed
theorem is proved when Lean reports no error inside it, in the part theorems it cites (`part_…`,
`LeanModule.claims`' `parts`: Lean accepts a theorem citing a rejected part, so the part's error
must fail it), in the data it uses or in the library; failed otherwise, with Lean's message. Lean
elaborates each declaration on its own, so one failed theorem does not fail the others. A run
stopped for time or memory proves nothing, and neither does one that dies without a Lean error
(the npm build's 2 GB wasm heap exhausted by the kernel, a stack overflow): its theorems are
reported as stopped, never as failed or proved.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from smosverify.analyses.result import Evidence, PropertyResult, Report, Status
from smosverify.emit.lean import LeanModule, lean_module, write_lean_module
from smosverify.errors import EnvironmentProblem
from smosverify.lean_stages import split
from smosverify.lean_toolchain import (DEFAULT_TIMEOUT, LAKE, Lean, Run, check, check_split, default_project, find_lean,
                                       joined)
from smosverify.model.system import System

INSTALL = ("install Lean with elan (https://github.com/leanprover/elan; lean/lean-toolchain pins the version) "
           "or run `smosverify lean install` (Lean from npm, run by Node.js), then run again")
NO_TOOLCHAIN = "no Lean toolchain: neither `lake` on PATH nor a Lean installed by `smosverify lean install`"


@dataclass(frozen=True)
class TheoremOutcome:
    property: str
    theorem: str
    status: str  # proved | failed | stopped | skipped | not claimed
    message: str


@dataclass(frozen=True)
class ProveResult:
    module: str
    run: Run | None  # None when no Lean was found
    outcomes: tuple[TheoremOutcome, ...]

    @property
    def ran(self) -> bool:
        return self.run is not None

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)

    @property
    def stopped(self) -> bool:
        return any(o.status == "stopped" for o in self.outcomes)

    @property
    def log(self) -> str:
        return self.run.log if self.run else ""


def prove(module: LeanModule, project: Path | None = None, lean: Lean | None = None,
          timeout: int = DEFAULT_TIMEOUT, jobs: int = 1) -> ProveResult:
    """Check the module with the Lean found (or `lean`); without one report every claimed theorem
    as skipped (never as proved). With lake the module is written into the project, as users
    build it; the npm build reads it from a temporary directory and leaves the project as it is,
    with `jobs` above 1 cut into stages of modules checked `jobs` at a time (`lean_stages`)."""
    project = project or default_project()
    lean = lean or find_lean(project)
    name = f"Instances.{module.name}"
    if lean is None:
        return ProveResult(module.name, None, _outcomes(module, lambda c: ("skipped", "not checked: no Lean toolchain")))
    if not (project / "lakefile.lean").exists():
        raise EnvironmentProblem(f"no Lake project at {project} (expected lakefile.lean there); pass --project")
    if lean.kind == LAKE:
        path = write_lean_module(module, project)
        run, files, complete = check(lean, project, [name], timeout=timeout), {path: module.text}, True
    else:
        with tempfile.TemporaryDirectory(prefix="smosverify-instance-") as tmp:
            run, files, complete = _check_npm(module, name, lean, project, Path(tmp), timeout, jobs)
    return ProveResult(module.name, run, _outcomes(module, _verdicts(run, files, complete)))


def _check_npm(module: LeanModule, name: str, lean: Lean, project: Path, work: Path, timeout: int,
               jobs: int) -> tuple[Run, dict[Path, str], bool]:
    """The npm build's run over the module `name` written into `work`, as one file or (`jobs` above
    1) in stages; the files checked (path: text), and whether every one of them was."""
    if jobs <= 1:
        path = write_lean_module(module, work)
        return check(lean, project, [name], extra=work, timeout=timeout), {path: module.text}, True
    start = time.monotonic()
    stages, theorems = split(module.text, module.definitions, name, jobs)
    runs = check_split(lean, project, work, stages, theorems, jobs, timeout)
    files = {work / f"{file}.lean": text for stage in (*stages, (theorems,)) for file, text in stage}
    return joined(runs, time.monotonic() - start), files, len(runs) == len(files)


def _verdicts(run: Run, files: dict[Path, str], complete: bool):
    """claim -> (status, message), from the errors of `run` in the module's `files` (path: text)
    (see the module docstring). When not every file was checked (`complete` false: an earlier
    stage failed), a claim without an error of its own is not checked."""
    spans = {path.resolve(): _theorem_lines(text) for path, text in files.items()}
    within = {e: spans.get(e.path.resolve()) if e.path is not None else None for e in run.errors}  # None: outside
    located = {e: name for e, lines in within.items() if lines
               for name, (first, last) in lines.items() if first <= e.line <= last}  # the theorem holding it
    loose = [e for e in run.errors if e not in located]

    def verdict(claim) -> tuple[str, str]:
        if not run.finished:
            return "stopped", f"not checked: {run.failure()} ({run.summary})"
        mine = [e for e in run.errors if located.get(e) in (claim.theorem, *claim.parts)]
        if mine or loose:
            e = (mine or loose)[0]
            place = f"{e.path.name}:" if len(files) > 1 else "line "
            where = f"{place}{e.line}" if within[e] is not None else f"{e.path or 'the library'}:{e.line}"
            return "failed", f"{where}: {e.text.splitlines()[0]}"
        if not complete:
            return "stopped", f"not checked: an earlier stage failed ({run.failure()})"
        return "proved", f"checked by {run.summary}"

    return verdict


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


def lean_result(result: ProveResult) -> PropertyResult:
    """The Lean step as a row of the report (id LEAN): it says plainly whether and which Lean ran."""
    evidence = tuple(Evidence(f"theorem-{o.status.replace(' ', '-')}", f"{o.property} {o.theorem}: {o.status}: {o.message}",
                              (), {"property": o.property, "theorem": o.theorem, "status": o.status})
                     for o in result.outcomes)
    claimed = [o for o in result.outcomes if o.status != "not claimed"]
    if result.run is None:
        return PropertyResult("LEAN", "Lean proof", Status.SKIPPED,
                              f"not run: {NO_TOOLCHAIN} ({len(claimed)} theorem(s) would be checked); {INSTALL}", evidence)
    module = f"Instances.{result.module}"
    if result.failed:
        bad = [o.property for o in claimed if o.status == "failed"]
        return PropertyResult("LEAN", "Lean proof", Status.VIOLATED,
                              f"Lean rejected {', '.join(bad)} of module {module} ({result.run.summary})", evidence)
    if result.stopped:
        return PropertyResult("LEAN", "Lean proof", Status.UNKNOWN,
                              f"Lean did not finish module {module}: {result.run.failure()}", evidence)
    return PropertyResult("LEAN", "Lean proof", Status.HOLDS,
                          f"{result.run.summary}: {len(claimed)} theorem(s) of module {module} proved: "
                          f"{', '.join(o.property for o in claimed) or 'none claimed'}", evidence)


def runs_unasked(lean: Lean | None) -> bool:
    """Whether `--lean auto` runs this Lean: lake does (incremental, seconds); the npm build is
    not started unasked (minutes per system)."""
    return lean is not None and lean.kind == LAKE


def with_lean_step(system: System, report: Report, mode: str, project: Path | None = None) -> Report:
    """`report` with the Lean step added. mode: on (any Lean found runs; none is an environment
    problem: exit 3), auto (lake runs when it is on PATH; the npm build is not started unasked,
    since it takes minutes per system; either way a step not run is a note, not a property),
    off (not run: a note)."""
    if mode == "off":
        return _with_note(report, "Lean was not run (--lean off): nothing was checked by Lean")
    lean = find_lean(project)
    if lean is None:
        if mode == "on":
            raise EnvironmentProblem(f"--lean on, but {NO_TOOLCHAIN}; {INSTALL}")
        # Without a toolchain nothing is emitted: the module's claims are only worth their cost
        # when Lean will check them (`smosverify emit lean` shows them on request).
        return _with_note(report, f"Lean was not run: {NO_TOOLCHAIN}; {INSTALL}; "
                                  "`smosverify emit lean` shows what would be claimed")
    if mode == "auto" and not runs_unasked(lean):
        return _with_note(report, f"Lean was not run: {lean.short} takes minutes per system, so it runs only "
                                  "when asked (--lean on, or `smosverify prove`)")
    row = lean_result(prove(lean_module(system, report), project, lean))
    return Report(report.system, report.files, report.results + (row,), report.notes)


def _with_note(report: Report, note: str) -> Report:
    return Report(report.system, report.files, report.results, report.notes + (note,))
