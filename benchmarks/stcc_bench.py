"""smosverify's authority analysis of a capDL spec against capDL-tool's STCC analysis (`-a`).

    python benchmarks/stcc_bench.py [N ...] [--spec clustered|merging ...] [--sel4 DIR] [--repeat R] [--timeout S]

capDL-tool's `parse-capDL` is taken from PATH or built once with GHC from the workspace's
capDL-tool (--sel4 DIR, else $SMOSVERIFY_SEL4), exactly as `smosverify image` does
(smosverify/image/capdl_tool.py: cached under ~/.cache/smosverify). Without it the script says
why and exits 3.

For each spec of N threads (benchmarks/capdl_bench.py makes them) it runs, interleaved so that
all see the same load, R times each:
- smosverify: a fresh Python process reads the spec, then closes its authority
  (smosverify.analyses.capdl.authority.spec_authority): CPU of the read and of the closure;
- capDL-tool `-t`: read the spec, check it and print it as text (what `-a` also does);
- capDL-tool `-a`: the same, plus its analysis (the STCC leak and flow matrices, written as dot
  files, and the saturated spec as text).
CPU time is user + system of each process. The analysis alone: smosverify's closure against
capDL-tool's `-a` less its `-t`; end to end: the whole smosverify process against the whole `-a`
process. Printed: each run, then the best of R of each and the ratios (issue 14: >= 100x at 1k).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from capdl_bench import HERE, write_inputs  # noqa: E402

sys.path.insert(0, str(HERE))

from smosverify.errors import EnvironmentProblem  # noqa: E402
from smosverify.image.capdl_tool import TOOL, find_parse_capdl  # noqa: E402
from smosverify.image.workspace import ENV_VAR, Workspace  # noqa: E402

OURS = """
import json, resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
from smosverify.load.capdl.reader import load_capdl
from smosverify.analyses.capdl.authority import spec_authority
start = cpu()
spec = load_capdl(sys.argv[1])
read = cpu()
authority = spec_authority(spec)
print(json.dumps({"read": read - start, "closure": cpu() - read, "threads": len(authority.threads)}))
"""


def find_tool(sel4: str | None) -> Path:
    on_path = shutil.which(TOOL)
    if on_path:
        return Path(on_path)
    where = sel4 or os.environ.get(ENV_VAR)
    if not where:
        _skip(f"{TOOL} is not on PATH and no seL4 workspace was given to build it from (--sel4 DIR or ${ENV_VAR})")
    try:
        return find_parse_capdl(Workspace(Path(where).expanduser().resolve()), lambda note: print(note, flush=True))
    except EnvironmentProblem as err:
        _skip(str(err))


def _skip(why: str):
    print(f"skipped: {why}", file=sys.stderr)
    raise SystemExit(3)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(command: list[str], timeout: float, **kwargs) -> tuple[float, subprocess.CompletedProcess | None]:
    """CPU seconds of the child, and its result (None when it ran out of time)."""
    before = children_cpu()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        return children_cpu() - before, None  # the killed child was waited for: its time counts
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {(done.stdout + done.stderr).strip()[-500:]}")
    return children_cpu() - before, done


def ours(cdl: Path, timeout: float) -> dict:
    total, done = timed([sys.executable, "-c", OURS, str(cdl)], timeout, env={**os.environ, "PYTHONPATH": str(HERE)},
                        cwd=tempfile.gettempdir())
    if done is None:
        return {"total": total, "timeout": True}
    return {"total": total, **json.loads(done.stdout)}


def tool(parse_capdl: Path, option: str, cdl: Path, out: Path, timeout: float) -> dict:
    total, done = timed([str(parse_capdl), option, str(out / f"out{option}"), str(cdl)], timeout)
    return {"total": total, "timeout": done is None}


def bench(spec: str, n: int, parse_capdl: Path, repeat: int, timeout: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cdl, _ = write_inputs(spec, n, out)
        print(f"{spec} N={n}: {cdl.stat().st_size / 1e6:.2f} MB of capDL", flush=True)
        best: dict[str, dict] = {}
        for run in range(repeat):
            results = {"smosverify": ours(cdl, timeout), "capDL-tool -t": tool(parse_capdl, "-t", cdl, out, timeout),
                       "capDL-tool -a": tool(parse_capdl, "-a", cdl, out, timeout)}
            for name, m in results.items():
                detail = f" (read {m['read']:.3f} + closure {m['closure']:.3f})" if "closure" in m else ""
                late = "  TIMED OUT" if m.get("timeout") else ""
                print(f"  run {run + 1} {name:>14}: cpu {m['total']:8.3f} s{detail}{late}", flush=True)
                if name not in best or m["total"] < best[name]["total"]:
                    best[name] = m
        if any(m.get("timeout") for m in best.values()):
            print(f"  a run reached the {timeout:.0f} s limit: ratios are lower bounds at most")
        analysis = best["capDL-tool -a"]["total"] - best["capDL-tool -t"]["total"]
        closure = best["smosverify"].get("closure")
        if closure is not None:
            print(f"  analysis alone: capDL-tool -a less -t {analysis:.3f} s, smosverify closure {closure:.3f} s: "
                  f"{analysis / max(closure, 1e-3):.0f}x")
        print(f"  end to end:     capDL-tool -a {best['capDL-tool -a']['total']:.3f} s, smosverify process "
              f"{best['smosverify']['total']:.3f} s: {best['capDL-tool -a']['total'] / best['smosverify']['total']:.1f}x",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="*", default=[1000])
    parser.add_argument("--spec", action="append", choices=("clustered", "merging"), help="default: both")
    parser.add_argument("--sel4", help="seL4 workspace whose capDL-tool to build (default: $SMOSVERIFY_SEL4)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a run may take (default 1800)")
    args = parser.parse_args()
    parse_capdl = find_tool(args.sel4)
    for spec in args.spec or ["clustered", "merging"]:
        for n in args.n:
            bench(spec, n, parse_capdl, args.repeat, args.timeout)


if __name__ == "__main__":
    main()
