"""The system: components, the objects servers implement, and the channels between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple
from typing import TYPE_CHECKING

from smosverify.errors import Span
from smosverify.model.kernel import SHARED_KINDS, ObjectKind, Right
from smosverify.model.policy import Policy

if TYPE_CHECKING:
    from smosverify.model.microkit import MicrokitSystem


class Role(str, Enum):
    CLIENT = "client"
    SERVER = "server"
    POLICY = "policy"  # the policy server, the reference monitor's decision point
    ROOT = "root"  # builds the system at boot, then hands over


ARCHES = ("x86_64", "aarch64", "riscv64")


@dataclass(frozen=True)
class ServerObject:
    """An object a server implements; clients reach it only through a connection to that server."""

    name: str
    cls: str
    sid: str
    server: str
    span: Span


class Target(NamedTuple):
    """The kernel object a cap names: `component.kind` for per-component objects, or a channel.

    A named tuple rather than a dataclass: closures hash millions of them."""

    kind: ObjectKind
    name: str  # the component (tcb, cnode, vspace, frames, endpoint) or region/notification/untyped name

    def __str__(self) -> str:
        if self.kind in SHARED_KINDS:
            return self.name
        return f"{self.name}.{self.kind.value}"


@dataclass(frozen=True)
class ExtraCap:
    """A cap listed by hand in a component's `caps`, beyond what its channels give it."""

    holder: str
    target: Target
    rights: frozenset[Right]
    span: Span
    badge: int = 0  # 0: unbadged (for an endpoint or notification: can be minted with any badge)
    after_boot: bool = False  # given by a dynamic step (P7): held whatever the holder's `keeps` says


@dataclass(frozen=True)
class Component:
    """A protection domain: one thread with its CSpace and VSpace, one sid, one role."""

    name: str
    sid: str
    role: Role
    span: Span
    objects: tuple[ServerObject, ...] = ()
    caps: tuple[ExtraCap, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()  # data kept for emitters (priority, ...)
    keeps: tuple[Target, ...] | None = None  # role root: the caps it keeps after boot (None: all of them)


@dataclass(frozen=True)
class Connection:
    """A badged endpoint cap the client holds to the server's endpoint."""

    client: str
    server: str
    rights: frozenset[Right]
    badge: int
    span: Span
    capacity: int | None = None
    after_boot: bool = False  # made by a dynamic step (P7): its caps are held whatever `keeps` says

    @property
    def name(self) -> str:
        return f"{self.client}->{self.server}"


@dataclass(frozen=True)
class RegionMap:
    component: str
    rights: frozenset[Right]
    span: Span


@dataclass(frozen=True)
class Region:
    """Shared memory mapped into several components."""

    name: str
    sid: str
    size: int
    maps: tuple[RegionMap, ...]
    span: Span
    capacity: int | None = None


@dataclass(frozen=True)
class Notification:
    name: str
    sid: str
    signallers: tuple[tuple[str, Span], ...]
    waiters: tuple[tuple[str, Span], ...]
    span: Span
    capacity: int | None = None


@dataclass(frozen=True)
class Untyped:
    """Untyped memory and the kernel objects made from it: whoever controls it controls them."""

    name: str
    sid: str
    covers: tuple[Target, ...]
    span: Span


@dataclass(frozen=True)
class System:
    name: str
    file: str
    arch: str
    policy: Policy
    components: dict[str, Component]
    connections: tuple[Connection, ...]
    regions: dict[str, Region]
    notifications: dict[str, Notification]
    span: Span
    policy_spans: tuple[Span, ...] = ()
    microkit: MicrokitSystem | None = None  # the SDF layout, when read from a Microkit SDF
    untyped: dict[str, Untyped] = field(default_factory=dict)

    def objects(self) -> tuple[ServerObject, ...]:
        return tuple(o for c in self.components.values() for o in c.objects)

    def by_role(self, role: Role) -> tuple[Component, ...]:
        return tuple(c for c in self.components.values() if c.role is role)
