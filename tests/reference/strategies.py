"""Hypothesis strategies for small valid systems, written as the YAML and policy text a user would
write and loaded through the real loader, so that a failing example shrinks to a system a reader
can run by hand (`smosverify check system.yaml`).

A system has 2 to 6 components of any role (servers and policy servers with objects, roots with
and without `keeps`), connections with random rights and badges (0 included), shared regions,
notifications, untyped memory covering any object (other untyped too) and hand-listed caps with
random rights and badges. The policy mixes a blanket allow of the kernel classes, random allow and
deny rules, file permissions (for borrowed identities) and trusted sids.

Choices among names made during a draw are drawn as indices, and every other strategy is built
once: building strategies inside a draw costs more than the checks under test.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

from smosverify.load.system import load_system
from smosverify.model.kernel import KERNEL_CLASSES, ObjectKind, rights_for
from smosverify.model.system import System

SUBJECT_SIDS = ("policy_t", "a_t", "b_t", "c_t")
OBJECT_SIDS = ("o_t", "p_t")
SIDS = SUBJECT_SIDS + OBJECT_SIDS + ("m_t",)
FILE_OPS = ("open", "read", "write", "close")
ROLES = ("client", "server", "policy", "root")
COMPONENT_KINDS = ("tcb", "cnode", "vspace", "frames")


def subsets(options: tuple[str, ...]):
    """A non-empty subset of `options`, as a list in their order (stable text)."""
    return st.integers(1, 2 ** len(options) - 1).map(lambda mask: [o for i, o in enumerate(options) if mask >> i & 1])


def kind_rights(kind: str) -> tuple[str, ...]:
    return tuple(r.value for r in rights_for(ObjectKind(kind)))


# Endpoint rights the rules care about, drawn often; any other subset now and then.
ENDPOINT_COMBOS = (("send",), ("send", "grant"), ("send", "grant_reply"), ("receive",), ("receive", "grant"),
                   ("send", "receive", "grant"), ("grant",), ("send", "receive"))
RIGHTS = {kind.value: subsets(kind_rights(kind.value)) for kind in ObjectKind}
RIGHTS["endpoint"] = st.one_of(st.sampled_from(ENDPOINT_COMBOS).map(list), RIGHTS["endpoint"])
BADGES = st.integers(0, 2)  # few badges: callers often share one
SID_SETS = st.one_of(st.just("*"), st.sampled_from(SIDS))
CLASS_OPS = {cls: subsets(tuple(r.value for r in ops)) for cls, ops in KERNEL_CLASSES.items()}
FILE_OP_SETS = subsets(FILE_OPS)
MAPPINGS = st.one_of(st.sampled_from((["read"], ["read", "write"], ["write"])).map(list), RIGHTS["region"])
LABELS = ("low", "mid", "high", "side")


@dataclass(frozen=True)
class SystemText:
    """A system description and its policy, as text."""

    yaml: str
    policy: str

    def load(self) -> System:
        with tempfile.TemporaryDirectory(prefix="smosverify-ref-") as folder:
            Path(folder, "policy.pol").write_text(self.policy, encoding="utf-8")
            path = Path(folder, "system.yaml")
            path.write_text(self.yaml, encoding="utf-8")
            return load_system(path)


def pick(draw, items):
    return items[draw(st.integers(0, len(items) - 1))]


def some(draw, items, min_size: int = 0, max_size: int = 3, unique: bool = True) -> list:
    """A short list of `items`, drawn by index."""
    if not items:
        return []
    chosen = draw(st.lists(st.integers(0, len(items) - 1), min_size=min_size, max_size=max_size, unique=unique))
    return [items[i] for i in chosen]


def kind_of(target: str, shared: dict[str, str]) -> str:
    return target.partition(".")[2] or shared[target]


@st.composite
def system_texts(draw, flow: bool = False) -> SystemText:
    """With `flow`, the policy is drawn by `flow_policy_text` and regions are mapped mostly with
    the rights the memory rule tells apart (read, read-write, write-only)."""
    names = [f"c{i}" for i in range(draw(st.integers(2, 6)))]
    roles = {n: draw(st.sampled_from(ROLES)) for n in names}
    pairs = [(a, b) for a in names for b in names if a != b]
    to_servers = [(a, b) for a, b in pairs if roles[b] in ("server", "policy")]
    connections = []
    for a, b in some(draw, to_servers, max_size=4) + some(draw, [p for p in pairs if p not in to_servers], max_size=2):
        conn = {"from": a, "to": b, "rights": draw(RIGHTS["endpoint"])}
        if draw(st.booleans()):
            conn["badge"] = draw(BADGES)
        connections.append(conn)
    served = sorted({c["to"] for c in connections})
    regions = {
        f"r{i}": {"sid": draw(st.sampled_from(SIDS)),
                  "map": {c: draw(MAPPINGS if flow else RIGHTS["region"]) for c in some(draw, names, min_size=1)}}
        for i in range(draw(st.integers(0, 2)))
    }
    notifications = {
        f"n{i}": {"sid": draw(st.sampled_from(SIDS)), "signal": some(draw, names, min_size=1), "wait": some(draw, names, min_size=1)}
        for i in range(draw(st.integers(0, 2)))
    }
    untyped_names = [f"u{i}" for i in range(draw(st.integers(0, 2)))]
    shared = {r: "region" for r in regions} | {n: "notification" for n in notifications} | {u: "untyped" for u in untyped_names}
    targets = [f"{n}.{k}" for n in names for k in COMPONENT_KINDS] + [f"{s}.endpoint" for s in served] + list(shared)
    untyped = {
        u: {"sid": draw(st.sampled_from(SIDS)), "covers": some(draw, [t for t in targets if t != u], max_size=4)}
        for u in untyped_names
    }
    components = {n: component(draw, n, roles[n], targets, untyped_names, shared) for n in names}
    data = {"system": "generated", "policy": "policy.pol", "components": components}
    for key, value in (("connections", connections), ("regions", regions), ("notifications", notifications), ("untyped", untyped)):
        if value:
            data[key] = value
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
    return SystemText(text, flow_policy_text(draw) if flow else policy_text(draw))


def flow_system_texts():
    return system_texts(flow=True)


def component(draw, name: str, role: str, targets: list[str], untyped: list[str], shared: dict[str, str]) -> dict:
    """A component's keys; a cap to an untyped is drawn about as often as one to any other target."""
    out: dict = {"sid": draw(st.sampled_from(SUBJECT_SIDS)), "role": role}
    if role in ("server", "policy"):
        objects = {f"{name}_o{j}": {"class": "file", "sid": draw(st.sampled_from(OBJECT_SIDS))}
                   for j in range(draw(st.integers(int(role == "server"), 2)))}
        if objects:
            out["objects"] = objects
    caps = []
    for target in some(draw, targets, unique=False) + some(draw, untyped, max_size=1):
        kind = kind_of(target, shared)
        cap = {"to": target, "rights": draw(RIGHTS[kind])}
        if kind in ("endpoint", "notification") and draw(st.booleans()):
            cap["badge"] = draw(BADGES)
        caps.append(cap)
    if caps:
        out["caps"] = caps
    if role == "root" and draw(st.booleans()):
        out["keeps"] = some(draw, targets)
    return out


def policy_text(draw) -> str:
    lines = ["class file { open read write close }", f"sid {', '.join(SIDS)};"]
    if draw(st.booleans()):
        lines.append(f"allow * * : {{ {' '.join(KERNEL_CLASSES)} }} *;")
    for _ in range(draw(st.integers(0, 5))):
        cls = draw(st.sampled_from(tuple(KERNEL_CLASSES)))
        ops = " ".join(draw(CLASS_OPS[cls]))
        lines.append(f"{draw(st.sampled_from(('allow', 'deny')))} {draw(SID_SETS)} {draw(SID_SETS)} : {cls} {{ {ops} }};")
    for _ in range(draw(st.integers(1, 3))):  # sids decided differently make badges and identities matter
        ops = " ".join(draw(FILE_OP_SETS))
        lines.append(f"allow {draw(st.sampled_from(SUBJECT_SIDS))} {draw(st.sampled_from(OBJECT_SIDS))} : file {{ {ops} }};")
    lines.append("lattice { low < high; }")
    lines += [f"label {sid} : {draw(st.sampled_from(('low', 'high')))};" for sid in some(draw, SIDS, max_size=4)]
    trusted = some(draw, SUBJECT_SIDS, max_size=2)
    if trusted:
        lines.append(f"trusted {{ {' '.join(trusted)} }} for high -> low;")
    return "\n".join(lines) + "\n"


def flow_policy_text(draw) -> str:
    """`policy_text`'s access rules with a richer flow policy: a chain and a label beside it,
    explicit flow rules, labels on any sid, reads/writes maps for `file` (or none: every operation
    then reads and writes) and trust declarations between any two labels."""
    lines = policy_text(draw).splitlines()
    lines = [line for line in lines if not line.startswith(("lattice", "label", "trusted"))]
    lines.append("lattice { low < mid; mid < high; side < high; }")
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f"flow {draw(st.sampled_from(LABELS))} -> {draw(st.sampled_from(LABELS))};")
    lines += [f"label {sid} : {draw(st.sampled_from(LABELS))};" for sid in some(draw, SIDS, max_size=len(SIDS))]
    if draw(st.booleans()):
        lines.append(f"reads file {{ {' '.join(draw(FILE_OP_SETS))} }};")
        lines.append(f"writes file {{ {' '.join(draw(FILE_OP_SETS))} }};")
    for _ in range(draw(st.integers(0, 2))):
        source, sink = draw(st.sampled_from([(a, b) for a in LABELS for b in LABELS if a != b]))
        lines.append(f"trusted {{ {' '.join(some(draw, SUBJECT_SIDS, min_size=1, max_size=2))} }} for {source} -> {sink};")
    return "\n".join(lines) + "\n"


SID_GROUPS = subsets(SUBJECT_SIDS).map(lambda sids: sids[0] if len(sids) == 1 else f"{{ {' '.join(sids)} }}")
SPAWN_ROLES = st.sampled_from(("",) + tuple(f" as {role}" for role in ROLES))


@st.composite
def dynamic_system_texts(draw) -> SystemText:
    """`system_texts` with dynamic rules in the policy: spawns (of any role, or none given),
    connects and passes of files, between groups of subject sids (the sids components have).
    Without budgets and neverallows: P6 is not applicable and P4 is only allow/deny conflicts. The
    flow policy is now and then `flow_policy_text`'s (reads/writes maps, trust between any labels).
    Half of the systems are quiet (no hand-listed caps, no untyped memory, no client receiving on a
    server's endpoint, kernel objects allowed to all), so that what dynamic steps add is not drowned by what the initial state already breaks."""
    text = draw(system_texts(flow=draw(st.booleans())))
    if draw(st.booleans()):
        data = yaml.safe_load(text.yaml)
        data.pop("untyped", None)
        for comp in data["components"].values():
            comp.pop("caps", None)
            comp.pop("keeps", None)
        for conn in data.get("connections", ()):
            conn["rights"] = [r for r in conn["rights"] if r != "receive"] or ["send"]
        quiet = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
        text = SystemText(quiet, text.policy + f"allow * * : {{ {' '.join(KERNEL_CLASSES)} }} *;\n")
    rules = [f"spawn {draw(SID_GROUPS)} -> {draw(SID_GROUPS)}{draw(SPAWN_ROLES)};" for _ in range(draw(st.integers(0, 2)))]
    rules += [f"connect {draw(SID_GROUPS)} -> {draw(SID_GROUPS)};" for _ in range(draw(st.integers(0, 2)))]
    rules += [f"pass {draw(SID_GROUPS)} -> {draw(SID_GROUPS)} : file;" for _ in range(draw(st.integers(0, 2)))]
    return SystemText(text.yaml, text.policy + "".join(rule + "\n" for rule in rules))
