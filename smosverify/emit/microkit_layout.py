"""The Microkit layout of a model: the one an SDF was read with, or one built from the model.

Building one writes each component as a protection domain, each connection as a channel whose
caller end has pp="true" (Microkit's `pp` marks the end that may call), each notification as the
notify flag of the channel between signaller and waiter, and each region as a memory region mapped
at the next free address of every mapper. A model that Microkit cannot express is refused with
the element and the reason; docs/microkit.md lists what can be written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smosverify.errors import InputError, Span
from smosverify.load.microkit.system import PPC_RIGHTS, notification_name
from smosverify.load.microkit.syntax import BUDGET_DEFAULT, ID_MAX, PRIORITY_MAX, STACK_DEFAULT
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.microkit import MicrokitChannel, MicrokitEnd, MicrokitMap, MicrokitMr, MicrokitPd, MicrokitSystem
from smosverify.model.system import Component, System

MAP_BASE = 0x2000_0000  # where the first region is mapped in each protection domain
PAGE = 0x1000


@dataclass
class _Pair:
    """What one channel between two protection domains carries."""

    a: str
    b: str
    span: Span
    caller: str | None = None
    badge: int | None = None  # the callee's channel id
    signallers: set[str] = field(default_factory=set)


def layout_of(system: System) -> tuple[MicrokitSystem, tuple[str, ...]]:
    """The layout to write, and notes on what a reader of the SDF will see differently."""
    if system.microkit is not None:
        return system.microkit, ()
    return _Layout(system).build()


class _Layout:
    def __init__(self, system: System):
        self.system = system
        self.notes: list[str] = []

    def build(self) -> tuple[MicrokitSystem, tuple[str, ...]]:
        system = self.system
        for ut in system.untyped.values():  # Microkit hands out untyped memory itself
            raise InputError(f"cannot write untyped '{ut.name}' as an SDF: Microkit gives no PD an untyped cap", ut.span)
        parents = self._parents()
        priorities = self._priorities()
        pairs = self._pairs()
        ids = self._channel_ids(pairs)
        maps = self._maps()
        children: dict[str, list[str]] = {}
        for child in system.components:  # in component order
            if child in parents:
                children.setdefault(parents[child], []).append(child)

        def pd(comp: Component, child_id: int | None) -> MicrokitPd:
            kids = children.get(comp.name, ())
            return MicrokitPd(
                name=comp.name, program_image=f"{comp.name}.elf", path_for_symbols=None,
                priority=priorities[comp.name], budget=BUDGET_DEFAULT, period=BUDGET_DEFAULT, passive=False,
                stack_size=STACK_DEFAULT, smc=False, cpu=0, fpu=True, domain=None, child_id=child_id, setvar_id=None,
                maps=tuple(maps.get(comp.name, ())), irqs=(), ioports=(), setvars=(), cap_maps=(), virtual_machine=None,
                children=tuple(pd(system.components[k], i) for i, k in enumerate(kids)), span=comp.span,
            )

        pds = tuple(pd(c, None) for c in system.components.values() if c.name not in parents)
        mrs = tuple(MicrokitMr(r.name, r.size, None, None, None, None, r.span) for r in system.regions.values())
        channels = tuple(
            MicrokitChannel(
                MicrokitEnd(p.a, ids[p.a, p.b], p.caller == p.a, p.a in p.signallers, None, p.span),
                MicrokitEnd(p.b, ids[p.b, p.a], p.caller == p.b, p.b in p.signallers, None, p.span),
                p.span,
            )
            for p in pairs.values()
        )
        return MicrokitSystem(pds, mrs, channels, None, (), system.span), tuple(self.notes)

    def _parents(self) -> dict[str, str]:
        """Control of another component's TCB is written as nesting it in the holder."""
        parents: dict[str, str] = {}
        for comp in self.system.components.values():
            for cap in comp.caps:
                target = cap.target
                if target.kind is not ObjectKind.TCB or cap.rights != {Right.CONTROL} or target.name in parents or target.name == comp.name:
                    raise InputError(
                        f"cannot write {comp.name}'s cap to {target} ({', '.join(sorted(r.value for r in cap.rights))}) as an SDF: "
                        "Microkit gives such caps only to a parent over one child's TCB (cspace caps cannot be written with sdfgen)",
                        cap.span)
                parents[target.name] = comp.name
        for child in parents:
            seen = {child}
            while child in parents:
                child = parents[child]
                if child in seen:
                    raise InputError(f"components control each other's TCBs in a cycle through '{child}': not a PD tree", self.system.components[child].span)
                seen.add(child)
        return parents

    def _priorities(self) -> dict[str, int]:
        """Callers below callees (Microkit needs strictly higher priority to call): 1 + the
        length of the longest call chain into each component."""
        calls: dict[str, list] = {}
        for conn in self.system.connections:
            if conn.rights != PPC_RIGHTS or conn.capacity is not None:
                raise InputError(
                    f"connection {conn.name}: a Microkit call carries send and grant_reply and no declared capacity "
                    f"(this one: {', '.join(sorted(r.value for r in conn.rights))}"
                    f"{f', capacity {conn.capacity}' if conn.capacity is not None else ''})", conn.span)
            calls.setdefault(conn.server, []).append(conn)
        depth: dict[str, int] = {}
        state: dict[str, str] = {}

        def visit(name: str, via: Span) -> int:
            if state.get(name) == "open":
                raise InputError(f"the connections call round a cycle through '{name}': Microkit calls go to strictly higher priorities", via)
            if name not in depth:
                state[name] = "open"
                depth[name] = 1 + max((visit(c.client, c.span) for c in calls.get(name, ())), default=0)
                state[name] = "done"
            return depth[name]

        for comp in self.system.components.values():
            if visit(comp.name, comp.span) > PRIORITY_MAX:
                raise InputError(f"call chains into '{comp.name}' are longer than Microkit's {PRIORITY_MAX} priorities", comp.span)
        return depth

    def _pairs(self) -> dict[frozenset, _Pair]:
        pairs: dict[frozenset, _Pair] = {}

        def pair(a: str, b: str, span: Span) -> _Pair:
            return pairs.setdefault(frozenset((a, b)), _Pair(a, b, span))

        for conn in self.system.connections:
            p = pair(conn.client, conn.server, conn.span)
            p.caller, p.badge = conn.client, conn.badge
        sids: dict[str, tuple[str, str]] = {}
        for note in self.system.notifications.values():
            if len(note.waiters) != 1 or note.capacity is not None:
                raise InputError(f"notification {note.name}: Microkit notifications have one waiter (the PD that owns them) "
                                 "and no declared capacity", note.span)
            waiter = note.waiters[0][0]
            first = sids.setdefault(waiter, (note.sid, note.name))
            if first[0] != note.sid:
                raise InputError(f"notifications {first[1]} ({first[0]}) and {note.name} ({note.sid}) both become "
                                 f"{notification_name(waiter)}, which has one sid", note.span)
            if note.name != notification_name(waiter):
                self.notes.append(f"notification {note.name} is written as {notification_name(waiter)}, the notification of its waiter")
            for signaller, span in note.signallers:
                if signaller == waiter:
                    raise InputError(f"notification {note.name}: '{waiter}' signals itself, which no Microkit channel expresses", span)
                pair(signaller, waiter, span).signallers.add(signaller)
        return pairs

    def _channel_ids(self, pairs: dict[frozenset, _Pair]) -> dict[tuple[str, str], int]:
        """The callee end of a call keeps the connection's badge; other ends take the lowest free id."""
        used: dict[str, dict[int, Span]] = {}
        ids: dict[tuple[str, str], int] = {}
        for p in pairs.values():
            if p.caller is not None:
                callee = p.b if p.caller == p.a else p.a
                if not 0 <= p.badge <= ID_MAX:
                    raise InputError(f"badge {p.badge} of {p.caller}->{callee} is not a Microkit channel id (0 to {ID_MAX})", p.span)
                if p.badge in used.setdefault(callee, {}):
                    raise InputError(f"badge {p.badge} is used twice at '{callee}' (also at {used[callee][p.badge]}); "
                                     "Microkit channel ids are unique per PD", p.span)
                used[callee][p.badge] = p.span
                ids[callee, p.caller] = p.badge
        for p in pairs.values():
            for end, other in ((p.a, p.b), (p.b, p.a)):
                if (end, other) not in ids:
                    taken = used.setdefault(end, {})
                    free = next(i for i in range(len(taken) + 1) if i not in taken)
                    if free > ID_MAX:
                        raise InputError(f"'{end}' has more than {ID_MAX + 1} channels, Microkit's limit", p.span)
                    taken[free] = p.span
                    ids[end, other] = free
        return ids

    def _maps(self) -> dict[str, list[MicrokitMap]]:
        out: dict[str, list[MicrokitMap]] = {}
        free: dict[str, int] = {}
        for region in self.system.regions.values():
            if region.capacity is not None:
                raise InputError(f"region {region.name}: an SDF has no capacities (use `capacity memory` in the policy)", region.span)
            for m in region.maps:
                perms = "".join(p for p, r in (("r", Right.READ), ("w", Right.WRITE), ("x", Right.EXECUTE)) if r in m.rights)
                if "w" in perms and "r" not in perms:
                    raise InputError(f"{m.component} maps {region.name} write-only, which seL4 cannot do", m.span)
                vaddr = free.get(m.component, MAP_BASE)
                free[m.component] = vaddr + -(-region.size // PAGE) * PAGE
                out.setdefault(m.component, []).append(MicrokitMap(region.name, vaddr, perms, True, None, None, None, m.span))
        return out
