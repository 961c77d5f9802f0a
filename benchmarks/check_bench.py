"""Time `check` (P1-P4) on generated systems of N = 1k and 10k components.

    python benchmarks/check_bench.py [N ...]

Prints, per N: components, initial caps, closure caps, transfer edges, and the seconds spent
loading (YAML + policy), closing authority, and running P1-P4, plus peak memory.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate_system import generate  # noqa: E402

from smosverify.analyses.authority import authority_closure  # noqa: E402
from smosverify.analyses.conformance import check_authority_conformance  # noqa: E402
from smosverify.analyses.mediation import check_complete_mediation  # noqa: E402
from smosverify.analyses.policy_sanity import check_policy_sanity  # noqa: E402
from smosverify.analyses.tamper import check_tamper_proofness  # noqa: E402
from smosverify.gc_pause import cycle_collection_paused  # noqa: E402
from smosverify.load.system import load_system  # noqa: E402


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(n, Path(tmp))
        t0 = time.perf_counter()
        system = load_system(path)
        t1 = time.perf_counter()
        closure = authority_closure(system)
        t2 = time.perf_counter()
        with cycle_collection_paused():  # as check_system runs them
            results = [
                check_complete_mediation(system, closure),
                check_tamper_proofness(system, closure),
                check_authority_conformance(system, closure),
                check_policy_sanity(system),
            ]
        t3 = time.perf_counter()
    caps = sum(len(c.rights) for c in closure.initial_caps)
    final = sum(len(r) for _, _, r in closure.edges())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verdicts = " ".join(f"{r.id}={r.status.value}" for r in results)
    print(
        f"N={n:>6}  caps(rights)={caps:>7}  closure={final:>7}  transfers={len(closure.transfers):>6}  "
        f"load={t1 - t0:6.2f}s  closure={t2 - t1:6.2f}s  P1-P4={t3 - t2:6.2f}s  "
        f"analysis total={t3 - t1:6.2f}s  peak={peak_mb:6.0f} MB  {verdicts}"
    )


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
        bench(n)
