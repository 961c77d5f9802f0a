"""Time loading and checking generated Microkit SDFs of N protection domains (N = 1k, 10k).

    python benchmarks/microkit_bench.py [N ...]

The generated system: 1 in 20 PDs is a server (priority 100), the rest clients (priority 1) that
call two servers each (pp channels, which also notify both ways) and share a read-write buffer
with the first; every 10th client publishes a read-only region to the next. Clients and servers
come in two halves labelled low and high (lattice low < high) and every 4th high client reads a
low client's published region, so the flow policy holds. Labels bind PDs and regions by pattern.
Prints, per N: PDs, channels, regions, the seconds spent reading the SDF and building the model
(load), the authority closure, P1-P5 each (P5 with building its flow graph), their sum with load, and the whole of `check`.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.check import check_system
from smosverify.analyses.authority.conformance import check_authority_conformance
from smosverify.analyses.flow.information import check_information_flow
from smosverify.analyses.flow.graph import flow_graph
from smosverify.analyses.authority.mediation import check_complete_mediation
from smosverify.analyses.policy.sanity import check_policy_sanity
from smosverify.analyses.authority.tamper import check_tamper_proofness
from smosverify.load.microkit.system import load_microkit
from smosverify.model.microkit import MicrokitBoard

POLICY = """\
sid low_client_t, high_client_t, low_server_t, high_server_t, buffer_t, published_t;
attribute clients = { low_client_t high_client_t };
attribute servers = { low_server_t high_server_t };
allow low_client_t low_server_t : endpoint { send grant_reply };
allow high_client_t high_server_t : endpoint { send grant_reply };
allow clients servers : notification signal;
allow servers clients : notification signal;
allow { clients servers } self : notification wait;
allow { clients servers } buffer_t : memory { read write };
allow clients published_t : memory { read write };
lattice { low < high };
label { low_client_t low_server_t } : low;
label { high_client_t high_server_t } : high;
"""

LABELS = """\
components:
  "low_c*": low_client_t
  "high_c*": high_client_t
  "low_s*": low_server_t
  "high_s*": high_server_t
regions:
  "buf_*": buffer_t
  "pub_*": published_t
"""


def generate(n: int) -> str:
    half = n // 2
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<system>"]
    pds: list[str] = []
    channels: list[str] = []
    regions: list[str] = []
    for side in ("low", "high"):
        servers = [f"{side}_s{i}" for i in range(max(2, half // 20))]
        clients = [f"{side}_c{i}" for i in range(half - len(servers))]
        maps: dict[str, list[str]] = {p: [] for p in servers + clients}
        next_id = dict.fromkeys(servers + clients, 0)

        def channel(client: str, server: str) -> None:
            a, b = next_id[client], next_id[server]
            next_id[client], next_id[server] = a + 1, b + 1
            channels.append(f'    <channel><end pd="{client}" id="{a}" pp="true" /><end pd="{server}" id="{b}" /></channel>')

        for i, client in enumerate(clients):
            first, second = servers[i % len(servers)], servers[(i + 1) % len(servers)]
            channel(client, first)
            channel(client, second)
            buf = f"buf_{client}"
            regions.append(f'    <memory_region name="{buf}" size="0x1000" />')
            maps[client].append(f'<map mr="{buf}" vaddr="0x1000000" perms="rw" />')
            maps[first].append(f'<map mr="{buf}" vaddr="0x{0x1000000 + 0x1000 * len(maps[first]):x}" perms="rw" />')
            if i % 10 == 0 and i + 1 < len(clients):
                pub = f"pub_{client}"
                regions.append(f'    <memory_region name="{pub}" size="0x1000" />')
                maps[client].append(f'<map mr="{pub}" vaddr="0x2000000" perms="rw" />')
                maps[clients[i + 1]].append(f'<map mr="{pub}" vaddr="0x3000000" perms="r" />')
        for name in servers + clients:
            priority = 100 if name in servers else 1
            pds.append(f'    <protection_domain name="{name}" priority="{priority}"><program_image path="{name}.elf" />'
                       + "".join(maps[name]) + "</protection_domain>")
    # Every 4th high client reads a low client's published region: low -> high is allowed.
    low_pubs = [r.split('"')[1] for r in regions if 'name="pub_low' in r]
    for k, i in enumerate(range(0, len(pds), 4)):
        if pds[i].startswith('    <protection_domain name="high_c') and k < len(low_pubs):
            pds[i] = pds[i].replace("</protection_domain>", f'<map mr="{low_pubs[k]}" vaddr="0x4000000" perms="r" /></protection_domain>')
    return "\n".join(lines + regions + pds + channels + ["</system>", ""])


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bench.system").write_text(generate(n))
        (folder / "bench.pol").write_text(POLICY)
        (folder / "labels.yaml").write_text(LABELS)
        t0 = time.perf_counter()
        # Microkit itself allows 63 PDs (MAX_PDS); the benchmark measures the analyses beyond that
        system = load_microkit(folder / "bench.system", folder / "bench.pol", folder / "labels.yaml", board=MicrokitBoard(max_pds=n))
        t1 = time.perf_counter()
        closure = authority_closure(system)
        t2 = time.perf_counter()
        timings, statuses = [], []
        for check in (lambda: check_complete_mediation(system, closure), lambda: check_tamper_proofness(system, closure),
                      lambda: check_authority_conformance(system, closure), lambda: check_policy_sanity(system),
                      lambda: check_information_flow(system, closure, flow_graph(system, closure))):
            start = time.perf_counter()
            result = check()
            timings.append(time.perf_counter() - start)
            statuses.append(f"{result.id}={result.status.value}")
        t3 = time.perf_counter()
        report = check_system(system)
        t4 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    layout = system.microkit
    per = "  ".join(f"P{i + 1}={t:5.2f}s" for i, t in enumerate(timings))
    print(
        f"N={len(system.components):>6} PDs  channels={len(layout.channels):>6}  regions={len(system.regions):>6}  "
        f"load={t1 - t0:5.2f}s  closure={t2 - t1:5.2f}s  {per}  load+P1-P5={t3 - t0:5.2f}s  "
        f"whole check={t4 - t3:5.2f}s ({report.verdict})  peak={peak_mb:5.0f} MB  {' '.join(statuses)}"
    )


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
        bench(n)
