"""Time P7 (dynamic safety) on generated systems with dynamic rules.

    python benchmarks/dynamic_bench.py [N ...]

Takes the generated systems of generate_system.py (N components) and adds dynamic rules: every
client sid may spawn workers of a worker sid, workers may connect to every server and receive
file handles from clients. Variant `allowed` also allows the authority spawning brings (P7 may
still find the handle impersonation the generator's grant edges allow); variant `bare` does not,
so P7 finds violations and computes their traces. Prints, per N and variant: BFS levels, steps,
summaries, closed-state size, the seconds for P7, the number of findings and of report entries
(findings grouped by cause), and a hash of P7's JSON result, which must not change when only
speed does.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate_system import generate  # noqa: E402

from smosverify.analyses.dynamic.safety import check_dynamic_safety, explore  # noqa: E402
from smosverify.load.system import load_system  # noqa: E402

RULES = """
sid worker_t;
spawn clients -> worker_t;
connect worker_t -> servers;
pass clients -> worker_t : file;
allow worker_t servers : endpoint { send };
allow worker_t { file0_t file1_t file2_t file3_t file4_t file5_t file6_t file7_t file8_t file9_t } : file { open read close };
"""
AUTHORITY = """
allow clients worker_t : { tcb cnode vspace } control;
allow clients worker_t : memory { read write execute };
allow worker_t self : { tcb cnode vspace } control;
allow worker_t self : memory { read write execute };
"""


def bench(n: int, variant: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(n, Path(tmp))
        policy = Path(tmp) / "policy.pol"
        policy.write_text(policy.read_text() + RULES + (AUTHORITY if variant == "allowed" else ""))
        system = load_system(path)
        t0 = time.perf_counter()
        levels = explore(system)
        t1 = time.perf_counter()
        result = check_dynamic_safety(system)
        t2 = time.perf_counter()
    final = levels[-1]
    caps = sum(len(r) for _, _, r in final.closure.edges())
    traced = sum(1 for e in result.evidence if e.data.get("steps"))
    found = sum(e.data.get("count", 1) for e in result.evidence if e.kind != "initial-state-violated")
    digest = hashlib.sha256(json.dumps(result.to_json(), sort_keys=True).encode()).hexdigest()[:16]
    print(f"N={n:>6} {variant:>7}: levels={len(levels)} steps={len(final.steps):>6} summaries={len(final.summaries())} "
          f"caps={caps:>7}  explore={t1 - t0:6.2f}s  P7 total={t2 - t1:6.2f}s  {result.status.value} "
          f"({found} finding(s) in {len(result.evidence)} entries, {traced} with a dynamic trace)  hash={digest}", flush=True)


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [200, 1000]:
        for variant in ("allowed", "bare"):
            bench(n, variant)
