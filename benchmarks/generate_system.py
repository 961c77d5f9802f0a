"""Generate a synthetic SMOS system of N components for benchmarks.

About 5% servers (each implementing objects and consulting the policy server), the rest
clients with 10 connections each up to N=10k (~95k connections), and fewer beyond, so that a
system has at most ~100k connections (N=100k: 1 each, as a large system of many small clients
would; --fan-out sets the number), shared regions between client/server pairs, notifications,
and grant edges: 1 in 50 clients also holds send+grant to a broker (a server without objects,
which receives that client's caps), and brokers forward caps with send+grant along chains of
five, so transfers chain through several hops.

    python benchmarks/generate_system.py N OUT_DIR [--seed S] [--fan-out F]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

CLIENT_SIDS = 50
SERVER_SIDS = 10
MAX_FAN_OUT = 10
CONNECTIONS = 100_000  # about the most the default fan-out gives, at any N


def default_fan_out(n: int) -> int:
    return max(1, min(MAX_FAN_OUT, CONNECTIONS // n))


def generate(n: int, out: Path, seed: int = 1, fan_out: int | None = None) -> Path:
    rng = random.Random(seed)
    fan_out = default_fan_out(n) if fan_out is None else fan_out
    out.mkdir(parents=True, exist_ok=True)
    n_servers = max(1, n // 20)
    n_brokers = max(1, n // 100)
    n_clients = n - n_servers - n_brokers - 1
    policy = ["class file { open read write close }", "sid policy_t;"]
    policy.append("sid " + ", ".join(f"client{i}_t" for i in range(CLIENT_SIDS)) + ";")
    policy.append("sid " + ", ".join(f"server{i}_t" for i in range(SERVER_SIDS)) + ";")
    policy.append("sid " + ", ".join(f"file{i}_t" for i in range(SERVER_SIDS)) + ", shared_t, note_t;")
    policy.append("attribute clients = { " + " ".join(f"client{i}_t" for i in range(CLIENT_SIDS)) + " };")
    policy.append("attribute servers = { " + " ".join(f"server{i}_t" for i in range(SERVER_SIDS)) + " };")
    policy += [
        "allow clients servers : endpoint *;",
        "allow servers clients : endpoint *;",
        "allow servers servers : endpoint *;",
        "allow clients clients : endpoint *;",
        "allow { clients servers } policy_t : endpoint { send grant_reply };",
        "allow { clients servers } shared_t : memory { read write };",
        "allow { clients servers } note_t : notification *;",
        # brokers (server sids) receive clients' badged caps, and so act as those clients: they
        # may do what clients may, so the system holds (P1's callers and P3's identities agree)
        "allow { clients servers } { " + " ".join(f"file{i}_t" for i in range(SERVER_SIDS)) + " } : file { open read close };",
        "neverallow clients policy_t : cnode *;",
    ]
    (out / "policy.pol").write_text("\n".join(policy) + "\n")

    lines = [f"system: generated-{n}", "policy: policy.pol", "components:", "  auth: {sid: policy_t, role: policy}"]
    servers = [f"s{i}" for i in range(n_servers)]
    clients = [f"c{i}" for i in range(n_clients)]
    brokers = [f"b{i}" for i in range(n_brokers)]
    for i, s in enumerate(servers):
        lines.append(f"  {s}:")
        lines.append(f"    sid: server{i % SERVER_SIDS}_t")
        lines.append("    role: server")
        lines.append(f"    objects: {{f{i}: {{class: file, sid: file{i % SERVER_SIDS}_t}}}}")
    for i, c in enumerate(clients):
        lines.append(f"  {c}: {{sid: client{i % CLIENT_SIDS}_t, role: client}}")
    for i, b in enumerate(brokers):
        lines.append(f"  {b}: {{sid: server{i % SERVER_SIDS}_t, role: server}}")
    lines.append("connections:")
    for i, s in enumerate(servers):
        lines.append(f"  - {{from: {s}, to: auth, rights: [send, grant_reply]}}")
    for i, b in enumerate(brokers):
        if i % 5 != 4 and i + 1 < len(brokers):
            lines.append(f"  - {{from: {b}, to: {brokers[i + 1]}, rights: [send, grant]}}")
    for c in clients:
        for s in rng.sample(servers, min(fan_out, len(servers))):
            lines.append(f"  - {{from: {c}, to: {s}, rights: [send, grant_reply]}}")
        if rng.random() < 0.02:
            lines.append(f"  - {{from: {c}, to: {rng.choice(brokers)}, rights: [send, grant]}}")
    regions = [f"  r{i}: {{sid: shared_t, map: {{{rng.choice(clients)}: [read, write], {rng.choice(servers)}: [read]}}}}"
               for i in range(n_clients // 10)]
    notifications = [f"  n{i}: {{sid: note_t, signal: [{rng.choice(servers)}], wait: [{rng.choice(clients)}]}}"
                     for i in range(n_clients // 20)]
    for key, entries in (("regions", regions), ("notifications", notifications)):
        lines += [f"{key}:", *entries] if entries else [f"{key}: {{}}"]  # an empty section is YAML's null, not a mapping
    path = out / "system.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fan-out", type=int, help="connections from each client to servers (default: 10, fewer past N=10k)")
    args = parser.parse_args()
    print(generate(args.n, args.out, args.seed, args.fan_out))


if __name__ == "__main__":
    main()
