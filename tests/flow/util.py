"""Small systems for the flow tests, and checks of certificates independent of the analyses."""

from __future__ import annotations

import textwrap
from collections import deque

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.flow.graph import FlowGraph, flow_graph
from smosverify.load.system import load_system

POLICY = """\
class file { open read write close }
reads file read;
writes file write;
class blob { get put }
sid policy_t, server_t, alice_t, bob_t, carol_t, file_t, buf_t, note_t;
"""


def server_system(cls: str = "file", callers: tuple[str, ...] = ("alice", "bob")) -> str:
    """A file server `fs` with one object `doc` (sid file_t), a policy server, alice and bob;
    `callers` are connected to fs."""
    calls = "".join(f"  - {{from: {c}, to: fs, rights: [send, grant_reply]}}\n" for c in callers)
    return f"""\
components:
  auth: {{sid: policy_t, role: policy}}
  fs:
    sid: server_t
    role: server
    objects:
      doc: {{class: {cls}, sid: file_t}}
  alice: {{sid: alice_t, role: client}}
  bob: {{sid: bob_t, role: client}}
connections:
{calls}  - {{from: fs, to: auth, rights: [send, grant_reply]}}
"""


def write(tmp_path, yaml_text: str, rules: str = "", policy: str = POLICY):
    """Write system.yaml and policy.pol (the policy gets `rules`); return the system's path."""
    (tmp_path / "policy.pol").write_text(textwrap.dedent(policy) + textwrap.dedent(rules), encoding="utf-8")
    path = tmp_path / "system.yaml"
    path.write_text("system: t\npolicy: policy.pol\n" + textwrap.dedent(yaml_text).lstrip("\n"), encoding="utf-8")
    return path


def build(tmp_path, yaml_text: str, rules: str = "", policy: str = POLICY):
    """(system, closure, flow graph) of a system written from text (the policy gets `rules`)."""
    system = load_system(write(tmp_path, yaml_text, rules, policy))
    closure = authority_closure(system)
    return system, closure, flow_graph(system, closure)


def edges(graph: FlowGraph) -> set[tuple[str, str, str, int]]:
    """(source, sink, channel, capacity) of every edge, by node name."""
    return {(graph.nodes[e.source].name, graph.nodes[e.sink].name, e.channel, e.capacity) for e in graph.edges}


def pairs(graph: FlowGraph) -> set[tuple[str, str]]:
    return {(graph.nodes[e.source].name, graph.nodes[e.sink].name) for e in graph.edges}


def reaches(n: int, tails, heads, caps, s: int, t: int, removed=frozenset()) -> bool:
    """Whether t is reachable from s over edges of positive capacity not in `removed`."""
    succ = [[] for _ in range(n)]
    for i, (a, b, c) in enumerate(zip(tails, heads, caps)):
        if c > 0 and i not in removed:
            succ[a].append(b)
    seen = {s}
    queue = deque([s])
    while queue:
        for w in succ[queue.popleft()]:
            if w not in seen:
                seen.add(w)
                queue.append(w)
    return t in seen


def assert_feasible_flow(n: int, tails, heads, caps, s: int, t: int, flow, value) -> None:
    """`flow` is within capacity on every edge, conserved at every inner node, and has `value`."""
    assert all(0 <= f <= c for f, c in zip(flow, caps)), "capacity"
    balance = [0] * n
    for a, b, f in zip(tails, heads, flow):
        balance[a] -= f
        balance[b] += f
    assert all(balance[v] == 0 for v in range(n) if v not in (s, t)), "conservation"
    assert -balance[s] == value == balance[t], "value"


def assert_separating_cut(n: int, tails, heads, caps, s: int, t: int, cut, value) -> None:
    """`cut` has capacity `value` and removing it leaves no route from s to t."""
    assert sum(caps[i] for i in cut) == value
    assert not reaches(n, tails, heads, caps, s, t, frozenset(cut))
