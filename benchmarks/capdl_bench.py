"""Time reading capDL specs, closing their authority, `capdl inspect` and `conform`, at N threads.

    python benchmarks/capdl_bench.py [N ...] [--spec clustered|merging ...] [--steps STEP ...] [--against DIR]

Two specs of N threads and about 10 caps per thread (N=10k: 100k caps):
- clustered: a system (5% servers, clients with three connections each, 1 in 50 of them carrying
  grant, a shared region for every 10 clients, a notification for every 20) emitted as capDL
  by smosverify (3 TCB slots, 4 page-table entries, the CNode's endpoint caps per thread);
- merging: every thread's CNode holds send, receive and grant on one hub endpoint, so the grant
  rule merges every CSpace into one and each thread can come to hold every cap in the spec
  (threads x reachable objects is N x 4N authority edges), plus caps to its own endpoint,
  notification, frames and TCB, and a badged send to its neighbour's endpoint.

Each step runs in a fresh Python process (imports included, peak memory its own): `parse` (read
the spec), `closure` (read it and close its authority), `inspect` (`capdl inspect --format json`
and text, output size), `conform` (clustered only: the model's closure, the spec's, the checks).
Printed per step: CPU seconds (user + system, up to the step's end, not its hashing), wall
seconds, peak memory, and a hash of the step's result (the objects and their slots for parse; the
transfers and each node's number of closed caps for closure; the JSON for inspect; the report for
conform), so a change that must keep results identical shows the same hash. With --against DIR (another checkout) both trees run each step
alternately and the ratios are printed. Goals (issue 14): parse + closure of 10k threads under
5 s and 1 GB for both specs, conform at 10k under 10 s and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CONNECTIONS_PER_CLIENT = 3
MERGING_FRAMES = 4
STEPS = ("parse", "closure", "inspect", "conform")


def generate_system(n: int, out: Path, seed: int = 1) -> Path:
    """A system of n components (one of them the policy server) as system.yaml + policy.pol."""
    rng = random.Random(seed)
    servers = [f"s{i}" for i in range(max(1, n // 20))]
    clients = [f"c{i}" for i in range(n - len(servers) - 1)]
    (out / "policy.pol").write_text("\n".join([
        "sid policy_t, server_t, client_t, shared_t, note_t;",
        "allow client_t server_t : endpoint { send grant grant_reply };",
        "allow server_t policy_t : endpoint { send grant_reply };",
        "allow { client_t server_t } shared_t : memory { read write };",
        "allow { client_t server_t } note_t : notification *;",
    ]) + "\n")
    lines = [f"system: capdl-bench-{n}", "policy: policy.pol", "components:", "  auth: {sid: policy_t, role: policy}"]
    lines += [f"  {s}: {{sid: server_t, role: server}}" for s in servers]
    lines += [f"  {c}: {{sid: client_t, role: client}}" for c in clients]
    lines.append("connections:")
    lines += [f"  - {{from: {s}, to: auth, rights: [send, grant_reply]}}" for s in servers]
    for c in clients:
        for s in rng.sample(servers, min(CONNECTIONS_PER_CLIENT, len(servers))):
            rights = "[send, grant]" if rng.random() < 0.02 else "[send, grant_reply]"
            lines.append(f"  - {{from: {c}, to: {s}, rights: {rights}}}")
    lines.append("regions:")
    lines += [f"  r{i}: {{sid: shared_t, map: {{{rng.choice(clients)}: [read, write], {rng.choice(servers)}: [read]}}}}"
              for i in range(len(clients) // 10)]
    lines.append("notifications:")
    lines += [f"  n{i}: {{sid: note_t, signal: [{rng.choice(servers)}], wait: [{rng.choice(clients)}]}}"
              for i in range(len(clients) // 20)]
    path = out / "system.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def merging_spec(n: int) -> str:
    """capDL text of n threads whose CSpaces all merge through one hub endpoint."""
    objects = ["  hub = ep"]
    caps = []
    for i in range(n):
        objects += [f"  t{i} = tcb (addr: 0x10000, ip: 0x0, sp: 0x0, prio: 100, max_prio: 100, affinity: 0, resume: False)",
                    f"  cn{i} = cnode (4 bits)", f"  ep{i} = ep", f"  nt{i} = notification", f"  f{i}[{MERGING_FRAMES}] = frame (4k)"]
        frames = "  ".join(f"{4 + k}: f{i}[{k}] (RW)" for k in range(MERGING_FRAMES))
        caps += [f"  t{i} {{ cspace: cn{i}  ipc_buffer_slot: f{i}[0] (RW) }}",
                 f"  cn{i} {{ 0: hub (RWG)  1: ep{i} (RW)  2: nt{i} (RW)  3: ep{(i + 1) % n} (W, badge: {i + 1})  {frames}"
                 f"  {4 + MERGING_FRAMES}: t{i} }}"]
    return "\n".join(["arch x86_64", "", "objects {", *objects, "}", "", "caps {", *caps, "}", ""])


def write_inputs(spec: str, n: int, out: Path) -> tuple[Path, Path | None]:
    """The spec file (and, for the clustered spec, the system it was emitted from)."""
    cdl = out / f"{spec}-{n}.cdl"
    if spec == "merging":
        cdl.write_text(merging_spec(n))
        return cdl, None
    folder = out / f"system-{n}"
    folder.mkdir()
    system = generate_system(n, folder)
    emitted = subprocess.run([sys.executable, "-c", "from smosverify.cli import main; main()", "emit", "capdl", str(system),
                              "-o", str(cdl)], env=_env(HERE), cwd=tempfile.gettempdir(), capture_output=True, text=True)
    if emitted.returncode != 0:
        raise SystemExit(f"emit capdl failed: {emitted.stderr}")
    return cdl, system


MEMORY_LIMIT = 8 << 30  # a step past it fails (MemoryError) instead of pressing a shared machine into swap
MEASURE = """
import hashlib, json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[4]), int(sys.argv[4])))
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
wall = time.perf_counter()
step, cdl, system = sys.argv[1], sys.argv[2], sys.argv[3]
from smosverify.load.capdl.reader import load_capdl
size = None
if step == "conform":
    from smosverify.analyses.capdl.conformance import conform_capdl
    from smosverify.load.system import load_system
    from smosverify.report import render
    model = load_system(system)
    report = conform_capdl(model, load_capdl(cdl, "x86_64"))
    done = cpu()
    result = render(report, "json")
else:
    spec = load_capdl(cdl)
    done = cpu()
    if step == "parse":
        result = repr(sorted((o.name, o.type.value, o.params, sorted(o.slots.items())) for o in spec.objects.values()))
    else:
        from smosverify.analyses.capdl.authority import spec_authority
        authority = spec_authority(spec)
        done = cpu()
        # each node's number of closed caps, and every transfer: the closure, without threads x caps
        result = repr((authority.transfers, [len(caps) for caps in authority.node_caps]))
    if step == "inspect":
        from smosverify.report.capdl_inspect import inspect_summary, render_inspect
        summary = inspect_summary(spec, authority)
        result = render_inspect(summary, "json")
        size = len(result) + len(render_inspect(summary, "text"))
        done = cpu()
print(json.dumps({"cpu": done, "wall": time.perf_counter() - wall, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "hash": hashlib.sha256(result.encode()).hexdigest()[:16], "size": size}))
"""


def _env(tree: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}  # the same set order in every run


def measure(tree: Path, step: str, cdl: Path, system: Path | None) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, step, str(cdl), str(system), str(MEMORY_LIMIT)], env=_env(tree),
                         cwd=tempfile.gettempdir(), capture_output=True, text=True)
    if out.returncode != 0:
        return {"failed": (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]}
    return json.loads(out.stdout)


def show(label: str, m: dict) -> str:
    if "failed" in m:
        return f"{label}: FAILED ({m['failed']})"
    size = f"  output {m['size'] / 1e6:.1f} MB" if m["size"] is not None else ""
    return f"{label}: cpu {m['cpu']:6.2f} s  wall {m['wall']:6.2f} s  peak {m['peak_mb']:6.0f} MB{size}  hash={m['hash']}"


def bench(spec: str, n: int, steps: list[str], against: Path | None) -> None:
    trees = [("this", HERE)] + ([("against", against)] if against else [])
    with tempfile.TemporaryDirectory() as tmp:
        cdl, system = write_inputs(spec, n, Path(tmp))
        print(f"{spec} N={n}: {cdl.stat().st_size / 1e6:.1f} MB of capDL", flush=True)
        for step in steps:
            if step == "conform" and system is None:
                continue
            results = {}
            for name, tree in trees:  # interleaved, so both see the same load
                results[name] = measure(tree, step, cdl, system)
                print("  " + show(f"{step:>8} {name:>7}", results[name]), flush=True)
            if against and not any("failed" in m for m in results.values()):
                this, other = results["this"], results["against"]
                same = "same results" if this["hash"] == other["hash"] else "different results"
                print(f"  {step:>8}   ratio against/this: cpu {other['cpu'] / this['cpu']:.2f}x  "
                      f"peak {other['peak_mb'] / this['peak_mb']:.2f}x  {same}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--spec", action="append", choices=("clustered", "merging"), help="default: both")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--against", type=Path, help="another checkout of smosverify to compare with")
    args = parser.parse_args()
    for spec in args.spec or ["clustered", "merging"]:
        for n in args.n:
            bench(spec, n, args.steps, args.against)


if __name__ == "__main__":
    main()
