"""Fuzz the four parsers (YAML systems, policies, capDL, Microkit SDFs) for as long as asked.

The same mutation fuzzer as tests/fuzz, without its small budget: each parser gets its share of
the time, every case runs the real command in-process, and any traceback, hang, or exit 2
without `file:line:col` is printed with the mutated input saved for replay. The process's memory
is capped, so that a read without bound is a MemoryError here, not a stalled machine.

    python benchmarks/fuzz_parsers.py [--minutes M] [--seed S] [--target yaml|policy|capdl|sdf ...] [--keep DIR]

Exit 1 when any case failed. Prints, per parser: cases run, cases per second, failures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fuzz.mutation import TARGETS, fuzz, prepare_workspace  # noqa: E402

MEMORY_LIMIT = 4 << 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="total time, shared by the parsers (default 5)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="default: the current time (printed)")
    parser.add_argument("--target", action="append", choices=TARGETS, help="a parser to fuzz (default: all four)")
    parser.add_argument("--keep", type=Path, help="the workspace, with failures/ (default: a temporary folder)")
    args = parser.parse_args()
    targets = args.target or list(TARGETS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    root = args.keep or Path(tempfile.mkdtemp(prefix="smosverify-fuzz-"))
    workspace = prepare_workspace(root / "workspace")
    share = args.minutes * 60 / len(targets)
    print(f"seed {args.seed}, {share:.0f} s per parser, workspace {workspace}", flush=True)
    failed = 0
    for target in targets:
        start = time.monotonic()
        count = 0
        failures = []
        for failure in fuzz(target, workspace, args.seed, seconds=share):
            count += 1
            if failure is not None:
                failures.append(failure)
                print(f"\n{target} case {failure.index} ({' '.join(failure.args)}), input {failure.saved}:\n{failure.problem}\n", flush=True)
        elapsed = time.monotonic() - start
        print(f"{target:7} {count:7} cases  {count / elapsed:7.1f}/s  {len(failures)} failure(s)", flush=True)
        failed += len(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
