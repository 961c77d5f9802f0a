"""A deliberately naive reference for the flow graph and P5 (issue 11, "Evidence of soundness"),
written from docs/flow-and-leakage.md, docs/properties.md (P5) and the flow rules of
smosverify/semantics/rules.py, never from smosverify/analyses: the fast P5 is compared with it.

The edges come from the naive closure's caps (naive.py), one rule at a time, as the flow table
states them. P5 is a literal search over (source label, node, labels the information may be
treated as): no strongly connected components, no bitsets. A node is a string: a component's
name, `server.object`, a region's or notification's name, or `X.endpoint` for the endpoint node
through which receivers on X's endpoint affect each other.
"""

from __future__ import annotations

from typing import Callable

from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import System, Target

from . import naive
from .naive import Cap

Edge = tuple[str, str]
Violation = tuple[str, str]  # (source label, sink label)

READ, WRITE, SEND, RECEIVE, SIGNAL, WAIT, CONTROL = (
    Right.READ, Right.WRITE, Right.SEND, Right.RECEIVE, Right.SIGNAL, Right.WAIT, Right.CONTROL)
CONTROLLED = (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE)


def holders(caps: frozenset[Cap], target: Target, right: Right) -> set[str]:
    return {h for h, t, rights, _ in caps if t == target and right in rights}


def targets_of(caps: frozenset[Cap], kind: ObjectKind) -> set[Target]:
    return {t for _, t, _, _ in caps if t.kind is kind}


# -- the edges, rule by rule -----------------------------------------------------------------

def call_and_answer(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """`call`: sender -> receiver; `answer` (a full reply, a decision or the 1-bit
    synchronisation): receiver -> sender, whatever the sender's grant rights."""
    return {
        edge
        for e in targets_of(caps, ObjectKind.ENDPOINT)
        for a in holders(caps, e, SEND) for b in holders(caps, e, RECEIVE)
        for edge in ((a, b), (b, a))
    }


def receive_affects(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """Two or more receivers on an endpoint: each -> the endpoint node -> each; two or more
    waiters on a notification: each -> the notification."""
    edges: set[Edge] = set()
    for e in targets_of(caps, ObjectKind.ENDPOINT):
        receivers = holders(caps, e, RECEIVE)
        if len(receivers) > 1:
            edges |= {(r, str(e)) for r in receivers} | {(str(e), r) for r in receivers}
    for n in targets_of(caps, ObjectKind.NOTIFICATION):
        waiters = holders(caps, n, WAIT)
        if len(waiters) > 1:
            edges |= {(w, n.name) for w in waiters}
    return edges


def signal(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """Signaller -> notification -> waiter."""
    return {
        edge
        for n in targets_of(caps, ObjectKind.NOTIFICATION)
        for edge in {(s, n.name) for s in holders(caps, n, SIGNAL)} | {(n.name, w) for w in holders(caps, n, WAIT)}
    }


def memory(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """Only a cap with read maps memory: it reads; with write as well, it also writes. A region is
    a node of its own; another component's frames stand for that component."""
    edges: set[Edge] = set()
    for h, t, rights, _ in caps:
        if t.kind not in (ObjectKind.REGION, ObjectKind.FRAMES) or READ not in rights:
            continue
        edges.add((t.name, h))
        if WRITE in rights:
            edges.add((h, t.name))
    return edges


def control(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """Control of X's TCB, CNode or VSpace: both ways."""
    return {edge for h, t, rights, _ in caps if t.kind in CONTROLLED and CONTROL in rights
            for edge in ((h, t.name), (t.name, h))}


def implementation(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """A server and each object it implements, both ways."""
    return {edge for o in system.objects() for node in [f"{o.server}.{o.name}"]
            for edge in ((o.server, node), (node, o.server))}


def moves(system: System, cls: str, direction: str) -> set[str]:
    """The operations of `cls` that read (or write): as declared, else every operation."""
    declared = [f for f in system.policy.operation_flows if f.cls == cls]
    if not declared:
        return set(system.policy.classes[cls].operations)
    return {op for f in declared if f.direction == direction for op in f.operations}


def acting_sids(system: System, caps: frozenset[Cap]) -> set[tuple[str, str, str]]:
    """(caller, server, sid): whoever holds send on a server's endpoint acts as its own sid and as
    every sid its badges let it speak as (naive.borrowed_identities)."""
    own = {(h, t.name, system.components[h].sid)
           for h, t, rights, _ in caps if t.kind is ObjectKind.ENDPOINT and SEND in rights}
    return own | naive.borrowed_identities(system, caps)


def operations(system: System, caps: frozenset[Cap]) -> set[Edge]:
    """Caller -> object by the writing operations the policy allows an acting sid; object ->
    caller by the reading ones."""
    edges: set[Edge] = set()
    for caller, server, sid in acting_sids(system, caps):
        for o in system.components[server].objects:
            node = f"{server}.{o.name}"
            allowed = {op for op in system.policy.classes[o.cls].operations if system.policy.allows(sid, o.sid, o.cls, op)}
            if allowed & moves(system, o.cls, "writes"):
                edges.add((caller, node))
            if allowed & moves(system, o.cls, "reads"):
                edges.add((node, caller))
    return edges


EDGE_RULES: tuple[Callable[[System, frozenset[Cap]], set[Edge]], ...] = (
    call_and_answer, receive_affects, signal, memory, control, implementation, operations)


def edges(system: System, caps: frozenset[Cap]) -> frozenset[Edge]:
    """Every one-step flow edge, self-loops left out (they move nothing)."""
    return frozenset(e for rule in EDGE_RULES for e in rule(system, caps) if e[0] != e[1])


# -- labels, the flow policy, trust ------------------------------------------------------------

def label_of_node(system: System, node: str) -> str | None:
    """The label of the node's sid, None when unlabelled. The endpoint node is a conduit between
    receivers, not data of the server's: unlabelled (the docs do not say; the fast graph does so)."""
    name, _, rest = node.partition(".")
    if rest == "endpoint":
        return None
    if name in system.components:
        if rest:
            sid = next(o.sid for o in system.components[name].objects if o.name == rest)
        else:
            sid = system.components[name].sid
    else:
        sid = (system.regions.get(node) or system.notifications[node]).sid
    binding = system.policy.label_of.get(sid)
    return binding.label if binding else None


def below(system: System, a: str, b: str) -> bool:
    """a <= b in the lattice: reflexive and transitive."""
    seen, todo = {a}, [a]
    while todo:
        x = todo.pop()
        for e in system.policy.order:
            if e.lower == x and e.higher not in seen:
                seen.add(e.higher)
                todo.append(e.higher)
    return b in seen


def may_flow(system: System, a: str, b: str) -> bool:
    return below(system, a, b) or any(f.source == a and f.sink == b for f in system.policy.flows)


def trust_holds(system: System, caps: frozenset[Cap], component: str) -> bool:
    """Nobody else has any right on its TCB, CNode, VSpace or frames, nor receive on its endpoint."""
    return not any(naive.intrudes(h, t, r, {component}) for h, t, r in naive.rights_on(caps))


def widenings(system: System, caps: frozenset[Cap]) -> dict[str, list[tuple[str, str]]]:
    """Per component whose trust holds, its declarations (source label, sink label)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for c in system.components.values():
        rules = [(r.source, r.sink) for r in system.policy.trusted if c.sid in r.subjects]
        if rules and trust_holds(system, caps, c.name):
            out[c.name] = rules
    return out


def widened(system: System, rules: list[tuple[str, str]], treated: frozenset[str]) -> frozenset[str]:
    """What may leave a trusted component: each declaration whose source is at or above a label
    the information is treated as adds its sink; declarations chain, so repeat until stable."""
    while True:
        grown = treated | {sink for source, sink in rules if any(below(system, t, source) for t in treated)}
        if grown == treated:
            return treated
        treated = grown


# -- P5 --------------------------------------------------------------------------------------

def p5(system: System, caps: frozenset[Cap], extra: frozenset[Edge] = frozenset()) -> tuple[str, frozenset[Violation]]:
    """From every labelled node, follow every edge carrying (source label, labels the information
    may be treated as); a labelled node is a violation when none of those may flow to its label.
    A trusted component is checked on entry with what arrives and widens what leaves it. `extra`:
    edges a dynamic state adds (operations through handles, naive_dynamic.py)."""
    if not system.policy.labels:
        return "not_applicable", frozenset()
    graph = edges(system, caps) | extra
    nodes = {n for e in graph for n in e} | set(system.components)
    labels = {n: label_of_node(system, n) for n in nodes}
    trust = widenings(system, caps)
    violations: set[Violation] = set()
    for source in nodes:
        origin = labels[source]
        if origin is None:
            continue
        start = (source, frozenset({origin}))
        seen, todo = {start}, [start]
        while todo:
            node, treated = todo.pop()
            sink = labels[node]
            if sink is not None and not any(may_flow(system, t, sink) for t in treated):
                violations.add((origin, sink))
            leaving = widened(system, trust[node], treated) if node in trust else treated
            for a, b in graph:
                if a == node and (b, leaving) not in seen:
                    seen.add((b, leaving))
                    todo.append((b, leaving))
    return ("violated" if violations else "holds"), frozenset(violations)
