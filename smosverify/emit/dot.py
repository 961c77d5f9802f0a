"""Pictures of a system in Graphviz DOT: its authority (who holds which caps) or its flows.

Drawn as people draw these systems: clients at the top, servers in boxes with their objects in a
frame around them, the policy server (the reference monitor's decision point) at the bottom,
shared regions as cylinders and notifications as tags. Findings are drawn in: caps the policy
does not allow or that reach the policy server (P2/P3) in red; forbidden flows (P5) in red; the
minimum cut of each budget that holds (P6) in blue; a flow over an exceeded budget in orange.
`neighbourhood` keeps what lies within a few hops of one component, for large systems.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from functools import cache

import jinja2

from smosverify.analyses.authority.closure import AuthorityClosure
from smosverify.analyses.authority.conformance import check_authority_conformance
from smosverify.analyses.flow.information import reachable_facts, shortest_path, violations
from smosverify.analyses.flow.graph import FlowGraph, FlowNode, NodeKind
from smosverify.analyses.flow.policy import flow_policy
from smosverify.analyses.flow.leakage import leakage_network
from smosverify.analyses.flow.maxflow import max_flow
from smosverify.analyses.authority.tamper import check_tamper_proofness
from smosverify.errors import InputError
from smosverify.model.kernel import ObjectKind
from smosverify.model.system import Role, System

ROLE_SHAPE = {
    Role.CLIENT: {"shape": "ellipse"},
    Role.SERVER: {"shape": "box", "style": "filled,rounded"},
    Role.POLICY: {"shape": "doubleoctagon", "fillcolor": "#ffe9a8"},
    Role.ROOT: {"shape": "house", "fillcolor": "#dddddd"},
}
KIND_SHAPE = {
    NodeKind.OBJECT: {"shape": "note", "fillcolor": "#f4f4f4"},
    NodeKind.REGION: {"shape": "cylinder", "fillcolor": "#e3f0ff"},
    NodeKind.NOTIFICATION: {"shape": "cds", "fillcolor": "#eef7e6"},
}
LABEL_COLOURS = ("#d9f2d9", "#fff2cc", "#f8d7da", "#dbe9f6", "#eadcf6", "#fde2c8", "#d6f0f0", "#efefef")
RED, BLUE, ORANGE = "#c62828", "#1565c0", "#ef6c00"


@dataclass(frozen=True)
class DrawnNode:
    id: str
    label: str
    attrs: dict[str, str]
    cluster: str | None = None  # the server whose frame it is drawn in


@dataclass(frozen=True)
class DrawnEdge:
    source: str
    sink: str
    label: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Picture:
    name: str
    title: str
    caption: str
    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]
    ranks: dict[str, tuple[str, ...]]  # "source"/"sink" -> node ids drawn first/last


def node_id(kind: NodeKind, name: str) -> str:
    return f"{kind.value}:{name}"


def _base_nodes(system: System, graph_nodes: tuple[FlowNode, ...], colour: dict[str, str] | None) -> list[DrawnNode]:
    served = {o.server for o in system.objects()}
    out = []
    for node in graph_nodes:
        attrs = dict(KIND_SHAPE.get(node.kind, {}))
        cluster = None
        if node.kind is NodeKind.COMPONENT:
            role = system.components[node.name].role
            attrs = dict(ROLE_SHAPE[role])
            cluster = node.name if node.name in served else None
            text = f"{node.name}\n{node.sid} ({role.value})"
        else:
            text = f"{node.name}\n{node.sid}"
            if node.kind is NodeKind.OBJECT:
                cluster = node.name.split(".", 1)[0]
        if colour is not None:
            text += f"\n[{node.label or 'unlabelled'}]"
            attrs["fillcolor"] = colour.get(node.label, "white")
        out.append(DrawnNode(node_id(node.kind, node.name), text, attrs, cluster))
    return out


def _ranks(system: System) -> dict[str, tuple[str, ...]]:
    return {
        "source": tuple(node_id(NodeKind.COMPONENT, c.name) for c in system.by_role(Role.CLIENT)),
        "sink": tuple(node_id(NodeKind.COMPONENT, c.name) for c in system.by_role(Role.POLICY)),
    }


def authority_picture(system: System, closure: AuthorityClosure, graph: FlowGraph) -> Picture:
    """Every cap of the closure between distinct components and channels; red where P2/P3 object."""
    flagged = set()
    for result in (check_tamper_proofness(system, closure), check_authority_conformance(system, closure)):
        flagged.update((ev.data.get("holder"), ev.data.get("target")) for ev in result.evidence)
    edges = []
    for holder, target, rights in closure.edges():
        if target.name == holder and target.kind not in (ObjectKind.REGION, ObjectKind.NOTIFICATION):
            continue  # a component's own kernel objects and its own endpoint
        kind = {ObjectKind.REGION: NodeKind.REGION, ObjectKind.NOTIFICATION: NodeKind.NOTIFICATION}.get(target.kind, NodeKind.COMPONENT)
        shown = " ".join(sorted(r.value for r in rights))
        text = shown if kind is not NodeKind.COMPONENT else f"{target.kind.value}: {shown}"
        attrs = {}
        if not all(closure.holds(holder, target, r, at_start=True) for r in rights):
            attrs["style"] = "dashed"
        if (holder, str(target)) in flagged:
            attrs.update(color=RED, fontcolor=RED, penwidth="2.5")
        edges.append(DrawnEdge(node_id(NodeKind.COMPONENT, holder), node_id(kind, target.name), text, attrs))
    return Picture(system.name, f"authority of {system.name}",
                   f"{system.name}: authority (dashed: obtained by transfers; red: not allowed by the policy or reaching the policy server)",
                   tuple(_base_nodes(system, graph.nodes, None)), tuple(edges), _ranks(system))


def flow_picture(system: System, closure: AuthorityClosure, graph: FlowGraph) -> Picture:
    """The flow graph, one arrow per pair of nodes listing its channels; P5 paths and P6 cuts drawn in."""
    policy = flow_policy(system.policy, system)
    colour = {label: LABEL_COLOURS[i % len(LABEL_COLOURS)] for i, label in enumerate(policy.labels)}
    marks: dict[int, list[tuple[str, str]]] = {}  # flow-graph edge -> (colour, note)
    node_marks: dict[int, str] = {}
    if policy.labels:
        facts = reachable_facts(graph, policy)
        for a, b in violations(facts):
            for e in shortest_path(facts, a, b):
                marks.setdefault(e, []).append((RED, f"forbidden {policy.labels[a]} -> {policy.labels[b]}"))
    for budget in system.policy.budgets:
        net = leakage_network(graph, budget.source, budget.sink)
        flow = max_flow(net.nodes, net.tails, net.heads, net.caps, net.source, net.sink)
        holds = flow.value <= budget.bits
        chosen = flow.cut if holds else [i for i, f in enumerate(flow.flow) if f]
        for i in chosen:
            note = f"min cut {budget.source} -> {budget.sink}" if holds else f"{flow.flow[i]} bit(s) of {budget.source} -> {budget.sink}"
            if net.origin[i] >= 0:
                marks.setdefault(net.origin[i], []).append((BLUE if holds else ORANGE, note))
            else:
                node_marks[-1 - net.origin[i]] = BLUE if holds else ORANGE
    nodes = _base_nodes(system, graph.nodes, colour)
    for v, c in node_marks.items():
        nodes[v] = replace(nodes[v], attrs={**nodes[v].attrs, "color": c, "penwidth": "2.5"})
    grouped: dict[tuple[int, int], list[int]] = {}
    for i, e in enumerate(graph.edges):
        grouped.setdefault((e.source, e.sink), []).append(i)
    drawn: dict[tuple[int, int], DrawnEdge] = {}
    for (a, b), members in grouped.items():
        channels = dict.fromkeys(f"{graph.edges[i].channel} {graph.edges[i].capacity}" for i in members)
        notes = [m for i in members for m in marks.get(i, ())]
        attrs = {} if all(graph.edges[i].initial for i in members) else {"style": "dashed"}
        if notes:
            attrs.update(color=notes[0][0], fontcolor=notes[0][0], penwidth="2.5")
        label = "\n".join(list(channels) + list(dict.fromkeys(n for _, n in notes)))
        back = drawn.get((b, a))
        if back is not None and back.label == label and back.attrs == attrs:  # the same both ways: one arrow
            drawn[b, a] = replace(back, attrs={**attrs, "dir": "both"})
        else:
            drawn[a, b] = DrawnEdge(nodes[a].id, nodes[b].id, label, attrs)
    edges = list(drawn.values())
    legend = "fill: label; red: forbidden flow (P5); blue: minimum cut of a budget that holds; orange: flow over an exceeded budget (P6)"
    return Picture(system.name, f"information flow of {system.name}", f"{system.name}: information flow ({legend})",
                   tuple(nodes), tuple(edges), _ranks(system))


def neighbourhood(picture: Picture, component: str, depth: int) -> Picture:
    """What lies within `depth` arrows (either way) of a component."""
    start = node_id(NodeKind.COMPONENT, component)
    if start not in {n.id for n in picture.nodes}:
        raise InputError(f"no component '{component}' in system {picture.name}")
    near: dict[str, set[str]] = {}
    for e in picture.edges:
        near.setdefault(e.source, set()).add(e.sink)
        near.setdefault(e.sink, set()).add(e.source)
    distance = {start: 0}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        if distance[v] < depth:
            for w in sorted(near.get(v, ())):
                if w not in distance:
                    distance[w] = distance[v] + 1
                    queue.append(w)
    return replace(
        picture,
        caption=f"{picture.caption}; within {depth} arrow(s) of {component}",
        nodes=tuple(n for n in picture.nodes if n.id in distance),
        edges=tuple(e for e in picture.edges if e.source in distance and e.sink in distance),
        ranks={k: tuple(v for v in ids if v in distance) for k, ids in picture.ranks.items()},
    )


def render_dot(picture: Picture) -> str:
    clusters: dict[str, list[str]] = {}
    loose = []
    framed = {n.id for n in picture.nodes if n.cluster}  # rank constraints do not cross frames
    for n in picture.nodes:
        text = _node(n)
        (clusters.setdefault(n.cluster, []) if n.cluster else loose).append(text)
    return _template().render(
        title=_escape(picture.title), name=_escape(picture.name), caption=_escape(picture.caption),
        clusters=[{"name": _escape(c), "label": _escape(c), "nodes": ns} for c, ns in clusters.items()],
        nodes=loose,
        ranks=[(rank, " ".join(f'"{_escape(i)}";' for i in ids if i not in framed))
               for rank, ids in picture.ranks.items() if set(ids) - framed],
        edges=[f'"{_escape(e.source)}" -> "{_escape(e.sink)}" [{_attrs({"label": e.label, **e.attrs})}];' for e in picture.edges],
    )


def _node(n: DrawnNode) -> str:
    return f'"{_escape(n.id)}" [{_attrs({"label": n.label, **n.attrs})}];'


def _attrs(attrs: dict[str, str]) -> str:
    return ", ".join(f'{k}="{_escape(v)}"' for k, v in attrs.items())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("smosverify.emit", "templates"), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    return env.get_template("graph.dot.j2")
