"""Does a capDL spec refine the verified model? Three results, in `check`'s report shape:

- CONFORM-MAP: every thread of the spec, and every object a thread can reach, stands for an
  element of the system (by the names smosverify emits, or a mapping file);
- CONFORM-AUTHORITY: every authority edge of the spec, closed under the transfer rules, is one
  the model's own closure gives that component (or authority over the component's own objects,
  which is intrinsic), and so is every cap one by one: its rights on one model cap with its badge
  (an unbadged model cap stands for any badge). Extra authority is a violation naming the slot
  and cap that give it, or the chain of transfers that lets the thread obtain it;
- CONFORM-CONNECTIONS: every cap the model starts a component with is in the spec: the
  connections with their rights and badge, the server's receive cap, region mappings,
  notification ends and caps listed by hand.
The standard is the model's closure, not the policy: the model is what P1-P7 were checked on,
and a spec with authority beyond it could break mediation or tamper-proofness even where the
policy's allow rules would permit the edge.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.capdl.authority import SpecAuthority, SpecCap, spec_authority
from smosverify.analyses.result import Evidence, PropertyResult, Report, Status
from smosverify.emit.capdl import emitted_names
from smosverify.errors import InputError
from smosverify.gc_pause import cycle_collection_paused
from smosverify.model.authority import initial_caps, kernel_objects
from smosverify.model.capdl import PAGE_TABLES, CapDLMap, CapDLSpec, CapType, MapRule, ObjectType
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import System, Target
from smosverify.semantics.rules import mintable

IGNORED = "ignored"
_KIND_OF_TYPE = {ObjectType.TCB: ObjectKind.TCB, ObjectType.CNODE: ObjectKind.CNODE, ObjectType.EP: ObjectKind.ENDPOINT,
                 **{t: ObjectKind.VSPACE for t in PAGE_TABLES}}


def conform_capdl(system: System, spec: CapDLSpec, mapping: CapDLMap | None = None) -> Report:
    with cycle_collection_paused():  # both closures make millions of small objects
        auth = spec_authority(spec)
        check = _Conformance(system, spec, auth, mapping)
        results = (check.mapping_result(), check.authority_result(), check.connections_result())
    files = (system.file, *system.policy.files, spec.file) + ((mapping.file,) if mapping else ())
    return Report(system.name, files, results)


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern:
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))


def _matches(pattern: str, name: str) -> bool:
    base = name.partition("[")[0]
    if pattern in (name, base):
        return True
    return ("*" in pattern or "?" in pattern) and (_glob(pattern).fullmatch(name) or _glob(pattern).fullmatch(base))


class _Conformance:
    def __init__(self, system: System, spec: CapDLSpec, auth: SpecAuthority, mapping: CapDLMap | None):
        self.system, self.spec, self.auth, self.mapping = system, spec, auth, mapping
        self.objects = kernel_objects(system)
        self.emitted = emitted_names(system)
        self.closure = authority_closure(system)
        self.resolved: dict[str, Target | str | None] = {}
        self.used_rules: set[int] = set()
        self.component = {}  # thread -> component
        for t in auth.threads:
            target = self.resolve(t)
            if isinstance(target, Target):
                if target.kind is not ObjectKind.TCB:
                    raise InputError(f"thread {t} is mapped to {target}; a thread stands for COMPONENT.tcb",
                                     self.rule_span(t))
                self.component[t] = target.name

    # -- names --------------------------------------------------------------------------------

    def rules(self):
        return enumerate(self.mapping.rules + self.mapping.ignore) if self.mapping else ()

    def rule_span(self, name: str):
        return next((r.span for _, r in self.rules() if _matches(r.pattern, name)), self.spec.span(self.spec.objects[name].at))

    def resolve(self, name: str) -> Target | str | None:
        """The model element an object stands for, IGNORED, or None."""
        if name in self.resolved:
            return self.resolved[name]
        found: Target | str | None = None
        for i, rule in self.rules():
            if _matches(rule.pattern, name):
                self.used_rules.add(i)
                found = self.by_rule(rule, name) if rule.target or rule.component else IGNORED
                break
        else:
            found = self.emitted.get(name.partition("[")[0])
        self.resolved[name] = found
        return found

    def by_rule(self, rule: MapRule, name: str) -> Target:
        if rule.target is not None:
            return rule.target
        obj = self.spec.objects.get(name)
        target = Target(_KIND_OF_TYPE.get(obj.type, ObjectKind.FRAMES) if obj else ObjectKind.FRAMES, rule.component)
        if target not in self.objects:  # an endpoint of a component that serves none: private to it
            target = Target(ObjectKind.FRAMES, rule.component)
        return target

    def where(self, name: str):
        obj = self.spec.objects.get(name)
        return (self.spec.span(obj.at),) if obj else ()

    # -- CONFORM-MAP --------------------------------------------------------------------------

    def mapping_result(self) -> PropertyResult:
        found, ignored = [], []
        reach: dict[str, list[str]] = {}
        for t in self.auth.threads:
            target = self.resolve(t)
            if target == IGNORED:
                ignored.append(Evidence("ignored", f"thread {t} is ignored by the mapping file", self.where(t), {"object": t}))
                continue
            if target is None:
                found.append(Evidence("unmapped-thread", f"thread {t} stands for no component of {self.system.name} "
                                      "(name it tcb_COMPONENT, or map it in a mapping file)", self.where(t), {"thread": t}))
                continue
            for obj in self.auth.final[t]:
                reach.setdefault(obj, []).append(t)
        for obj, threads in reach.items():
            target = self.resolve(obj)
            if target == IGNORED:
                ignored.append(Evidence("ignored", f"{obj} is ignored by the mapping file", self.where(obj), {"object": obj}))
            elif target is None:
                shown = ", ".join(threads[:3]) + (f" and {len(threads) - 3} more" if len(threads) > 3 else "")
                found.append(Evidence("unmapped-object", f"{obj} ({self.kind(obj)}) is reachable by {shown} but stands "
                                      "for no element of the model", self.where(obj), {"object": obj, "threads": threads}))
        for i, rule in self.rules():
            if i not in self.used_rules:
                found.append(Evidence("unused-mapping", f"mapping line '{rule.pattern}' matches no thread or reachable "
                                      "object of the spec", (rule.span,), {"pattern": rule.pattern}))
        mapped = len(self.component)
        if found:
            return PropertyResult("CONFORM-MAP", "capDL objects map to the model", Status.VIOLATED,
                                  f"{len(found)} thread(s), object(s) or mapping line(s) do not map", tuple(found + ignored))
        note = f" ({len(ignored)} ignored by the mapping file)" if ignored else ""
        return PropertyResult("CONFORM-MAP", "capDL objects map to the model", Status.HOLDS,
                              f"all {mapped} thread(s) and the {len(reach)} object(s) they reach map to the model{note}",
                              tuple(ignored))

    def kind(self, name: str) -> str:
        obj = self.spec.objects.get(name)
        return obj.type.value if obj else "cap to no object"

    # -- CONFORM-AUTHORITY --------------------------------------------------------------------

    def authority_result(self) -> PropertyResult:
        first, later = [], []
        checked = 0
        for t, comp in self.component.items():
            allowed_all = self.closure.final[comp]
            for obj, rights in self.auth.final[t].items():
                target = self.resolve(obj)
                if not isinstance(target, Target) or self.objects[target].owner == comp:
                    continue
                checked += len(rights)
                extra = rights - allowed_all.get(target, frozenset()) - self.reply_rights(comp, target, rights)
                if extra:
                    finding = self.extra(t, comp, obj, target, extra)
                    (first if finding.data["initial"] else later).append(finding)
            for cap in self.uncovered_caps(t, comp, allowed_all):
                finding = self.extra_cap(t, comp, cap)
                (first if finding.data["initial"] else later).append(finding)
        root_first = sorted(first, key=lambda f: not f.data["in_root"])  # the cap at fault before what it brings
        found = root_first + later
        name = "capDL authority within the model's"
        if found:
            return PropertyResult("CONFORM-AUTHORITY", name, Status.VIOLATED,
                                  f"{len(found)} authority edge(s) of the spec go beyond the model", tuple(found), self.auth)
        return PropertyResult("CONFORM-AUTHORITY", name, Status.HOLDS,
                              f"all {checked} right(s) the spec's threads hold or can obtain are the model's", (), self.auth)

    @cached_property
    def model_caps(self) -> dict[tuple[str, Target], list[tuple[frozenset[Right], int]]]:
        """(component, object) -> (rights, badge) of each cap the model's closure gives it."""
        out: dict[tuple[str, Target], list[tuple[frozenset[Right], int]]] = {}
        for holder, target, rights, badge in self.closure.caps():
            out.setdefault((holder, target), []).append((rights, badge))
        return out

    def uncovered_caps(self, thread: str, comp: str, allowed_all: dict[Target, frozenset[Right]]):
        """The thread's caps whose rights the model gives `comp`, but on no one cap with that badge
        (an unbadged model cap stands for any badge): such a cap could grant where the model's
        caps cannot, or let the thread call as another client."""
        for cap in self.auth.caps(thread):
            target = self.resolve(cap.target)
            if not cap.rights or not isinstance(target, Target) or self.objects[target].owner == comp:
                continue
            if not cap.rights <= allowed_all.get(target, frozenset()) or cap.rights <= self.reply_rights(
                    comp, target, cap.rights):
                continue  # reported right by right, or a reply cap
            if not any(cap.rights <= rights and (badge == cap.badge or mintable(target.kind, badge))
                       for rights, badge in self.model_caps.get((comp, target), ())):
                yield cap

    def extra_cap(self, thread: str, comp: str, cap: SpecCap) -> Evidence:
        target = self.resolve(cap.target)
        held = cap in self.auth.initial_caps(thread)
        holdings = [h for h in self.auth.holdings(thread, cap.target) if h.rights == cap.rights
                    and h.cap.badge == cap.badge] if held else []
        model = "; ".join(f"{_names(r) or 'no rights'}{f' badge {b}' if b else ''}"
                          for r, b in self.model_caps.get((comp, target), ())) or "none"
        how = ("holds it through " + "; ".join(h.describe() for h in holdings)) if held else "can obtain it (steps below)"
        message = (f"{thread} ({comp}) has one cap to {cap.target} ({target}) with {_names(cap.rights)}"
                   f"{f' and badge {cap.badge}' if cap.badge else ' unbadged'}, which no one cap the model gives "
                   f"{comp} covers (the model's caps to it: {model}): it {how}")
        spans = tuple(self.spec.span(h.cap.at) for h in holdings) + self.where(thread)
        return Evidence("extra-cap", message, spans, {
            "thread": thread, "component": comp, "object": cap.target, "target": str(target),
            "rights": sorted(r.value for r in cap.rights), "badge": cap.badge, "initial": held,
            "in_root": any(h.container == self.auth.roots[thread] for h in holdings),
            "slots": [h.describe() for h in holdings], "chain": [] if held else self.auth.explain_cap(thread, cap)})

    def reply_rights(self, comp: str, target: Target, rights: frozenset[Right]) -> frozenset[Right]:
        """Send on a caller's TCB (a reply cap) is the model's when that caller calls `comp`."""
        if target.kind is not ObjectKind.TCB or Right.SEND not in rights:
            return frozenset()
        calls = any(c.client == target.name and c.server == comp and ({Right.GRANT, Right.GRANT_REPLY} & c.rights)
                    for c in self.system.connections)
        return frozenset({Right.SEND}) if calls else frozenset()

    def extra(self, thread: str, comp: str, obj: str, target: Target, extra: frozenset[Right]) -> Evidence:
        held = extra & self.auth.initial[thread].get(obj, frozenset())
        obtained = extra - held
        holdings = [h for h in self.auth.holdings(thread, obj) if h.rights & held]  # the caps at fault
        parts = []
        if held:
            parts.append(f"holds {_names(held)} through " + "; ".join(h.describe() for h in holdings))
        chain = self.auth.explain(thread, obj, min(obtained, key=lambda r: r.value)) if obtained else []
        if obtained:
            parts.append(f"can obtain {_names(obtained)} (steps below)")
        message = (f"{thread} ({comp}) has {_names(extra)} on {obj} ({target}), which the model does not give "
                   f"{comp}: it " + " and ".join(parts))
        spans = tuple(self.spec.span(h.cap.at) for h in holdings) + self.where(thread)
        return Evidence("extra-authority", message, spans, {
            "thread": thread, "component": comp, "object": obj, "target": str(target),
            "rights": sorted(r.value for r in extra), "held": sorted(r.value for r in held), "initial": bool(held),
            "in_root": any(h.container == self.auth.roots[thread] for h in holdings),
            "slots": [h.describe() for h in holdings], "chain": chain})

    # -- CONFORM-CONNECTIONS ------------------------------------------------------------------

    def connections_result(self) -> PropertyResult:
        have: dict[str, dict[Target, set[Right]]] = {}
        badges: dict[tuple[str, Target], set[int]] = {}
        for t, comp in self.component.items():
            held = have.setdefault(comp, {})
            for obj, rights in self.auth.initial[t].items():
                target = self.resolve(obj)
                if isinstance(target, Target):
                    held.setdefault(target, set()).update(rights)
            for cnode in self.auth.cspaces[t]:
                for cap in self.spec.objects[cnode].slots.values():
                    target = self.resolve(cap.target) if cap.type is CapType.ENDPOINT else None
                    if isinstance(target, Target):
                        badges.setdefault((comp, target), set()).add(cap.badge)
        found = []
        for comp in self.system.components.values():
            if comp.name not in have:
                found.append(Evidence("missing-component", f"no thread of the spec stands for component {comp.name}",
                                      (comp.span,), {"component": comp.name}))
        connections = {(c.client, Target(ObjectKind.ENDPOINT, c.server), c.rights): c for c in self.system.connections}
        needed = initial_caps(self.system)
        for cap in needed:
            if cap.holder not in have:
                continue
            got = have[cap.holder].get(cap.target, set())
            missing = cap.rights - got
            if missing:
                gave = ", ".join(sorted(r.value for r in got)) or "nothing"
                found.append(Evidence("missing-cap", f"{cap.holder} should hold {', '.join(sorted(r.value for r in missing))} "
                                      f"on {cap.target} ({cap.cause}); the spec gives it {gave}", (cap.span,),
                                      {"component": cap.holder, "target": str(cap.target), "cause": cap.cause,
                                       "missing": sorted(r.value for r in missing)}))
                continue
            conn = connections.get((cap.holder, cap.target, cap.rights))
            seen = badges.get((cap.holder, cap.target), set())
            if conn is not None and conn.badge not in seen:
                found.append(Evidence("badge-mismatch", f"{cap.holder}'s endpoint caps to {cap.target} carry badge(s) "
                                      f"{', '.join(map(str, sorted(seen)))}, not the badge {conn.badge} of {cap.cause}; "
                                      f"{conn.server} would take the caller for someone else", (cap.span,),
                                      {"component": cap.holder, "target": str(cap.target), "badge": conn.badge,
                                       "spec_badges": sorted(seen)}))
        name = "the model's caps are in the capDL spec"
        if found:
            return PropertyResult("CONFORM-CONNECTIONS", name, Status.VIOLATED,
                                  f"{len(found)} cap(s) or component(s) the model needs are missing", tuple(found))
        return PropertyResult("CONFORM-CONNECTIONS", name, Status.HOLDS,
                              f"all {len(needed)} cap(s) of the model's {len(self.system.components)} component(s) "
                              "are in the spec")


def _names(rights) -> str:
    return ", ".join(sorted(r.value for r in rights))
