"""seL4's authority and flow rules, stated once.

Every closure (YAML systems, Microkit systems, capDL specs, P7's dynamic states), the flow graph
and the Lean emitter take their rules from here, by name: `AUTHORITY_RULES` are mirrored one for
one by the constructors of Lean's `KStep` and `FLOW_RULES` by those of `FlowStep`
(lean/SMOS/Model/Step.lean; tests compare the lists). Premises speak of single caps: seL4 checks the rights of the one cap an operation is
invoked through, so two caps that together carry send and grant do not let anyone grant.
docs/authority-rules.md shows each rule with an example.
"""

from __future__ import annotations

from dataclasses import dataclass

from smosverify.model.kernel import ObjectKind, Right


@dataclass(frozen=True)
class Rule:
    name: str  # the name of the rule everywhere: evidence, docs, Lean's constructor
    premises: tuple[str, ...]
    conclusion: str
    source: str  # where seL4 or l4v says so


AUTHORITY_RULES: tuple[Rule, ...] = (
    Rule(
        "grant",
        ("S holds one cap to endpoint E with send and grant", "R holds a cap to E with receive"),
        "R gains every cap S holds (same object, rights and badge)",
        "seL4 reference manual §4.2 (capability transfer); kernel transferCaps: the send cap's grant right",
    ),
    Rule(
        "reply",
        ("C holds one cap to endpoint E with send, and grant or grant_reply",
         "V holds one cap to E with receive and grant"),
        "C gains every cap V holds (the reply carries them)",
        "kernel setupCallerCap: the reply cap gets the receiver's grant right; manual §4.2.4",
    ),
    Rule(
        "copyOut",
        ("A holds a cap to X's CNode with control",),
        "A gains every cap X holds",
        "manual §3.1 (CNode methods Copy, Mint, Move); l4v access control: Control over a CNode",
    ),
    Rule(
        "copyIn",
        ("A holds a cap to X's CNode with control",),
        "X gains every cap A holds",
        "manual §3.1 (CNode methods Copy, Mint, Move into any slot of the CNode)",
    ),
    Rule(
        "tcbCNode",
        ("A holds a cap to X's TCB with control",),
        "A gains control of X's CNode",
        "manual §6.1 (TCB_SetSpace: set and read the thread's CSpace root)",
    ),
    Rule(
        "tcbVSpace",
        ("A holds a cap to X's TCB with control",),
        "A gains control of X's VSpace",
        "manual §6.1 (TCB_SetSpace: set the thread's VSpace root)",
    ),
    Rule(
        "vspaceFrames",
        ("A holds a cap to X's VSpace with control",),
        "A gains read, write and execute on X's frames (it can remap the address space X runs in)",
        "manual §7 (virtual memory: mapping and unmapping in a VSpace)",
    ),
    Rule(
        "untypedCover",
        ("A holds a cap to untyped U with control", "U covers object T"),
        "A gains every right on T (it can revoke U, deleting T, and retype over its memory)",
        "manual §2.4 (untyped memory, revoke and retype); l4v access control: an untyped cap gives Control of its range",
    ),
    Rule(
        "mint",
        ("A holds an unbadged cap (badge 0) to an endpoint or notification",),
        "A can make a copy with any badge (represented by badge 0 itself: no new cap is listed)",
        "manual §3.1.3 (Mint sets a badge only on an unbadged cap)",
    ),
    Rule(
        "revoke",
        ("A holds a cap to object T",),
        "every cap derived from it is deleted (removes authority only; closures are upper bounds and ignore it)",
        "manual §3.1.4 (revoke)",
    ),
)

AUTHORITY_RULE = {rule.name: rule for rule in AUTHORITY_RULES}

FLOW_RULES: tuple[Rule, ...] = (
    Rule("call", ("A holds a cap to endpoint E with send", "B holds a cap to E with receive"),
         "A flows to B (the request message)", "manual §4.2 (Send, Call)"),
    Rule("answer", ("A holds a cap to endpoint E with send", "B holds a cap to E with receive"),
         "B flows to A: a full reply when A's cap has grant or grant_reply, else 1 bit (when B took the message)",
         "manual §4.2.4 (Reply); a blocking send reveals when it was received"),
    Rule("receiveAffects", ("A and B both hold caps to endpoint or notification E with receive (wait)",),
         "A and B flow to each other through E: whoever receives first consumes what the other would have seen",
         "l4v information flow: Receive is an affecting authority"),
    Rule("signal", ("A holds a cap to notification N with signal", "B holds a cap to N with wait"),
         "A flows to B through N", "manual §5 (notifications)"),
    Rule("memory", ("A holds a cap to frames or a region whose rights include read",),
         "read: the memory flows to A; read and write: A also flows into it. Without read there is no user "
         "mapping (kernel-only on x86 and ARM, no write-only mapping on RISC-V), so no flow",
         "kernel maskVMRights / makeUserPTE: VMKernelOnly when read is absent"),
    Rule("control", ("A holds control of X's TCB, CNode or VSpace",), "A and X flow both ways",
         "l4v information flow: Control is reading and affecting"),
    Rule("object", ("S implements object O", "A can call S (a cap with send to S's endpoint, or a handle) and "
                    "acts as sid i (its own, or a declared client's whose badge it holds)"),
         "S and O flow both ways; A flows into O by the operations the policy allows i that write, O into A by "
         "those that read", "SMOS: the server mediates every operation (docs/properties.md, acting sids)"),
)


def can_send_caps(rights: frozenset[Right]) -> bool:
    """`grant`'s premise on the sender's one cap."""
    return Right.SEND in rights and Right.GRANT in rights


def can_receive(rights: frozenset[Right]) -> bool:
    return Right.RECEIVE in rights


def replies_with_caps(rights: frozenset[Right]) -> bool:
    """`reply`'s premise on the receiver's one cap."""
    return Right.RECEIVE in rights and Right.GRANT in rights


def gets_replies_with_caps(rights: frozenset[Right]) -> bool:
    """`reply`'s premise on the caller's one cap."""
    return Right.SEND in rights and (Right.GRANT in rights or Right.GRANT_REPLY in rights)


def controls(rights: frozenset[Right]) -> bool:
    return Right.CONTROL in rights


ALL_MEMORY = frozenset({Right.READ, Right.WRITE, Right.EXECUTE})
CONTROL = frozenset({Right.CONTROL})

# What control of a component's object gives over its other objects: (kind held, kind gained, rights, rule).
DERIVED: tuple[tuple[ObjectKind, ObjectKind, frozenset[Right], str], ...] = (
    (ObjectKind.TCB, ObjectKind.CNODE, CONTROL, "tcbCNode"),
    (ObjectKind.TCB, ObjectKind.VSPACE, CONTROL, "tcbVSpace"),
    (ObjectKind.VSPACE, ObjectKind.FRAMES, ALL_MEMORY, "vspaceFrames"),
)

MEMORY_KINDS = (ObjectKind.FRAMES, ObjectKind.REGION)


def mapped(rights: frozenset[Right]) -> frozenset[Right]:
    """The memory rights a frame cap really gives its holder: none without read (`memory`)."""
    return rights if Right.READ in rights else frozenset()


def mintable(kind: ObjectKind, badge: int) -> bool:
    """An unbadged endpoint or notification cap stands for a cap with any badge (`mint`)."""
    return badge == 0 and kind in (ObjectKind.ENDPOINT, ObjectKind.NOTIFICATION)
