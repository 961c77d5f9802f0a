"""Hypothesis strategies for small valid systems, written as the YAML and policy text a user would
write and loaded through the real loader, so that a failing example shrinks to a system a reader
can run by hand (`smosverify check system.yaml`).

A system has 2 to 6 components of any role (servers and policy servers with objects, roots with
and without `keeps`), connections with random rights and badges (0 included), shared regions,
notifications, untyped memory covering any object (other untyped too) and hand-listed caps with
random rights and badges. The policy mixes a blanket allow of the kernel classes, random allow and
deny rules, file permissions (for borrowed identities) and trusted sids.
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
OBJECT_SIDS = ("o_t", "p_t", "m_t")
SIDS = SUBJECT_SIDS + OBJECT_SIDS
FILE_OPS = ("open", "read", "write", "close")
ROLES = ("client", "server", "policy", "root")
COMPONENT_KINDS = ("tcb", "cnode", "vspace", "frames")
MEMORY_RIGHTS = ("read", "write", "execute")
BADGES = st.integers(0, 3)
SID_SETS = st.one_of(st.just("*"), st.sampled_from(SIDS))

# Endpoint rights the rules care about, drawn often; any other subset now and then.
ENDPOINT_COMBOS = (("send",), ("send", "grant"), ("send", "grant_reply"), ("receive",), ("receive", "grant"),
                   ("send", "receive", "grant"), ("grant",), ("send", "receive"))


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


def subsets(options, min_size: int = 1):
    """A non-empty subset of `options`, as a list in their order (stable text)."""
    return st.frozensets(st.sampled_from(options), min_size=min_size).map(
        lambda chosen: [o for o in options if o in chosen])


def endpoint_rights():
    return st.one_of(st.sampled_from(ENDPOINT_COMBOS).map(list), subsets(rights_for_text("endpoint")))


def rights_for_text(kind: str) -> tuple[str, ...]:
    return tuple(r.value for r in rights_for(ObjectKind(kind)))


def kind_of(target: str, shared: dict[str, str]) -> str:
    return target.partition(".")[2] or shared[target]


@st.composite
def system_texts(draw) -> SystemText:
    names = [f"c{i}" for i in range(draw(st.integers(2, 6)))]
    roles = {n: draw(st.sampled_from(ROLES)) for n in names}
    pairs = [(a, b) for a in names for b in names if a != b]
    connections = []
    for a, b in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6)):
        conn = {"from": a, "to": b, "rights": draw(endpoint_rights())}
        if draw(st.booleans()):
            conn["badge"] = draw(BADGES)
        connections.append(conn)
    served = sorted({c["to"] for c in connections})
    regions = {
        f"r{i}": {"sid": draw(st.sampled_from(SIDS)),
                  "map": {c: draw(subsets(MEMORY_RIGHTS)) for c in draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=3))}}
        for i in range(draw(st.integers(0, 2)))
    }
    ends = st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=3)
    notifications = {
        f"n{i}": {"sid": draw(st.sampled_from(SIDS)), "signal": draw(ends), "wait": draw(ends)}
        for i in range(draw(st.integers(0, 2)))
    }
    untyped_names = [f"u{i}" for i in range(draw(st.integers(0, 2)))]
    shared = {r: "region" for r in regions} | {n: "notification" for n in notifications} | {u: "untyped" for u in untyped_names}
    targets = [f"{n}.{k}" for n in names for k in COMPONENT_KINDS] + [f"{s}.endpoint" for s in served] + list(shared)
    untyped = {
        u: {"sid": draw(st.sampled_from(SIDS)),
            "covers": draw(st.lists(st.sampled_from([t for t in targets if t != u]), unique=True, max_size=4))}
        for u in untyped_names
    }
    components = {n: draw(component(n, roles[n], targets, shared)) for n in names}
    data = {"system": "generated", "policy": "policy.pol", "components": components}
    for key, value in (("connections", connections), ("regions", regions), ("notifications", notifications), ("untyped", untyped)):
        if value:
            data[key] = value
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
    return SystemText(text, draw(policy_text()))


@st.composite
def component(draw, name: str, role: str, targets: list[str], shared: dict[str, str]) -> dict:
    out: dict = {"sid": draw(st.sampled_from(SUBJECT_SIDS)), "role": role}
    if role in ("server", "policy"):
        objects = {f"{name}_o{j}": {"class": "file", "sid": draw(st.sampled_from(OBJECT_SIDS))}
                   for j in range(draw(st.integers(0, 2)))}
        if objects:
            out["objects"] = objects
    caps = []
    for target in draw(st.lists(st.sampled_from(targets), max_size=3)):
        kind = kind_of(target, shared)
        cap = {"to": target, "rights": draw(endpoint_rights() if kind == "endpoint" else subsets(rights_for_text(kind)))}
        if kind in ("endpoint", "notification") and draw(st.booleans()):
            cap["badge"] = draw(BADGES)
        caps.append(cap)
    if caps:
        out["caps"] = caps
    if role == "root" and draw(st.booleans()):
        out["keeps"] = draw(st.lists(st.sampled_from(targets), unique=True, max_size=3))
    return out


@st.composite
def policy_text(draw) -> str:
    lines = ["class file { open read write close }", f"sid {', '.join(SIDS)};"]
    kernel = " ".join(KERNEL_CLASSES)
    if draw(st.booleans()):
        lines.append(f"allow * * : {{ {kernel} }} *;")
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(("allow", "deny")))
        cls = draw(st.sampled_from(tuple(KERNEL_CLASSES)))
        ops = draw(subsets(tuple(r.value for r in KERNEL_CLASSES[cls])))
        lines.append(f"{kind} {draw(SID_SETS)} {draw(SID_SETS)} : {cls} {{ {' '.join(ops)} }};")
    for _ in range(draw(st.integers(0, 3))):
        subject = draw(st.sampled_from(SUBJECT_SIDS))
        lines.append(f"allow {subject} {draw(st.sampled_from(OBJECT_SIDS))} : file {{ {' '.join(draw(subsets(FILE_OPS)))} }};")
    lines.append("lattice { low < high; }")
    labelled = draw(st.lists(st.sampled_from(SIDS), unique=True, max_size=4))
    for sid in labelled:
        lines.append(f"label {sid} : {draw(st.sampled_from(('low', 'high')))};")
    trusted = draw(st.lists(st.sampled_from(SUBJECT_SIDS), unique=True, max_size=2))
    if trusted:
        lines.append(f"trusted {{ {' '.join(trusted)} }} for high -> low;")
    return "\n".join(lines) + "\n"
