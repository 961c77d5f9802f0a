"""YAML system descriptions: schema check, name resolution, and the policy they use."""

from __future__ import annotations

import os
from pathlib import Path

from smosverify.errors import InputError, Span
from smosverify.gc_pause import cycle_collection_paused
from smosverify.load.microkit.system import system_from_yaml
from smosverify.load.policy import load_policy
from smosverify.load.schema import validate
from smosverify.load.source import read_text
from smosverify.load.yaml_source import KEY, LocatedData, load_yaml
from smosverify.model.kernel import ObjectKind, Right, rights_for
from smosverify.model.policy import Policy
from smosverify.model.system import (
    Component,
    Connection,
    ExtraCap,
    Notification,
    Region,
    RegionMap,
    Role,
    ServerObject,
    System,
    Target,
    Untyped,
)

SCHEMA = "system.schema.json"


def load_system(path: str | Path) -> System:
    """Load a system description and its policy into the model, or raise an InputError."""
    with cycle_collection_paused():  # many small long-lived objects, no reference cycles
        return _load_system(Path(path))


def _load_system(path: Path) -> System:
    located = load_yaml(read_text(path), str(path))
    if not isinstance(located.data, dict):
        raise InputError("expected a mapping with keys system, policy, components", located.span(()))
    validate(located, SCHEMA)
    data = located.data
    policy_names = data["policy"] if isinstance(data["policy"], list) else [data["policy"]]
    policy_paths = [("policy",) if isinstance(data["policy"], str) else ("policy", i) for i in range(len(policy_names))]
    policy_spans = tuple(located.span(p) for p in policy_paths)
    policy = load_policy([(Path(os.path.normpath(path.parent / name)), span) for name, span in zip(policy_names, policy_spans)])
    if "sdf" in data or "labels" in data:  # the architecture is a Microkit SDF (docs/microkit.md)
        return system_from_yaml(located, policy, policy_spans)
    return _Builder(located, policy).system(data["system"], data.get("arch", "x86_64"), policy_spans)


class _Builder:
    """Checks every name in the (schema-valid) data against the policy and the other elements."""

    def __init__(self, located: LocatedData, policy: Policy):
        self.located = located
        self.data = located.data
        self.policy = policy
        self.names: dict[str, Span] = {}
        self.rights: dict[tuple[str, ...], frozenset[Right]] = {}

    def span(self, *path) -> Span:
        return self.located.span(tuple(path))

    def system(self, name: str, arch: str, policy_spans: tuple[Span, ...]) -> System:
        for section in ("components", "regions", "notifications", "untyped"):
            for key in self.data.get(section, {}):
                here = self.span(section, key, KEY)
                if key in self.names:
                    raise InputError(f"duplicate name '{key}' (also used at {self.names[key]})", here)
                self.names[key] = here
        components_data = self.data["components"]
        regions = {n: self._region(n, r) for n, r in self.data.get("regions", {}).items()}
        notifications = {n: self._notification(n, v) for n, v in self.data.get("notifications", {}).items()}
        connections = self._connections(self.data.get("connections", []))
        served = {c.server for c in connections}
        shared = {n: ObjectKind.REGION for n in regions} | {n: ObjectKind.NOTIFICATION for n in notifications}
        shared |= {n: ObjectKind.UNTYPED for n in self.data.get("untyped", {})}
        components = {n: self._component(n, c, shared, served) for n, c in components_data.items()}
        untyped = {n: self._untyped(n, u, shared, served) for n, u in self.data.get("untyped", {}).items()}
        return System(
            name=name,
            file=self.located.file,
            arch=arch,
            policy=self.policy,
            components=components,
            connections=connections,
            regions=regions,
            notifications=notifications,
            span=self.span(),
            policy_spans=policy_spans,
            untyped=untyped,
        )

    def _sid(self, sid: str, *path) -> str:
        if sid not in self.policy.sids:
            raise InputError(f"unknown sid '{sid}' (not declared in the policy)", self.span(*path))
        return sid

    def _component_ref(self, name: str, *path) -> str:
        if name not in self.data["components"]:
            raise InputError(f"unknown component '{name}'", self.span(*path))
        return name

    def _component(self, name, data, shared, served) -> Component:
        base = ("components", name)
        role = Role(data["role"])
        self._sid(data["sid"], *base, "sid")
        objects = []
        for obj_name, obj in data.get("objects", {}).items():
            where = base + ("objects", obj_name)
            if role not in (Role.SERVER, Role.POLICY):
                raise InputError(f"only servers implement objects; '{name}' has role {role.value}", self.span(*where, KEY))
            cls = obj["class"]
            if cls not in self.policy.classes or self.policy.classes[cls].builtin:
                raise InputError(f"unknown object class '{cls}' (declare it in the policy)", self.span(*where, "class"))
            objects.append(ServerObject(obj_name, cls, self._sid(obj["sid"], *where, "sid"), name, self.span(*where, KEY)))
        caps = []
        for i, cap in enumerate(data.get("caps", [])):
            where = base + ("caps", i)
            target = self._target(cap["to"], shared, served, *where, "to")
            rights = self._rights(cap["rights"])
            allowed = rights_for(target.kind)
            bad = sorted(r.value for r in rights - set(allowed))
            if bad:
                raise InputError(
                    f"a cap to {cap['to']} cannot carry {', '.join(bad)} (a {target.kind.value} cap carries: "
                    f"{', '.join(r.value for r in allowed)})",
                    self.span(*where, "rights"),
                )
            badge = cap.get("badge", 0)
            if badge and target.kind not in (ObjectKind.ENDPOINT, ObjectKind.NOTIFICATION):
                raise InputError(f"only endpoint and notification caps carry a badge, not a cap to {cap['to']}",
                                 self.span(*where, "badge"))
            caps.append(ExtraCap(name, target, rights, self.span(*where), badge))
        keeps = None
        if "keeps" in data:
            if role is not Role.ROOT:
                raise InputError(f"only a root component says what it keeps after boot; '{name}' has role {role.value}",
                                 self.span(*base, "keeps"))
            keeps = tuple(self._target(t, shared, served, *base, "keeps", i) for i, t in enumerate(data["keeps"]))
        return Component(name, data["sid"], role, self.span(*base, KEY), tuple(objects), tuple(caps), keeps=keeps)

    def _untyped(self, name: str, data: dict, shared, served) -> Untyped:
        base = ("untyped", name)
        covers = tuple(self._target(t, shared, served, *base, "covers", i) for i, t in enumerate(data["covers"]))
        if Target(ObjectKind.UNTYPED, name) in covers:
            raise InputError(f"untyped '{name}' cannot cover itself", self.span(*base, "covers"))
        return Untyped(name, self._sid(data["sid"], *base, "sid"), covers, self.span(*base, KEY))

    def _target(self, text: str, shared, served, *path) -> Target:
        owner, _, kind = text.partition(".")
        if not kind:
            if owner in shared:
                return Target(shared[owner], owner)
            raise InputError(
                f"unknown cap target '{text}' (expected a region, a notification, an untyped, or COMPONENT.tcb|cnode|vspace|frames|endpoint)",
                self.span(*path),
            )
        self._component_ref(owner, *path)
        if kind == "endpoint" and owner not in served:
            raise InputError(f"'{owner}' has no endpoint: no connection goes to it", self.span(*path))
        return Target(ObjectKind(kind), owner)

    def _connections(self, items: list) -> tuple[Connection, ...]:
        seen: dict[tuple[str, str], Span] = {}
        used_badges: dict[str, set[int]] = {}
        for item in items:
            if "badge" in item:
                used_badges.setdefault(item["to"], set()).add(item["badge"])
        lowest_free: dict[str, int] = {}  # per server: every badge below it is taken (taken ones only grow)
        out = []
        for i, item in enumerate(items):
            where = ("connections", i)
            client = self._component_ref(item["from"], *where, "from")
            server = self._component_ref(item["to"], *where, "to")
            if client == server:
                raise InputError(f"connection from '{client}' to itself", self.span(*where))
            if (client, server) in seen:
                raise InputError(f"duplicate connection {client}->{server} (first at {seen[client, server]})", self.span(*where))
            span = seen[client, server] = self.span(*where)
            badge = item.get("badge")
            if badge is None:  # the smallest positive badge not taken on that server
                taken = used_badges.setdefault(server, set())
                badge = lowest_free.get(server, 1)
                while badge in taken:
                    badge += 1
                taken.add(badge)
                lowest_free[server] = badge + 1
            out.append(Connection(client, server, self._rights(item["rights"]), badge, span, item.get("capacity")))
        return tuple(out)

    def _rights(self, names: list[str]) -> frozenset[Right]:
        """One frozenset per distinct list of rights: a system of 100k connections has a handful."""
        key = tuple(names)
        rights = self.rights.get(key)
        if rights is None:
            rights = self.rights[key] = frozenset(Right(r) for r in names)
        return rights

    def _region(self, name: str, data: dict) -> Region:
        base = ("regions", name)
        maps = tuple(
            RegionMap(
                self._component_ref(comp, *base, "map", comp, KEY),
                self._rights(rights),
                self.span(*base, "map", comp, KEY),
            )
            for comp, rights in data["map"].items()
        )
        sid = self._sid(data["sid"], *base, "sid")
        return Region(name, sid, data.get("size", 4096), maps, self.span(*base, KEY), data.get("capacity"))

    def _notification(self, name: str, data: dict) -> Notification:
        base = ("notifications", name)

        def ends(key: str) -> tuple[tuple[str, Span], ...]:
            return tuple(
                (self._component_ref(who, *base, key, i), self.span(*base, key, i)) for i, who in enumerate(data[key])
            )

        sid = self._sid(data["sid"], *base, "sid")
        return Notification(name, sid, ends("signal"), ends("wait"), self.span(*base, KEY), data.get("capacity"))
