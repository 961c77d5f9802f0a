"""Time what Lean costs on the instance module of a generated system of N components.

    python benchmarks/lean_bench.py N [--seed S] [--timeout T] [--definitions-only | --theorems p1,p3] [--profile [MS]] [--split [--jobs J]]

It generates the system of generate_system.py, emits its instance module (`smosverify emit
lean`: the Python analyses, the certificates, the mirror deciding the claims) and prints the CPU
seconds that took, the module's size, the numerals of its definitions and the sizes of its
lists, and which properties it claims. It then has the Lean of `smosverify doctor` check the module and
prints Lean's time and peak memory, or that the run was stopped at the time limit (a stopped run
proves nothing). With --definitions-only the module is cut before its first theorem, so the run
measures reading the data alone: the floor any checker design pays; --theorems keeps only the
theorems whose names start with one of the given prefixes (to find which checker is the wall).
--profile turns on Lean's profiler and prints what it reports (parsing, elaboration and kernel
time per command over one second, or over MS milliseconds, and the totals): parsing, not checking,
was once the wall.
--split (npm Lean only) compiles the data to an .olean of its own in one run and checks the
theorems importing it in a second, and prints both runs: the second shows what the checkers cost
without the data's elaboration in memory (how N=1,000's parts were measured). With --jobs J the
long lists of the data are compiled in J modules and the part theorems proved by `decide +kernel`
are dealt into J files, each stage J processes at a time on as many cores (`split`).
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
from smosverify.lean_stages import split  # noqa: E402
from smosverify.lean_toolchain import NPM, check, check_split, default_project, find_lean  # noqa: E402
from smosverify.load.system import load_system  # noqa: E402

NUMERAL = re.compile(r"(?<![\w.])\d+")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cut(text: str, namespace: str, keep: tuple[str, ...]) -> str:
    """The module with only the theorems whose names start with one of `keep` (none for `()`), and
    the part theorems (`part_…`) they cite."""
    start = text.index(f"\nnamespace {namespace}\n")
    end = text.index(f"\nend {namespace}\n", start)
    pieces = re.split(r"(?=^theorem )", text[start:end], flags=re.M)
    named = {re.match(r"theorem (\w+)", p).group(1): p for p in pieces[1:]}
    kept = {name for name in named if keep and name.startswith(keep)}
    cited = kept
    while cited:
        cited = {w for name in cited for w in re.findall(r"\bpart_\w+", named[name].split(":=", 1)[1])} - kept
        kept |= cited
    return text[:start] + pieces[0] + "".join(p for name, p in named.items() if name in kept) + text[end:]


def profiled(text: str, threshold: int = 1000) -> str:
    """The module with Lean's profiler on for its own commands, reporting each step over
    `threshold` milliseconds."""
    return text.replace("\nopen SMOS\n", f"\nopen SMOS\nset_option profiler true\nset_option profiler.threshold {threshold}\n", 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds before the Lean run is stopped")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--definitions-only", action="store_true", help="check the data without the theorems")
    only.add_argument("--theorems", help="keep only the theorems whose names start with these comma-separated prefixes")
    parser.add_argument("--profile", type=int, nargs="?", const=1000, metavar="MS",
                        help="print Lean's profile of the module's commands, each step over MS milliseconds (1000)")
    parser.add_argument("--split", action="store_true", help="compile the data to its own .olean, then check the theorems")
    parser.add_argument("--jobs", type=int, default=0, metavar="J",
                        help="with --split: the long lists in J modules and the decide parts in J files, J at a time")
    args = parser.parse_args()
    keep = () if args.definitions_only else tuple(args.theorems.split(",")) if args.theorems else None
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
        text = module.text if keep is None else cut(module.text, f"Instances.{module.name}", keep)
        what = "the whole module" if keep is None else f"theorems {args.theorems}" if keep else "definitions only"
        wall = time.perf_counter()
        if args.split:
            if lean.kind != NPM:
                print("--split needs the npm Lean (lake builds its own modules): nothing checked")
                return 3
            stages, theorems = split(text, module.definitions, f"Instances.{module.name}", args.jobs)
            watch = (lambda t: profiled(t, args.profile)) if args.profile is not None else (lambda t: t)
            stages = tuple(tuple((name, watch(t)) for name, t in stage) for stage in stages)
            runs = check_split(lean, default_project(), Path(tmp), stages, (theorems[0], watch(theorems[1])), args.jobs,
                               timeout=args.timeout)
            names = (*(name for stage in stages for name, _ in stage), what)
        else:
            path = write_lean_module(module, tmp)
            path.write_text(profiled(text, args.profile) if args.profile is not None else text, encoding="utf-8")
            runs = (check(lean, default_project(), [f"Instances.{module.name}"], extra=Path(tmp), timeout=args.timeout),)
            names = (what,)
        for name, run in zip(names, runs):
            print(f"{name}: {run.summary}")
            if args.profile is not None:
                print("\n".join(line for line in run.log.splitlines() if " took " in line or line.startswith("\t")))
            if not run.ok:
                print(f"not checked: {run.failure()}")
        print(f"{time.perf_counter() - wall:.0f} s wall with the library step")
        return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
