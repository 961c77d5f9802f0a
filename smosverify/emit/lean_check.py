"""The Lean checkers' conditions, evaluated in Python on the data of an instance module.

`smosverify emit lean` claims a property only when the Python analysis found it to hold AND the
emitted data passes the condition the Lean checker decides (lean/SMOS/Checkers), so `lake build`
fails only if the library disagrees with this reading of it. Where the two models differ (the
Lean rules are in docs/lean.md) a property can hold in Python yet not be claimable; the reason is
written into the module. Each function returns problems (empty: the condition holds).
"""

from __future__ import annotations

from smosverify.emit.lean_data import kind_rights
from smosverify.emit.lean_flow import labels_of, leave, rule_edges, untampered
from smosverify.model.system import Role

SHOWN = 3


def show(x) -> str:
    """A component, target, cap, handle or node in the instance module's own notation."""
    if isinstance(x, tuple) and len(x) == 4 and isinstance(x[3], bool):
        return f"summary {x[1]} .{x[2]}" if x[3] else f"comp{x[0]}"
    if isinstance(x, tuple) and len(x) == 2 and x[0] in ("comp", "obj", "chan"):  # a flow-graph node
        return {"comp": lambda: f".comp {show(x[1])}", "obj": lambda: f".obj obj{x[1][0]}",
                "chan": lambda: f".chan ({show(x[1])})"}[x[0]]()
    if isinstance(x, tuple) and x and x[0] == "own":
        return f".own ({show(x[1])}) .{x[2]}"
    if isinstance(x, tuple) and x and x[0] == "chan":
        return f".chan .{x[1]} {x[2]} {x[3]}"
    if isinstance(x, tuple) and len(x) == 4 and isinstance(x[1], tuple) and x[1] and x[1][0] in ("own", "chan"):
        return f"⟨{show(x[0])}, {show(x[1])}, [{', '.join('.' + r for r in x[2])}], {x[3]}⟩"
    if isinstance(x, tuple) and len(x) == 3 and isinstance(x[1], tuple):
        return f"⟨{show(x[0])}, obj{x[1][0]}, {x[2]}⟩"
    if isinstance(x, tuple):
        return "(" + ", ".join(show(v) for v in x) + ")"
    return str(x)


def c_abs(c: tuple) -> tuple:
    return (0 if c[3] else c[0], *c[1:])


def t_abs(t: tuple) -> tuple:
    return ("own", c_abs(t[1]), t[2]) if t[0] == "own" else t


def cap_abs(c: tuple) -> tuple:
    return (c_abs(c[0]), t_abs(c[1]), c[2], c[3])


def kind(t: tuple) -> str:
    return t[2] if t[0] == "own" else t[1]


def kernel_closed(sys: dict, cert: dict) -> list[str]:
    """`checkKernelClosed`: the certificate covers the initial state and is closed under every
    rule of `KStep`, each premise checked on one cap."""
    A, comps = set(cert["caps"]), set(cert["comps"])
    bad = [f"initial component {show(c)} missing" for c in sys["comps"] if c_abs(c) not in comps]
    bad += [f"initial cap {show(c)} missing" for c in sys["caps"] if cap_abs(c) not in A]
    held: dict[tuple, set[tuple]] = {}
    by_target: dict[tuple, list[tuple]] = {}
    for c in cert["caps"]:  # lists, not sets: the first problem found is reproducible
        held.setdefault(c[0], set()).add(c[1:])
        by_target.setdefault(c[1], []).append(c)

    def subset(giver: tuple, taker: tuple, rule: str) -> None:
        missing = held.get(giver, set()) - held.get(taker, set())
        bad.extend(f"{rule}: {show(taker)} lacks {show((giver, *m))}'s copy, which {show(giver)} holds"
                   for m in sorted(missing, key=repr)[:1])

    for caps in by_target.values():
        for g in caps:
            if "send" in g[2] and "grant" in g[2]:
                for v in (v for v in caps if "receive" in v[2]):
                    subset(g[0], v[0], "grant")
            if "send" in g[2] and ("grant" in g[2] or "grantReply" in g[2]):
                for v in (v for v in caps if "receive" in v[2] and "grant" in v[2]):
                    subset(v[0], g[0], "reply")
    for a, target, rights, _ in cert["caps"]:
        if target[0] != "own" or "control" not in rights:
            continue
        x, k = target[1], target[2]
        if k == "cnode":
            subset(x, a, "copyOut")
            subset(a, x, "copyIn")
        derived = {"tcb": (("tcbCNode", "cnode", ("control",)), ("tcbVSpace", "vspace", ("control",))),
                   "vspace": (("vspaceFrames", "frames", ("read", "write", "execute")),)}.get(k, ())
        bad += [f"{rule}: {show(a)} controls {show(x)}'s {k} but lacks {show((a, ('own', x, gained), got, 0))}"
                for rule, gained, got in derived if (a, ("own", x, gained), got, 0) not in A]
    for u, t in sys["covers"]:
        for a, target, rights, _ in cert["caps"]:
            want = (a, t_abs(t), kind_rights(kind(t)), 0)
            if target == t_abs(u) and "control" in rights and want not in A:
                bad.append(f"untypedCover: {show(a)} controls {show(u)} but lacks {show(want)}")
    return bad


def sends_to(caps, c: tuple, v: tuple) -> bool:
    """`sendsTo`: `c` holds a cap with send to `v`'s endpoint."""
    return any(h == c and t == ("own", v, "endpoint") and "send" in rights for h, t, rights, _ in caps)


def dynamic_closed(sys: dict, cert: dict) -> list[str]:
    """`checkSpawn`, `checkConnect`, `checkOpen`, `checkPass`."""
    pol, A, comps, handles = sys["policy"], set(cert["caps"]), cert["comps"], set(cert["handles"])
    bad = []
    for p in comps:
        for parent, child, role in pol["spawn"]:
            if parent != p[1]:
                continue
            kid = (0, child, role, True)
            bad += [f"spawn: {show(kid)} missing"] if kid not in comps else []
            bad += [f"spawn: {show(p)} lacks control of {show(kid)}'s {k}" for k in ("tcb", "cnode", "vspace")
                    if (p, ("own", kid, k), ("control",), 0) not in A]
    for client, server in pol["connect"]:
        bad += [f"connect: {show(c)} lacks send on {show(v)}'s endpoint" for c in comps for v in comps
                if (c[1], v[1]) == (client, server) and not sends_to(cert["caps"], c, v)]
    permitted: dict[tuple, list[int]] = {}
    for (s, ob, cls, op), permit in sys["decisions"]:
        if permit:
            permitted.setdefault((s, ob, cls), []).append(op)
    senders: dict[tuple, list[tuple]] = {}
    for h, t, rights, _ in cert["caps"]:
        if "send" in rights:
            senders.setdefault(t, []).append(h)
    for o in sys["objects"]:
        for holder in senders.get(("own", c_abs(o[3]), "endpoint"), ()):
            bad += [f"open: handle {show((holder, o, op))} missing" for op in permitted.get((holder[1], o[2], o[1]), ())
                    if (holder, o, op) not in handles]
    for holder, obj, op in cert["handles"]:
        bad += [f"pass: handle {show((r, obj, op))} missing" for s, rcv, cls in pol["pass"] for r in comps
                if (s, rcv, cls) == (holder[1], r[1], obj[1]) and (r, obj, op) not in handles]
    badges = {b for _, b, _ in sys["clients"]}
    return bad + [f"declared badge {b} is no declared connection's" for b in cert["declared"] if b not in badges]


def relied(sys: dict, cert: dict) -> list[str]:
    """`checkRelied`: every component of role policy and every one whose sid a trust rule names is
    initial and untampered."""
    trusting = {subject for subject, _, _ in sys["policy"]["trust"]}
    return [f"{show(c)} is relied on but spawned or can be tampered with" for c in sys["comps"]
            if (is_policy(c) or c[1] in trusting) and not untampered(cert["caps"], c)]


def conforms(sys: dict, cert: dict) -> list[str]:
    """`checkConforms`: every cap and handle is permitted."""
    pol = sys["policy"]
    kernel, allow = set(pol["kernelAllow"]), set(pol["allow"])

    def sid(t: tuple) -> int:
        return t[1][1] if t[0] == "own" else t[3]

    bad = [f"{r} of cap {show(e)} is not in kernelAllow" for e in cert["caps"] for r in e[2]
           if (e[0][1], sid(e[1]), kind(e[1]), r) not in kernel]
    return bad + [f"handle {show(h)} is not in allow" for h in cert["handles"] if (h[0][1], h[1][2], h[1][1], h[2]) not in allow]


def apart(a: tuple, b: tuple) -> bool:
    """`apartB`: two different components, or a summary (which stands for many)."""
    return a != b or a[3]


def badge_covers(declared, listed: int, badge: int) -> bool:
    """`badgeCoversB`: a listed endpoint cap's badge stands for `badge`: the same badge, an unbadged
    cap (minted with any badge), or two badged ones where `badge` is no declared connection's."""
    return listed == badge or listed == 0 or (badge != 0 and badge not in declared)


def _callers(cert: dict) -> dict[tuple, list[tuple]]:
    """`callerB`: the listed caps with send to an endpoint held by someone apart from its owner, by
    endpoint."""
    callers: dict[tuple, list[tuple]] = {}
    for e in cert["caps"]:
        if e[1][0] == "own" and e[1][2] == "endpoint" and "send" in e[2] and apart(e[0], e[1][1]):
            callers.setdefault(e[1], []).append(e)
    return callers


def _allowed_ops(sys: dict) -> dict[tuple, list[int]]:
    """The operations `allow` permits each (subject sid, object sid, class)."""
    ops: dict[tuple, list[int]] = {}
    for q in sys["policy"]["allow"]:
        ops.setdefault(q[:3], []).append(q[3])
    return ops


def no_borrow(sys: dict, cert: dict) -> list[str]:
    """`checkNoBorrow`: whoever but an object's server holds send on the server's endpoint with a
    badge standing for a declared client's may do on the object, under its own sid, all that the
    client's sid may (Python's `borrowed-identity`)."""
    allow = set(sys["policy"]["allow"])
    ops = _allowed_ops(sys)
    clients: dict[tuple, list[tuple]] = {}
    for d in sys["clients"]:
        clients.setdefault(d[0], []).append(d)
    callers = _callers(cert)
    declared = set(cert["declared"])
    bad = []
    for o in sys["objects"]:
        server = o[3]
        for holder, _, _, badge in callers.get(("own", c_abs(server), "endpoint"), ()):
            for _, _, sid in (d for d in clients.get(server, ()) if badge_covers(declared, badge, d[1])):
                bad += [f"{show(holder)} can call {show(server)} as sid {sid} (badge {badge}), which may do op {op} on obj{o[0]}, "
                        f"which sid {holder[1]} may not" for op in ops.get((sid, o[2], o[1]), ())
                        if (holder[1], o[2], o[1], op) not in allow][:SHOWN]
    return bad


def callers_distinct(sys: dict, cert: dict) -> list[str]:
    """`checkCallersDistinct`: two callers of an object's server whose badges may meet (equal, or
    one unbadged: it can be minted with the other) have sids the policy permits the same operations
    on the object (Python's `ambiguous-badge`)."""
    ops = _allowed_ops(sys)
    callers = _callers(cert)
    bad = []
    for o in sys["objects"]:
        by_badge: dict[int, dict[frozenset, tuple]] = {}  # badge -> permitted ops -> one caller with them
        for e in callers.get(("own", c_abs(o[3]), "endpoint"), ()):
            by_badge.setdefault(e[3], {}).setdefault(frozenset(ops.get((e[0][1], o[2], o[1]), ())), e)
        unbadged = by_badge.get(0, {})
        for badge in sorted(by_badge):
            seen = {**by_badge[badge], **unbadged} if badge else unbadged
            if len(seen) > 1:
                (ops1, e1), (ops2, e2) = sorted(seen.items(), key=lambda kv: repr(kv[1]))[:2]
                op = min(ops1 ^ ops2)
                first, second = (e1, e2) if op in ops1 else (e2, e1)
                bad.append(f"{show(first[0])} (badge {first[3]}) and {show(second[0])} (badge {second[3]}) can call "
                           f"{show(o[3])} with one badge, and sid {first[0][1]} may do op {op} on obj{o[0]}, sid {second[0][1]} may not")
    return bad[:SHOWN]


def flow_closed(sys: dict, cert: dict) -> list[str]:
    """`checkFlowClosed`: the graph has every rule edge, the facts are closed under it and
    allowed where they arrive, and the trusted components are initial and untampered."""
    pol, trusted = sys["policy"], cert["trusted"]
    succ, facts = dict(cert["edges"]), {v: set(fs) for v, fs in cert["facts"]}
    bad = [f"declared: badge {b} missing" for _, b, _ in sys["clients"] if b not in cert["declared"]]
    bad += [f"handle {show(h)}: its server is spawned" for h in cert["handles"] if h[1][3][3]]
    bad += [f"obj{o[0]}: its server is spawned" for o in sys["objects"] if o[3][3]]
    bad += [f"edge {show(u)} -> {show(v)} missing" for u, v in sorted(rule_edges(sys, cert), key=repr) if v not in succ.get(u, ())][:SHOWN]
    for u, vs in cert["edges"]:
        arriving = [(label, (label,)) for label in labels_of(pol, u)] + sorted(facts.get(u, ()))
        bad += [f"fact {show((f[0], leave(pol, trusted, u, f[1])))} missing at {show(v)}" for v in vs for f in arriving
                if (f[0], leave(pol, trusted, u, f[1])) not in facts.get(v, ())][:SHOWN]
    flows = set(pol["flows"])
    bad += [f"{show(v)} (label {lb}) receives information labelled {f[0]} treated as {list(f[1])}, which may not flow there"
            for v, fs in cert["facts"] for f in fs for lb in labels_of(pol, v) if not any((l, lb) in flows for l in f[1])]
    return bad + [f"trusted {show(c)} is spawned or can be tampered with" for c in trusted if not untampered(cert["caps"], c)]


def is_policy(c: tuple) -> bool:
    """`isPolicy`."""
    return c[2] == Role.POLICY.value


def servers_connected(sys: dict) -> list[str]:
    """`checkServersConnected`: every object's server is a policy server or holds send on one's endpoint."""
    monitors = [p for p in sys["comps"] if is_policy(p)]
    return [f"{show(o[3])} (server of obj{o[0]}) holds no send on a policy server's endpoint"
            for o in sys["objects"] if not is_policy(o[3]) and not any(sends_to(sys["caps"], o[3], p) for p in monitors)]


def policy_correct(sys: dict) -> list[str]:
    """`checkPolicyCorrect`: every decision is the policy's, and no allowed tuple is neverallowed."""
    pol = sys["policy"]
    allow = set(pol["allow"])
    bad = [f"decision {show(q)} says {'permit' if permit else 'deny'}, the policy says {'permit' if q in allow else 'deny'}"
           for q, permit in sys["decisions"] if permit != (q in allow)]
    both = sorted(set(pol["allow"]) & set(pol["neverallow"])) + sorted(set(pol["kernelAllow"]) & set(pol["kernelNeverallow"]))
    return bad + [f"{show(t)} is allowed and neverallowed" for t in both]


def leakage(pol: dict, net: dict, cuts: list) -> list[str]:
    """`checkLeakageBounded`: every budget has a cut avoiding the sinks, within the budget."""
    bad = []
    for budget in pol["budgets"]:
        source, sink, bits = budget
        ok = False
        for b, cut in cuts:
            side = {v for v, lab in net["labels"] if lab == source} | set(cut)
            sinks = {v for v, lab in net["labels"] if lab == sink}
            capacity = sum(c for a, d, c in net["arcs"] if a in side and d not in side)
            ok = ok or (b == budget and not set(cut) & sinks and capacity <= bits)
        bad += [] if ok else [f"no cut within budget {show(budget)}"]
    return bad


def problems(pid: str, sys: dict, cert: dict, net: dict, cuts: list) -> list[str]:
    """What keeps the checker behind property `pid` from accepting the data (empty: accepted)."""
    servers = lambda: [f"object server {show(server)} is spawned or can be tampered with"  # noqa: E731
                       for server in dict.fromkeys(o[3] for o in sys["objects"]) if not untampered(cert["caps"], server)]
    checks = {
        "P1": lambda: kernel_closed(sys, cert) + servers_connected(sys) + servers() + callers_distinct(sys, cert),
        "P2": lambda: kernel_closed(sys, cert) + relied(sys, cert),
        "P3": lambda: kernel_closed(sys, cert) + conforms(sys, cert) + no_borrow(sys, cert),
        "P4": lambda: policy_correct(sys),
        "P5": lambda: kernel_closed(sys, cert) + flow_closed(sys, cert),
        "P6": lambda: leakage(sys["policy"], net, cuts),
        "P7": lambda: kernel_closed(sys, cert) + dynamic_closed(sys, cert) + servers() + callers_distinct(sys, cert)
        + relied(sys, cert)
        + conforms(sys, cert) + no_borrow(sys, cert) + ([] if not sys["policy"]["labelOf"] else flow_closed(sys, cert)),
    }
    return checks[pid]()
