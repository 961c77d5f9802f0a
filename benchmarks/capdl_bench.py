"""Time reading capDL specs and checking them against the model, for N = 1k and 10k threads.

    python benchmarks/capdl_bench.py [N ...]

Each N generates a system (5% servers, clients with three connections each, 1 in 50 of them
carrying grant, a shared region for every 10 clients, a notification for every 20) and emits it
as capDL: N threads and about 10 caps per thread (3 TCB slots, 4 page-table entries, the CNode's
endpoint caps). Printed per N: the spec's size, and the seconds spent emitting it, parsing it,
closing its authority (wall and CPU time: other jobs on a shared machine inflate wall time), and
running conform (the model's closure, the spec's, and the three checks), plus peak memory.
The goal: parse + closure of 10k threads and 100k caps under 5 s.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from smosverify.analyses.capdl.authority import spec_authority
from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.emit.capdl import emit_capdl
from smosverify.load.capdl.reader import parse_capdl
from smosverify.load.system import load_system

CONNECTIONS_PER_CLIENT = 3


def generate(n: int, out: Path, seed: int = 1) -> Path:
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


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        system = load_system(generate(n, Path(tmp)))
    t0 = time.perf_counter()
    text = emit_capdl(system)
    t1, c1 = time.perf_counter(), time.process_time()
    spec = parse_capdl(text, "bench.cdl")
    authority = spec_authority(spec)
    t2, c2 = time.perf_counter(), time.process_time()
    report = conform_capdl(system, spec)
    t3 = time.perf_counter()
    caps = sum(len(obj.slots) for obj in spec.objects.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"N={n}: {len(authority.threads)} threads, {len(spec.objects)} objects, {caps} caps, "
          f"{len(text) / 1e6:.1f} MB of capDL, {len(authority.transfers)} transfer edges")
    parse, closure = _split(text)
    print(f"  emit {t1 - t0:.2f} s | parse {parse:.2f} s + closure {closure:.2f} s = {t2 - t1:.2f} s "
          f"(CPU {c2 - c1:.2f} s) | conform {t3 - t2:.2f} s ({report.verdict.value}) | peak {peak:.0f} MB")


def _split(text: str) -> tuple[float, float]:
    """Parse and closure timed apart, on a second run."""
    t0 = time.perf_counter()
    spec = parse_capdl(text, "bench.cdl")
    t1 = time.perf_counter()
    spec_authority(spec)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
        bench(n)


if __name__ == "__main__":
    main()
