"""Time what Lean costs on the instance module of a generated system of N components.

    python benchmarks/lean_bench.py N [--seed S] [--timeout T] [--definitions-only]

It generates the system of generate_system.py, emits its instance module (`smosverify emit
lean`: the Python analyses, the certificates, the mirror deciding the claims) and prints the CPU
seconds that took, the module's size, the numerals of its definitions and the sizes of its
lists (what Lean elaborates), and which properties it claims. It then has the Lean of `smosverify doctor` check the module and
prints Lean's time and peak memory, or that the run was stopped at the time limit (a stopped run
proves nothing). With --definitions-only the module is cut before its first theorem, so the run
measures reading the data alone: the floor any checker design pays.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate_system import generate  # noqa: E402

from smosverify.emit.lean import lean_module, write_lean_module  # noqa: E402
from smosverify.lean_toolchain import check, default_project, find_lean  # noqa: E402
from smosverify.load.system import load_system  # noqa: E402

NUMERAL = re.compile(r"(?<![\w.])\d+")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def definitions_only(text: str, namespace: str) -> str:
    """The module up to its first theorem, closed: the data without a claim."""
    end = text.find("\ntheorem ", text.index(f"\nnamespace {namespace}\n"))
    return text if end < 0 else f"{text[:end]}\nend {namespace}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds before the Lean run is stopped")
    parser.add_argument("--definitions-only", action="store_true", help="check the data without the theorems")
    args = parser.parse_args()
    lean = find_lean(default_project())
    with tempfile.TemporaryDirectory(prefix="lean-bench-") as tmp:
        system = load_system(generate(args.n, Path(tmp) / "system", seed=args.seed))
        start = cpu()
        module = lean_module(system)
        emit = cpu() - start
        certificate = module.data["certificate"]
        claimed = ", ".join(c.property for c in module.claims if c.claimed) or "nothing"
        print(f"N={args.n}: emit lean {emit:.1f} s CPU; {len(module.text) / 1e6:.1f} MB of Lean, "
              f"{len(NUMERAL.findall(module.definitions))} numerals in its definitions; {len(module.data['system']['caps'])} initial caps, "
              f"certificate {len(certificate['caps'])} caps, {len(certificate['handles'])} handles; claims {claimed}",
              flush=True)
        if lean is None:
            print("no Lean found (smosverify lean install): nothing checked")
            return 3
        path = write_lean_module(module, tmp)
        if args.definitions_only:
            path.write_text(definitions_only(module.text, f"Instances.{module.name}"), encoding="utf-8")
        wall = time.perf_counter()
        run = check(lean, default_project(), [f"Instances.{module.name}"], extra=Path(tmp), timeout=args.timeout)
        what = "definitions only" if args.definitions_only else "the whole module"
        print(f"{what}: {run.summary} ({time.perf_counter() - wall:.0f} s wall with the library step)")
        if not run.ok:
            print(f"not checked: {run.failure()}")
        return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
