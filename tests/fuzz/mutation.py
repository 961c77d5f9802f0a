"""A seeded mutation fuzzer for the four parsers (YAML systems, policies, capDL, Microkit SDFs).

Each case takes a file the examples or the capDL tests already have, mutates it a few times
(cuts, copies, swaps, characters and tokens that have broken parsers before: line endings, NUL,
numbers of thousands of digits, nesting bombs, paths to devices, FIFOs and symlink loops) and runs
the real command on it in-process. The contract: exit 0 or 1, or exit 2 with one
`error: FILE:LINE:COL: message` line that quotes little; never a traceback, never a hang.

The same seed gives the same cases. tests/fuzz runs a few hundred of them; benchmarks/fuzz_parsers.py
runs for as long as it is told.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import yaml
from click.testing import CliRunner

from smosverify.cli import main
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("yaml", "policy", "capdl", "sdf")
# A case that uses this much CPU, or waits this long, is a hang (the examples check in well under
# a second). CPU time, so that a busy machine does not make slow cases out of quick ones; wall time
# too, for a read that blocks and uses none.
CASE_CPU_SECONDS = 20.0
CASE_WALL_SECONDS = 120.0
MAX_MESSAGE = 1000  # characters after `error: FILE:` (the longest fixed texts list expected tokens)
ERROR_LINE = re.compile(r"error: (?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>\S.*)")

# Texts that have broken parsers, or could: line endings, invisible and wide characters, a raw
# byte (\udcXX is written as the byte XX), numbers far past 64 bits, YAML 1.1's odd numbers.
COMMON_TOKENS = (
    "\r", "\r\n", "\n", "\t", "\0", "\x0c", "\u2028", "\u2029", "\x85", "\ufeff", "\u200b", "\udcff", "\udcc3",
    "é", "😀", "\\", '"', "'", "`", "#", ";", ",", ":", "=", "-", "*", "~", "%s", "${HOME}",
    "9" * 5000, "0x" + "f" * 5000, "18446744073709551616", "-1", "0", "2.0", "1e3", "010", "0o17", "1:30",
    "n" * 300, "../" * 40, "..", "/",
)
FORMAT_TOKENS = {
    "yaml": (": ", "- ", "? ", "&a ", "*a", "!!python/object:os.system ", "!!set ", "!!int ", "!!float ", "!foo ",
             "---\n", "...\n", "|\n", ">-\n", "<<: ", "~", "null", "yes", ".inf", "{", "}", "[", "]",
             "[" * 2000, "{a: " * 200, "  " * 100 + "- ", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n"),
    "policy": ('import "/dev/zero";\n', 'import "policy.pol";\n', 'import "fifo";\n', 'import "loop.pol";\n',
               "allow ", "deny ", "neverallow ", "self", "{", "}", "->", "<=", " bits", "~" * 3000,
               "attribute a0 = a1;\n", "lattice { lo < hi }\n", "budget lo -> hi <= 1 bits;\n", "class c { x }\n",
               "sid x, y;\n", "label x : lo;\n", "trusted x for lo -> hi;\n", "spawn * -> * as root;\n"),
    "capdl": ("{", "}", "(", ")", "[", "]", ":", ",", "-- ", "/*", "*/", "/* /* */", "arch aarch64\n", "objects {\n",
              "caps {\n", "cdt {\n", "irq maps {\n", "= ep", "= tcb", "= cnode (4 bits)", "= frame (4k)", "..",
              "@", "(R)", "(RWGP)", "badge: ", "guard: ", "guard_size: ", "paddr: ", "maps: ", "0x", "[" * 2000),
    "sdf": ("<", ">", "</", "/>", "<!DOCTYPE s [<!ENTITY a \"b\">]>", "&a;", "&#0;", "&#x110000;", "<?xml version='1.0'?>",
            "<![CDATA[x]]>", "<!--", "-->", " priority=\"", " size=\"", " vaddr=\"", " prefill_path=\"/dev/zero\"",
            " prefill_path=\"fifo\"", "<protection_domain name=\"x\">", "</protection_domain>", "<channel>",
            "<end pd=\"x\" id=\"0\" />", "<map mr=\"x\" vaddr=\"0x1000\" perms=\"rwx\" />", "<x>" * 2000),
}


@dataclass(frozen=True)
class Case:
    """A file to mutate and the command (arguments relative to the workspace) that reads it."""

    target: str
    file: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    target: str
    seed: int
    index: int
    problem: str
    args: tuple[str, ...]
    saved: Path  # the mutated file, kept for replaying


def prepare_workspace(root: Path) -> Path:
    """Copies of the examples, policies and capDL specs, plus the special files paths may name."""
    shutil.copytree(REPO / "examples", root / "examples")
    shutil.copytree(REPO / "policies", root / "policies")
    shutil.copytree(REPO / "tests" / "capdl" / "specs", root / "capdl")
    for folder in [root / "examples" / d for d in os.listdir(root / "examples")] + [root / "capdl"]:
        if folder.is_dir():
            os.mkfifo(folder / "fifo")
            (folder / "loop.pol").symlink_to("loop.pol")
    return root


def cases(workspace: Path) -> dict[str, list[Case]]:
    """Every (file, command) pair the examples and capDL specs give, by target."""
    found: dict[str, list[Case]] = {t: [] for t in TARGETS}
    for system in sorted((workspace / "examples").glob("*/*.yaml")):
        data = yaml.safe_load(system.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "system" not in data:
            continue
        check = ("check", _rel(system, workspace), "--lean", "off", "--format", "json")
        found["yaml"].append(Case("yaml", _rel(system, workspace), check))
        if isinstance(data.get("labels"), str):
            found["yaml"].append(Case("yaml", _rel(system.parent / data["labels"], workspace), check))
        if isinstance(data.get("sdf"), str):
            found["sdf"].append(Case("sdf", _rel(system.parent / data["sdf"], workspace), check))
        for policy in load_system(system).policy.files:
            found["policy"].append(Case("policy", _rel(Path(policy), workspace), check))
    for spec in sorted((workspace / "capdl").rglob("*.cdl")):
        found["capdl"].append(Case("capdl", _rel(spec, workspace), ("capdl", "inspect", _rel(spec, workspace))))
    return found


def _rel(path: Path, workspace: Path) -> str:
    return os.path.relpath(os.path.normpath(path), workspace)


def mutate(text: str, target: str, donors: list[str], rng: random.Random) -> str:
    """One to four mutations of `text`; `donors` are other files of the same format to splice from."""
    for _ in range(rng.randint(1, 4)):
        text = rng.choice(_MUTATIONS)(text, target, donors, rng)
    return text


def _span(text: str, rng: random.Random) -> tuple[int, int]:
    start = rng.randrange(len(text) + 1)
    return start, min(len(text), start + rng.choice((1, 1, 2, 5, 20, 200)))


def _delete(text, target, donors, rng):
    start, end = _span(text, rng)
    return text[:start] + text[end:]


def _duplicate(text, target, donors, rng):
    start, end = _span(text, rng)
    return text[:end] + text[start:end] * rng.choice((1, 2, 100, 3000)) + text[end:]


def _insert_token(text, target, donors, rng):
    at = rng.randrange(len(text) + 1)
    token = rng.choice(FORMAT_TOKENS[target] if rng.random() < 0.6 else COMMON_TOKENS)
    return text[:at] + token + text[at:]


def _swap_lines(text, target, donors, rng):
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _splice(text, target, donors, rng):
    donor = rng.choice(donors).split("\n")
    lines = text.split("\n")
    at = rng.randrange(len(lines) + 1)
    start = rng.randrange(len(donor))
    return "\n".join(lines[:at] + donor[start:start + rng.randint(1, 10)] + lines[at:])


def _renumber(text, target, donors, rng):
    numbers = list(re.finditer(r"\d+", text))
    if not numbers:
        return text
    m = rng.choice(numbers)
    return text[:m.start()] + rng.choice(("9" * 5000, "0", "-1", "010", "2.0", "4294967296", "18446744073709551616")) + text[m.end():]


def _repath(text, target, donors, rng):
    """A file name in the text becomes one that must not be read, or cannot be."""
    suffixes = list(re.finditer(r"\.(?:pol|yaml|system|cdl|elf)\b", text))
    if not suffixes:
        return text
    m = rng.choice(suffixes)
    start = m.start()  # back to the name's start by hand: a regex would backtrack over long runs
    while start > 0 and m.start() - start < 300 and (text[start - 1].isalnum() or text[start - 1] in "_./-"):
        start -= 1
    special = ("/dev/zero", "/dev/urandom", "/proc/self/environ", "fifo", "loop.pol", ".", "n" * 300, "d/" * 2100, "")
    return text[:start] + rng.choice(special) + text[m.end():]


def _truncate(text, target, donors, rng):
    return text[:rng.randrange(len(text) + 1)]


_MUTATIONS = (_delete, _duplicate, _insert_token, _insert_token, _swap_lines, _splice, _renumber, _repath, _truncate)


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def contract_problem(exit_code: int, stdout: str, stderr: str, exception: BaseException | None) -> str | None:
    """Why this run breaks the contract (a traceback, a hang, a bad error line), or None."""
    if isinstance(exception, _Hang):
        return f"no answer within {CASE_CPU_SECONDS:.0f} s of CPU or {CASE_WALL_SECONDS:.0f} s"
    if exception is not None and not isinstance(exception, SystemExit):
        return "".join(traceback.format_exception(exception))[-3000:]
    if exit_code in (0, 1):
        return None
    if exit_code != 2:
        return f"exit code {exit_code}: {stderr[-500:]}"
    lines = stderr.splitlines()
    if stdout or len(lines) != 1:
        return f"exit 2 must print one line on stderr and nothing on stdout: {stderr[:500]!r} / {stdout[:200]!r}"
    match = ERROR_LINE.fullmatch(lines[0])
    if match is None:
        return f"exit 2 without `error: FILE:LINE:COL: message`: {lines[0][:500]!r}"
    if len(match["message"]) > MAX_MESSAGE:
        return f"an error message of {len(match['message'])} characters (quotes must be short): {lines[0][:300]!r}..."
    return None


def run(args: tuple[str, ...], workspace: Path) -> str | None:
    """Run `smosverify ARGS` in the workspace, in-process, with a watchdog; the contract problem or None."""
    timers = ((signal.ITIMER_PROF, signal.SIGPROF, CASE_CPU_SECONDS), (signal.ITIMER_REAL, signal.SIGALRM, CASE_WALL_SECONDS))
    previous = [signal.signal(signum, _alarm) for _, signum, _ in timers]
    cwd = os.getcwd()
    os.chdir(workspace)
    for timer, _, seconds in timers:
        signal.setitimer(timer, seconds)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    finally:
        for (timer, signum, _), handler in zip(timers, previous):
            signal.setitimer(timer, 0)
            signal.signal(signum, handler)
        os.chdir(cwd)
    return contract_problem(result.exit_code, result.stdout, result.stderr, result.exception)


def fuzz(target: str, workspace: Path, seed: int, count: int | None = None, seconds: float | None = None):
    """Run mutated cases of `target` (`count` of them, or for `seconds`); yield, for each case,
    its Failure or None.

    The cases are a function of the seed alone: failure N of a seed is replayed by running the
    same seed again up to N (or from the saved file)."""
    rng = random.Random(f"{seed}:{target}")
    pool = cases(workspace)[target]
    originals = {case.file: (workspace / case.file).read_text(encoding="utf-8") for case in pool}
    donors = list(originals.values())
    failures_dir = workspace / "failures"
    deadline = None if seconds is None else time.monotonic() + seconds
    index = 0
    while (count is None or index < count) and (deadline is None or time.monotonic() < deadline):
        case = rng.choice(pool)
        mutated = mutate(originals[case.file], target, donors, rng)
        path = workspace / case.file
        path.write_bytes(mutated.encode("utf-8", "surrogateescape"))
        try:
            problem = run(case.args, workspace)
        finally:
            path.write_text(originals[case.file], encoding="utf-8")
        if problem is None:
            yield None
        else:
            failures_dir.mkdir(exist_ok=True)
            saved = failures_dir / f"{target}-{seed}-{index}{path.suffix}"
            saved.write_bytes(mutated.encode("utf-8", "surrogateescape"))
            yield Failure(target, seed, index, problem, case.args, saved)
        index += 1
