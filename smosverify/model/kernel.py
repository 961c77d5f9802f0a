"""seL4 kernel objects, the rights caps carry on them, and the policy classes they belong to."""

from __future__ import annotations

from enum import Enum
from functools import cache


class Right(str, Enum):
    """A right a capability carries; the names are the policy operations of the kernel classes."""

    READ = "read"
    WRITE = "write"
    EXECUTE = "execute"
    SEND = "send"
    RECEIVE = "receive"
    GRANT = "grant"
    GRANT_REPLY = "grant_reply"
    SIGNAL = "signal"
    WAIT = "wait"
    CONTROL = "control"


class ObjectKind(str, Enum):
    """Kinds of kernel object a cap in the model can name."""

    TCB = "tcb"
    CNODE = "cnode"
    VSPACE = "vspace"
    FRAMES = "frames"  # a component's private memory: frames and the untyped they came from
    ENDPOINT = "endpoint"
    REGION = "region"  # shared memory
    NOTIFICATION = "notification"
    UNTYPED = "untyped"  # untyped memory the listed objects were made from (system key `untyped:`)


# The policy class of each kernel object kind (built into the policy language).
KIND_CLASS: dict[ObjectKind, str] = {
    ObjectKind.TCB: "tcb",
    ObjectKind.CNODE: "cnode",
    ObjectKind.VSPACE: "vspace",
    ObjectKind.FRAMES: "memory",
    ObjectKind.ENDPOINT: "endpoint",
    ObjectKind.REGION: "memory",
    ObjectKind.NOTIFICATION: "notification",
    ObjectKind.UNTYPED: "untyped",
}

# The built-in kernel classes and their operations, in declaration order.
KERNEL_CLASSES: dict[str, tuple[Right, ...]] = {
    "tcb": (Right.CONTROL,),
    "cnode": (Right.CONTROL,),
    "vspace": (Right.CONTROL,),
    "memory": (Right.READ, Right.WRITE, Right.EXECUTE),
    "endpoint": (Right.SEND, Right.RECEIVE, Right.GRANT, Right.GRANT_REPLY),
    "notification": (Right.SIGNAL, Right.WAIT),
    "untyped": (Right.CONTROL,),
}

# Kinds that belong to one component (named `component.kind`).
COMPONENT_KINDS = (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE, ObjectKind.FRAMES)
# Kinds declared on their own at system level (named by their own name).
SHARED_KINDS = (ObjectKind.REGION, ObjectKind.NOTIFICATION, ObjectKind.UNTYPED)


def rights_for(kind: ObjectKind) -> tuple[Right, ...]:
    """The rights a cap to an object of this kind may carry."""
    return KERNEL_CLASSES[KIND_CLASS[kind]]


@cache
def by_name(rights: frozenset[Right]) -> tuple[Right, ...]:
    """Rights in the order reports list them: by name. A system has few distinct sets of rights,
    and the analyses ask for each one over and over, so each is sorted once."""
    return tuple(sorted(rights, key=lambda r: r.value))
