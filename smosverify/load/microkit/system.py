"""Microkit SDFs as systems: an SDF and its labels bound into the model the YAML loader builds.

Every analysis then runs on a Microkit system unchanged. The mapping (docs/microkit.md has the
table with the flow edges each element yields):
- protection_domain, virtual_machine -> Component (sid and role from the labels; scheduling and
  the rest as attributes); a nested PD's parent and a VM's VMM hold control of its TCB;
- memory_region -> Region; map -> RegionMap with its perms as read/write/execute;
  Microkit keeps PD, VM and region names apart, the model names every element once: a VM named
  like a PD is `NAME.virtual_machine`, a region named like a PD, VM or notification `NAME.memory_region`;
- channel end with notify -> a signaller of the other PD's notification `PD.notification` (one
  notification object per PD, as Microkit builds it); end with pp -> Connection to the other PD
  (send + grant_reply: a call with a reply), badged with the callee's channel id;
- cspace cap_tcb / cap_vspace -> control of that PD's TCB / VSpace.
Everything else (ids, addresses, interrupts, setvars, domains, IOMMU) stays in `System.microkit`.
"""

from __future__ import annotations

import os
from pathlib import Path

from smosverify.errors import InputError, Span
from smosverify.gc_pause import cycle_collection_paused
from smosverify.load.microkit.checks import check_layout
from smosverify.load.microkit.labels import Labels, Matcher, labels_from, load_labels
from smosverify.load.microkit.syntax import read_system
from smosverify.load.microkit.xml_source import parse_xml
from smosverify.load.policy import load_policy
from smosverify.load.yaml_source import KEY, LocatedData
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.microkit import MicrokitBoard, MicrokitPd, MicrokitSystem, MicrokitVm
from smosverify.model.policy import Policy
from smosverify.model.system import (
    Component, Connection, ExtraCap, Notification, Region, RegionMap, Role, ServerObject, System, Target,
)

SDF_SUFFIXES = (".system", ".xml")
PPC_RIGHTS = frozenset({Right.SEND, Right.GRANT_REPLY})  # what Microkit gives a caller (2.3.1 on)
PERM_RIGHTS = {"r": Right.READ, "w": Right.WRITE, "x": Right.EXECUTE}
CAP_KINDS = {"tcb": ObjectKind.TCB, "vspace": ObjectKind.VSPACE}  # cap_sc: no object in the model


def notification_name(pd: str) -> str:
    return f"{pd}.notification"


def model_name(name: str, taken: set[str], kind: str) -> str:
    """The model's name for an SDF element: its own, unless an element of another kind has it."""
    return f"{name}.{kind}" if name in taken else name


def read_sdf(path: str | Path, referenced_at: Span | None = None, search_paths: tuple[str | Path, ...] = ()) -> MicrokitSystem:
    """The layout of an SDF; prefill files are looked up beside it, then in `search_paths`
    (the Microkit tool's --search-path)."""
    with cycle_collection_paused():  # ~10 long-lived objects per element, no cycles
        return read_system(parse_xml(path, referenced_at), (Path(path).parent, *map(Path, search_paths)))


def load_microkit(path: str | Path, policy: str | None, labels: str | None = None, default_sid: str | None = None,
                  board: MicrokitBoard = MicrokitBoard(), search_paths: tuple[str | Path, ...] = ()) -> System:
    """`smosverify check SYSTEM.system --policy P [--labels L] [--default-sid S] [board options]`."""
    if policy is None:
        raise InputError(f"{path}: an SDF names no policy; pass --policy POLICY")
    loaded = load_policy([(Path(policy), None)])
    bound = load_labels(labels) if labels else Labels()
    return build_system(read_sdf(path, None, search_paths), bound, loaded, Path(path).stem, str(path), (), default_sid, board)


def system_from_yaml(located: LocatedData, policy: Policy, policy_spans: tuple[Span, ...]) -> System:
    """A YAML system whose architecture is an SDF (`sdf:` and `labels:` keys)."""
    data = located.data
    if "sdf" not in data:
        raise InputError("'labels' binds the elements of a Microkit SDF; it goes with 'sdf'", located.span(("labels", KEY)))
    for key in ("components", "connections", "regions", "notifications", "arch"):
        if key in data:
            raise InputError(f"'{key}' cannot be used with 'sdf': the SDF describes the system (arch goes in the labels)", located.span((key, KEY)))
    base = Path(located.file).parent
    sdf = read_sdf(Path(os.path.normpath(base / data["sdf"])), located.span(("sdf",)))
    given = data.get("labels")
    if isinstance(given, str):
        bound = load_labels(Path(os.path.normpath(base / given)), located.span(("labels",)))
    else:
        bound = labels_from(located, ("labels",)) if given is not None else Labels()
    return build_system(sdf, bound, policy, data["system"], located.file, policy_spans)


def build_system(sdf: MicrokitSystem, labels: Labels, policy: Policy, name: str, file: str,
                 policy_spans: tuple[Span, ...] = (), default_sid: str | None = None,
                 board: MicrokitBoard = MicrokitBoard()) -> System:
    with cycle_collection_paused():
        arch = check_layout(sdf, board, labels.arch, labels.arch_span)
        return _Binder(sdf, labels, policy, default_sid).system(name, file, arch, policy_spans)


class _Binder:
    def __init__(self, sdf: MicrokitSystem, labels: Labels, policy: Policy, default_sid: str | None):
        self.sdf = sdf
        self.labels = labels
        self.policy = policy
        if default_sid is not None:
            self.default = self.sid(default_sid, None, "--default-sid")
        else:
            self.default = labels.default_sid and self.sid(labels.default_sid, labels.default_span, "default_sid")
        self.matchers = {s: Matcher(getattr(labels, s), s) for s in ("components", "regions", "notifications", "roles")}
        pd_names = {pd.name for pd, _ in sdf.all_pds()}
        self.vm_names = {pd.virtual_machine.name: model_name(pd.virtual_machine.name, pd_names, "virtual_machine")
                         for pd, _ in sdf.all_pds() if pd.virtual_machine}

    def sid(self, sid: str, span: Span | None, where: str) -> str:
        if sid not in self.policy.sids:
            raise InputError(f"{where}: unknown sid '{sid}' (not declared in the policy)", span)
        return sid

    def bound(self, section: str, name: str, sdf_name: str | None = None) -> str | None:
        rule = self.matchers[section].match(name, sdf_name)
        return self.sid(rule.value, rule.span, f"labels {section} '{rule.pattern}'") if rule else None

    def system(self, name: str, file: str, arch: str, policy_spans: tuple[Span, ...]) -> System:
        sdf = self.sdf
        connections = tuple(
            Connection(end.pd, other.pd, PPC_RIGHTS, other.id, end.span)
            for ch in sdf.channels for end, other in ((ch.a, ch.b), (ch.b, ch.a)) if end.pp
        )
        components = self._components({c.server for c in connections})
        notifications = self._notifications(components)
        regions = self._regions(components, notifications)
        objects_by_server = self._objects(components)
        components = {n: Component(c.name, c.sid, c.role, c.span, objects_by_server.get(n, ()), c.caps, c.attributes) for n, c in components.items()}
        self._unique_names(components, regions, notifications)
        for section, what in (("components", "protection domain or virtual machine"), ("regions", "memory region"),
                              ("notifications", "notification (PD.notification)"), ("roles", "protection domain or virtual machine")):
            self.matchers[section].check_all_used(what)
        return System(name, file, arch, self.policy, components, connections, regions, notifications, sdf.span, policy_spans, sdf)

    def _components(self, callees: set[str]) -> dict[str, Component]:
        caps: dict[str, list[ExtraCap]] = {}

        def control(holder: str, kind: ObjectKind, target: str, span: Span) -> None:
            caps.setdefault(holder, []).append(ExtraCap(holder, Target(kind, target), frozenset({Right.CONTROL}), span))

        made: list[tuple[str, str, Span, tuple[tuple[str, str], ...], str]] = []  # model name, SDF name, ...
        for pd, parent in self.sdf.all_pds():
            if parent is not None:
                control(parent.name, ObjectKind.TCB, pd.name, pd.span)
            for cap in pd.cap_maps:
                if cap.kind in CAP_KINDS:
                    control(pd.name, CAP_KINDS[cap.kind], cap.pd, cap.span)
            made.append((pd.name, pd.name, pd.span, _pd_attributes(pd, parent), "protection domain"))
            vm = pd.virtual_machine
            if vm is not None:
                control(pd.name, ObjectKind.TCB, self.vm_names[vm.name], vm.span)
                made.append((self.vm_names[vm.name], vm.name, vm.span, _vm_attributes(vm, pd), "virtual machine"))
        out = {}
        for name, sdf_name, span, attributes, what in made:
            sid = self.bound("components", name, sdf_name) or self.default
            if sid is None:
                raise InputError(f"no sid for {what} '{sdf_name}': bind it in the labels file (components:) or pass --default-sid", span)
            role = self.matchers["roles"].match(name, sdf_name)
            out[name] = Component(name, sid, Role(role.value) if role else Role.SERVER if name in callees else Role.CLIENT,
                                  span, (), tuple(caps.get(name, ())), attributes)
        return out

    def _notifications(self, components: dict[str, Component]) -> dict[str, Notification]:
        signallers: dict[str, list[tuple[str, Span]]] = {}
        for ch in self.sdf.channels:
            for end, other in ((ch.a, ch.b), (ch.b, ch.a)):
                if end.notify:
                    signallers.setdefault(other.pd, []).append((end.pd, end.span))
        out = {}
        for waiter, signalling in signallers.items():
            name = notification_name(waiter)
            pd = components[waiter]
            sid = self.bound("notifications", name) or pd.sid
            out[name] = Notification(name, sid, tuple(signalling), ((waiter, pd.span),), pd.span)
        return out

    def _regions(self, components: dict[str, Component], notifications: dict[str, Notification]) -> dict[str, Region]:
        maps: dict[str, list[RegionMap]] = {mr.name: [] for mr in self.sdf.memory_regions}
        for pd, _ in self.sdf.all_pds():
            vm = pd.virtual_machine
            spaces = [(pd.name, pd.maps)] + ([(self.vm_names[vm.name], vm.maps)] if vm else [])
            for holder, held in spaces:
                for m in held:
                    maps[m.mr].append(RegionMap(holder, frozenset(PERM_RIGHTS[p] for p in m.perms), m.span))
        out = {}
        taken = set(components) | set(notifications)
        for mr in self.sdf.memory_regions:
            name = model_name(mr.name, taken, "memory_region")
            mappers = maps[mr.name]
            sids = {components[m.component].sid for m in mappers}
            sid = self.bound("regions", name, mr.name) or (sids.pop() if len(sids) == 1 else self.default)
            if sid is None:
                who = ", ".join(f"{m.component} ({components[m.component].sid})" for m in mappers) or "nobody"
                raise InputError(f"no sid for memory_region '{mr.name}' (mapped by {who}): bind it in the labels file "
                                 "(regions:) or pass --default-sid", mr.span)
            out[name] = Region(name, sid, mr.size, tuple(mappers), mr.span)
        return out

    def _objects(self, components: dict[str, Component]) -> dict[str, tuple[ServerObject, ...]]:
        out: dict[str, list[ServerObject]] = {}
        for obj in self.labels.objects:
            server = components.get(obj.server)
            if server is None:
                raise InputError(f"labels objects: '{obj.server}' is not a protection domain of the SDF", obj.server_span)
            if server.role not in (Role.SERVER, Role.POLICY):
                raise InputError(f"only servers implement objects; '{obj.server}' has role {server.role.value} "
                                 "(no channel end calls it; set its role under roles:)", obj.server_span)
            cls = self.policy.classes.get(obj.cls)
            if cls is None or cls.builtin:
                raise InputError(f"unknown object class '{obj.cls}' (declare it in the policy)", obj.span)
            sid = self.sid(obj.sid, obj.span, f"labels objects '{obj.server}.{obj.name}'")
            out.setdefault(obj.server, []).append(ServerObject(obj.name, obj.cls, sid, obj.server, obj.span))
        return {k: tuple(v) for k, v in out.items()}

    def _unique_names(self, components, regions, notifications) -> None:
        """The analyses name flow nodes by these names, so they must not clash across kinds."""
        seen: dict[str, Span] = {}
        named = [(n, c.span) for n, c in components.items()] + [(n, r.span) for n, r in regions.items()]
        named += [(n, v.span) for n, v in notifications.items()]
        named += [(f"{c.name}.{o.name}", o.span) for c in components.values() for o in c.objects]
        for name, span in named:
            if name in seen:
                raise InputError(f"the name '{name}' is used twice (also at {seen[name]}); the model needs one name per "
                                 "element (PDs, VMs, regions, notifications, labels objects): rename one of them", span)
            seen[name] = span


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _pd_attributes(pd: MicrokitPd, parent: MicrokitPd | None) -> tuple[tuple[str, str], ...]:
    out = [("microkit", "protection_domain"), ("program_image", pd.program_image)]
    if pd.path_for_symbols:
        out.append(("path_for_symbols", pd.path_for_symbols))
    out += [("priority", str(pd.priority)), ("budget", str(pd.budget)), ("period", str(pd.period)),
            ("passive", _flag(pd.passive)), ("stack_size", hex(pd.stack_size)), ("cpu", str(pd.cpu)),
            ("smc", _flag(pd.smc)), ("fpu", _flag(pd.fpu))]
    if pd.domain is not None:
        out.append(("domain", pd.domain))
    if parent is not None:
        out += [("parent", parent.name), ("id", str(pd.child_id))]
    if pd.virtual_machine is not None:
        out.append(("virtual_machine", pd.virtual_machine.name))
    return tuple(out)


def _vm_attributes(vm: MicrokitVm, vmm: MicrokitPd) -> tuple[tuple[str, str], ...]:
    out = [("microkit", "virtual_machine"), ("vmm", vmm.name), ("vcpus", " ".join(str(v.id) for v in vm.vcpus))]
    out += [(k, str(v)) for k, v in (("priority", vm.priority), ("budget", vm.budget), ("period", vm.period)) if v is not None]
    return tuple(out)
