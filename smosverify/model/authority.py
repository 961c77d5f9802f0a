"""The kernel-level picture of a system: its kernel objects and the caps each component starts with.

This is the one place that says which caps a system description implies; the analyses, the
capDL emitter and the Lean emitter all start from it.
"""

from __future__ import annotations

from typing import NamedTuple

from smosverify.errors import Span
from smosverify.model.kernel import COMPONENT_KINDS, KIND_CLASS, ObjectKind, Right
from smosverify.model.system import System, Target


class KernelObject(NamedTuple):
    target: Target
    sid: str
    cls: str
    owner: str | None  # the component it belongs to; None for shared regions and notifications
    span: Span


class Cap(NamedTuple):
    """One cap a component holds at the start, and why (`cause` names the system element).
    Caps are kept one by one: two caps to one object are two caps, whatever their rights."""

    holder: str
    target: Target
    rights: frozenset[Right]
    cause: str
    span: Span
    badge: int = 0  # 0: unbadged
    after_boot: bool = False  # given by a dynamic step (P7), not by the system description


def kernel_objects(system: System) -> dict[Target, KernelObject]:
    """Every kernel object of the system, per-component objects first, in declaration order."""
    objects: dict[Target, KernelObject] = {}
    served = {c.server for c in system.connections}
    for comp in system.components.values():
        kinds = COMPONENT_KINDS + ((ObjectKind.ENDPOINT,) if comp.name in served else ())
        for kind in kinds:
            target = Target(kind, comp.name)
            objects[target] = KernelObject(target, comp.sid, KIND_CLASS[kind], comp.name, comp.span)
    for region in system.regions.values():
        target = Target(ObjectKind.REGION, region.name)
        objects[target] = KernelObject(target, region.sid, KIND_CLASS[target.kind], None, region.span)
    for note in system.notifications.values():
        target = Target(ObjectKind.NOTIFICATION, note.name)
        objects[target] = KernelObject(target, note.sid, KIND_CLASS[target.kind], None, note.span)
    for ut in system.untyped.values():
        target = Target(ObjectKind.UNTYPED, ut.name)
        objects[target] = KernelObject(target, ut.sid, KIND_CLASS[target.kind], None, ut.span)
    return objects


def initial_caps(system: System) -> tuple[Cap, ...]:
    """The caps every component holds when the system starts (its own TCB, CNode, VSpace and
    frames are its own and not listed). A root component that says what it `keeps` after boot
    holds only caps to those objects, and those a dynamic step gives it later (P7's states); without
    `keeps` it holds all of its caps."""
    caps = _declared_caps(system)
    keeps = {c.name: set(c.keeps) for c in system.components.values() if c.keeps is not None}
    if not keeps:
        return caps
    return tuple(cap for cap in caps if cap.holder not in keeps or cap.target in keeps[cap.holder] or cap.after_boot)


def _declared_caps(system: System) -> tuple[Cap, ...]:
    caps: list[Cap] = []
    receivers: dict[str, Span] = {}
    served_after_boot = set()
    for conn in system.connections:
        target = Target(ObjectKind.ENDPOINT, conn.server)
        caps.append(Cap(conn.client, target, conn.rights, f"connection {conn.name}", conn.span, conn.badge, conn.after_boot))
        receivers.setdefault(conn.server, system.components[conn.server].span)
        if conn.after_boot:
            served_after_boot.add(conn.server)
    for server, span in receivers.items():
        target = Target(ObjectKind.ENDPOINT, server)
        caps.append(Cap(server, target, frozenset({Right.RECEIVE}), f"{server} serves its endpoint", span, 0,
                        server in served_after_boot))
    for region in system.regions.values():
        target = Target(ObjectKind.REGION, region.name)
        for m in region.maps:
            caps.append(Cap(m.component, target, m.rights, f"region {region.name} mapped", m.span))
    for note in system.notifications.values():
        target = Target(ObjectKind.NOTIFICATION, note.name)
        for who, span in note.signallers:
            caps.append(Cap(who, target, frozenset({Right.SIGNAL}), f"notification {note.name} signal", span))
        for who, span in note.waiters:
            caps.append(Cap(who, target, frozenset({Right.WAIT}), f"notification {note.name} wait", span))
    for comp in system.components.values():
        for extra in comp.caps:
            caps.append(Cap(comp.name, extra.target, extra.rights, f"cap listed in {comp.name}.caps", extra.span, extra.badge,
                            extra.after_boot))
    return tuple(caps)
