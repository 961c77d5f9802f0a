"""Time the whole `check` (P1-P7, no Lean) on generated systems of N components.

    python benchmarks/check_bench.py [N ...] [--repeat R] [--against DIR]

Each measurement runs in a fresh Python process (start-up and imports included, peak memory its
own) on the system of generate_system.py: loading the YAML and the policy, then every property.
It prints, per N: CPU seconds (user + system) for start-up and loading, and for the analyses (and,
timed again in a second fresh process, the closure and P1-P4 alone), wall seconds,
peak memory, the verdict, and a hash of the JSON report, so a change that must keep the results
identical shows the same hash. With --against DIR (another checkout, e.g. `git worktree add DIR
HEAD~3`) the two trees are measured alternately in the same run and the ratios printed: on a
shared machine only ratios measured side by side mean much.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate_system import generate  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
CPU = """
import resource
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
"""
MEASURE = CPU + """
import hashlib, json, sys, time
wall = time.perf_counter()
from smosverify.analyses.check import check_system
from smosverify.load.system import load_system
from smosverify.report import render
system = load_system(sys.argv[1])
loaded = cpu()
report = check_system(system)
checked = cpu()
elapsed = time.perf_counter() - wall
text = render(report, "json")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": loaded, "check": checked - loaded, "wall": elapsed, "peak_mb": peak,
                  "verdict": report.verdict.value, "hash": hashlib.sha256(text.encode()).hexdigest()[:16]}))
"""
# closure + P1-P4 as check_system runs them first, in a process of their own (timed after a whole
# check in the same process, they ran up to 1.5x slower on the first check's leftover heap)
AUTHORITY = CPU + """
import json, sys
from smosverify.load.system import load_system
system = load_system(sys.argv[1])
try:  # the layout of this tree (older trees, measured with --against, may not have it)
    from smosverify.analyses.authority.closure import authority_closure
    from smosverify.analyses.authority.conformance import check_authority_conformance
    from smosverify.analyses.authority.mediation import check_complete_mediation
    from smosverify.analyses.authority.tamper import check_tamper_proofness
    from smosverify.analyses.policy.sanity import check_policy_sanity
    from smosverify.gc_pause import cycle_collection_paused
except ImportError:
    authority = None
else:
    start = cpu()
    with cycle_collection_paused():  # as check_system runs them
        closure = authority_closure(system)
        for p in (check_complete_mediation, check_tamper_proofness, check_authority_conformance):
            p(system, closure)
        check_policy_sanity(system)
    authority = cpu() - start
print(json.dumps({"authority": authority}))
"""


def measure(tree: Path, system: Path) -> dict:
    return {**_run(tree, MEASURE, system), **_run(tree, AUTHORITY, system)}


def _run(tree: Path, script: str, system: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", script, str(system)], env=env, cwd=tempfile.gettempdir(),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def show(name: str, n: int, m: dict) -> str:
    return (f"N={n:>6} {name:>7}: start+load={m['load']:6.2f}s  check P1-P7={m['check']:6.2f}s (closure+P1-P4 in a process of their own: {_seconds(m['authority'])})  cpu total={m['load'] + m['check']:6.2f}s  "
            f"wall={m['wall']:6.2f}s  peak={m['peak_mb']:5.0f} MB  {m['verdict']}  hash={m['hash']}")


def bench(n: int, repeat: int, against: Path | None) -> None:
    trees = [("this", HERE)] + ([("against", against)] if against else [])
    with tempfile.TemporaryDirectory() as tmp:
        system = generate(n, Path(tmp))
        best: dict[str, dict] = {}
        for _ in range(repeat):
            for name, tree in trees:  # interleaved, so both see the same load
                m = measure(tree, system)
                print(show(name, n, m), flush=True)
                if name not in best or m["load"] + m["check"] < best[name]["load"] + best[name]["check"]:
                    best[name] = m
    if against:
        this, other = best["this"], best["against"]
        same = "same results" if this["hash"] == other["hash"] else "DIFFERENT RESULTS"
        print(f"N={n:>6}   ratio against/this (best of {repeat}): cpu {_ratio(other, this, 'load', 'check')}  "
              f"load {_ratio(other, this, 'load')}  check {_ratio(other, this, 'check')}  "
              f"peak {other['peak_mb'] / this['peak_mb']:.2f}x  {same}")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}s"


def _ratio(a: dict, b: dict, *keys: str) -> str:
    return f"{sum(a[k] for k in keys) / max(sum(b[k] for k in keys), 1e-9):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=1, help="measurements per tree (the best is compared)")
    parser.add_argument("--against", type=Path, help="another checkout of smosverify to compare with")
    args = parser.parse_args()
    for n in args.n:
        bench(n, args.repeat, args.against)


if __name__ == "__main__":
    main()
