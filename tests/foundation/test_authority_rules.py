"""The authority closure (smosverify/analyses/authority/closure.py): one small system per seL4 transfer
rule, the chains `explain` gives, and property tests against a naive reference fixpoint."""

from __future__ import annotations

import textwrap
from collections import defaultdict

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smosverify.analyses.authority.closure import authority_closure
from smosverify.errors import InputError, Span
from smosverify.load.system import load_system
from smosverify.model.authority import initial_caps
from smosverify.model.kernel import COMPONENT_KINDS, ObjectKind, Right, rights_for
from smosverify.model.policy import Policy
from smosverify.model.system import (
    Component,
    Connection,
    ExtraCap,
    Notification,
    Region,
    RegionMap,
    Role,
    System,
    Target,
)

BUF = Target(ObjectKind.REGION, "buf")
READ, WRITE, EXECUTE, CONTROL = Right.READ, Right.WRITE, Right.EXECUTE, Right.CONTROL


def closure_of(tmp_path, write_system, base_policy, body: str):
    text = "system: rules\npolicy: policy.pol\n" + body
    return authority_closure(load_system(write_system(tmp_path, text, base_policy)))


def holds(closure, holder: str, target: Target, right: Right) -> bool:
    return right in closure.final[holder].get(target, frozenset())


def assert_chain(chain: list[str], origin: str, *phrases: str) -> None:
    """The chain starts at `origin` (a cap held from the start) and mentions each phrase, in order
    (each phrase may be a tuple of words that one step must all contain)."""
    assert chain[0].startswith(origin) and "from the start" in chain[0], chain
    position = 0
    for phrase in phrases:
        words = phrase if isinstance(phrase, tuple) else (phrase,)
        position = next((i for i in range(position, len(chain)) if all(w in chain[i] for w in words)), None)
        assert position is not None, (phrase, chain)


# -- grant: send+grant on an endpoint passes every cap to whoever receives on it ---------------

GRANT = """\
components:
  sender: {sid: alice_t, role: client}
  receiver: {sid: server_t, role: server}
connections:
  - {from: sender, to: receiver, rights: [%s]}
regions:
  buf: {sid: public_t, map: {sender: [read, write]}}
"""


def test_grant_passes_the_senders_caps_to_the_receiver(tmp_path, write_system, base_policy):
    closure = closure_of(tmp_path, write_system, base_policy, GRANT % "send, grant")
    assert closure.final["receiver"][BUF] == {READ, WRITE}
    endpoint = Target(ObjectKind.ENDPOINT, "receiver")
    assert closure.final["receiver"][endpoint] == {Right.SEND, Right.GRANT, Right.RECEIVE}
    assert closure.initial["receiver"] == {endpoint: {Right.RECEIVE}}
    chain = closure.explain("receiver", BUF, READ)
    assert_chain(chain, "sender holds read+write on buf from the start (region buf mapped",
                 ("sender", "receiver.endpoint", "send+grant"))
    assert "receiver" in chain[-1]


@pytest.mark.parametrize("rights", ["send", "send, grant_reply", "grant"])
def test_no_grant_without_send_and_grant(tmp_path, write_system, base_policy, rights):
    closure = closure_of(tmp_path, write_system, base_policy, GRANT % rights)
    assert BUF not in closure.final["receiver"]
    assert closure.final == closure.initial


def test_grant_reaches_every_receiver(tmp_path, write_system, base_policy):
    body = GRANT % "send, grant" + "  # a second receiver\n"
    body = body.replace("  receiver: {sid: server_t, role: server}\n",
                        "  receiver: {sid: server_t, role: server}\n"
                        "  thief: {sid: bob_t, role: client, caps: [{to: receiver.endpoint, rights: [receive]}]}\n")
    closure = closure_of(tmp_path, write_system, base_policy, body)
    assert holds(closure, "thief", BUF, WRITE)
    assert_chain(closure.explain("thief", BUF, WRITE), "sender holds read+write on buf", ("thief",))


# -- reply: the server's grant on its own endpoint + the caller's send and grant(_reply) --------

REPLY = """\
components:
  server: {sid: server_t, role: server%s}
  caller: {sid: alice_t, role: client}
connections:
  - {from: caller, to: server, rights: [%s]}
regions:
  buf: {sid: public_t, map: {server: [read]}}
"""
SERVER_GRANT = ", caps: [{to: server.endpoint, rights: [receive, grant]}]"


@pytest.mark.parametrize("caller_rights", ["send, grant_reply", "send, grant"])
def test_reply_passes_the_servers_caps_to_the_caller(tmp_path, write_system, base_policy, caller_rights):
    closure = closure_of(tmp_path, write_system, base_policy, REPLY % (SERVER_GRANT, caller_rights))
    assert closure.final["caller"][BUF] == {READ}
    chain = closure.explain("caller", BUF, READ)
    assert_chain(chain, "server holds read on buf from the start",
                 ("server replies with caps", "server.endpoint", "receive+grant", "[reply]"))
    assert "caller" in chain[-1]


def test_no_reply_transfer_without_the_servers_grant(tmp_path, write_system, base_policy):
    """seL4's setupCallerCap: the reply cap carries grant only if the server's endpoint cap has it."""
    closure = closure_of(tmp_path, write_system, base_policy, REPLY % ("", "send, grant_reply"))
    assert BUF not in closure.final["caller"]
    assert closure.final == closure.initial


@pytest.mark.parametrize("caller_rights", ["send", "grant_reply", "send, receive"])
def test_no_reply_transfer_without_the_callers_send_and_grant_reply(tmp_path, write_system, base_policy, caller_rights):
    closure = closure_of(tmp_path, write_system, base_policy, REPLY % (SERVER_GRANT, caller_rights))
    assert BUF not in closure.final["caller"]


def test_grant_reply_alone_does_not_give_the_server_the_callers_caps(tmp_path, write_system, base_policy):
    body = (REPLY % ("", "send, grant_reply")).replace(
        "map: {server: [read]}", "map: {server: [read]}}\n  mine: {sid: public_t, map: {caller: [write]}")
    closure = closure_of(tmp_path, write_system, base_policy, body)
    assert closure.final == closure.initial


def test_a_reply_carries_the_servers_own_cap_but_not_a_way_back(tmp_path, write_system, base_policy):
    """The server's receive+grant cap travels in its reply. The caller then holds send+grant_reply
    and receive+grant on the endpoint, but no ONE cap with send and grant, so it cannot grant its
    own caps to the server (the merged reading of rights said it could)."""
    body = (REPLY % (SERVER_GRANT, "send, grant_reply")).replace(
        "map: {server: [read]}", "map: {server: [read]}}\n  mine: {sid: public_t, map: {caller: [write]}")
    closure = closure_of(tmp_path, write_system, base_policy, body)
    endpoint = Target(ObjectKind.ENDPOINT, "server")
    assert ("caller", endpoint, frozenset({R, G}), 0) in set(closure.caps())
    assert holds(closure, "caller", endpoint, Right.GRANT)
    assert not holds(closure, "server", Target(ObjectKind.REGION, "mine"), WRITE)
    # with a cap that carries send and grant together, it can
    joined = body.replace("rights: [send, grant_reply]", "rights: [send, grant_reply, grant]")
    closure = closure_of(tmp_path, write_system, base_policy, joined)
    assert_chain(closure.explain("server", Target(ObjectKind.REGION, "mine"), WRITE), "caller holds write on mine",
                 ("caller", "send+grant"))


# -- cnode: control of a CNode moves caps both ways -------------------------------------------

CNODE = """\
components:
  holder: {sid: alice_t, role: client, caps: [{to: owner.%s, rights: [control]}]}
  owner: {sid: bob_t, role: client}
regions:
  mine: {sid: public_t, map: {holder: [read]}}
  buf: {sid: public_t, map: {owner: [write]}}
"""
MINE = Target(ObjectKind.REGION, "mine")


def test_cnode_control_takes_the_owners_caps(tmp_path, write_system, base_policy):
    closure = closure_of(tmp_path, write_system, base_policy, CNODE % "cnode")
    assert closure.final["holder"][BUF] == {WRITE}
    chain = closure.explain("holder", BUF, WRITE)
    assert_chain(chain, "owner holds write on buf from the start")
    assert chain[-1] == "holder copies owner's caps out of owner.cnode, which it controls [copyOut]"


def test_cnode_control_puts_caps_into_the_owners_cnode(tmp_path, write_system, base_policy):
    closure = closure_of(tmp_path, write_system, base_policy, CNODE % "cnode")
    assert closure.final["owner"][MINE] == {READ}
    chain = closure.explain("owner", MINE, READ)
    assert_chain(chain, "holder holds read on mine from the start")
    assert chain[-1] == "holder copies its caps into owner.cnode, which it controls [copyIn]"
    # the owner also ends up with the cap to its own CNode, which adds nothing
    assert closure.final["owner"][Target(ObjectKind.CNODE, "owner")] == {CONTROL}


# -- tcb: control of a thread gives its CNode and VSpace; vspace gives its frames --------------

def test_tcb_control_gives_cnode_vspace_and_through_them_everything(tmp_path, write_system, base_policy):
    closure = closure_of(tmp_path, write_system, base_policy, CNODE % "tcb")
    held = closure.final["holder"]
    assert held[Target(ObjectKind.CNODE, "owner")] == {CONTROL}
    assert held[Target(ObjectKind.VSPACE, "owner")] == {CONTROL}
    assert held[Target(ObjectKind.FRAMES, "owner")] == {READ, WRITE, EXECUTE}
    assert held[BUF] == {WRITE}
    assert closure.final["owner"][MINE] == {READ}
    chain = closure.explain("holder", Target(ObjectKind.FRAMES, "owner"), EXECUTE)
    assert chain == [
        chain[0],
        "holder, controlling owner.tcb, gains control on owner.vspace (tcbVSpace rule)",
        "holder, controlling owner.vspace, gains read+write+execute on owner.frames (vspaceFrames rule)",
    ]
    assert chain[0].startswith("holder holds control on owner.tcb from the start (cap listed in holder.caps")
    chain = closure.explain("holder", BUF, WRITE)
    assert "holder, controlling owner.tcb, gains control on owner.cnode (tcbCNode rule)" in chain
    assert chain[-1] == "holder copies owner's caps out of owner.cnode, which it controls [copyOut]"


def test_vspace_control_gives_only_the_frames(tmp_path, write_system, base_policy):
    closure = closure_of(tmp_path, write_system, base_policy, CNODE % "vspace")
    held = closure.final["holder"]
    assert held[Target(ObjectKind.FRAMES, "owner")] == {READ, WRITE, EXECUTE}
    assert Target(ObjectKind.CNODE, "owner") not in held and BUF not in held
    assert MINE not in closure.final["owner"]
    assert closure.explain("holder", Target(ObjectKind.FRAMES, "owner"), READ)[-1] == (
        "holder, controlling owner.vspace, gains read+write+execute on owner.frames (vspaceFrames rule)")


def test_frames_control_gives_nothing_more(tmp_path, write_system, base_policy):
    body = (CNODE % "frames").replace("rights: [control]", "rights: [read]")
    closure = closure_of(tmp_path, write_system, base_policy, body)
    assert closure.final == closure.initial


def test_rules_chain_across_components(tmp_path, write_system, base_policy):
    """A TCB cap granted over an endpoint is used by its receiver: grant, then tcb, then cnode."""
    body = """\
    components:
      boot: {sid: root_t, role: root, caps: [{to: victim.tcb, rights: [control]}]}
      relay: {sid: server_t, role: server}
      victim: {sid: bob_t, role: client}
    connections:
      - {from: boot, to: relay, rights: [send, grant]}
    regions:
      buf: {sid: public_t, map: {victim: [read]}}
    """
    closure = closure_of(tmp_path, write_system, base_policy, textwrap.dedent(body))
    assert holds(closure, "relay", BUF, READ)
    assert_chain(closure.explain("relay", BUF, READ), "victim holds read on buf from the start",
                 "boot, controlling victim.tcb, gains control on victim.cnode (tcbCNode rule)",
                 "boot copies victim's caps out of victim.cnode, which it controls [copyOut]",
                 ("boot", "relay.endpoint", "send+grant"))
    cnode = Target(ObjectKind.CNODE, "victim")
    assert_chain(closure.explain("relay", cnode, CONTROL), "boot holds control on victim.tcb from the start",
                 ("controlling victim.tcb", "gains control on victim.cnode (tcbCNode rule)"))
    assert any("relay.endpoint" in step for step in closure.explain("relay", cnode, CONTROL))


# -- property tests on random small systems -----------------------------------------------------

SPAN = Span("generated.yaml", 1, 1)
EMPTY_POLICY = Policy(files=(), sids={}, attributes={}, classes={}, rules=(), labels={}, order=(), flows=(),
                      label_of={}, budgets=(), capacities={}, operation_flows=())
ENDPOINT_RIGHTS = (Right.SEND, Right.RECEIVE, Right.GRANT, Right.GRANT_REPLY)
MEMORY_RIGHTS = (READ, WRITE, EXECUTE)


def rights(options):
    return st.frozensets(st.sampled_from(options), min_size=1)


# The combinations the rules care about, drawn often; any other subset now and then.
S, R, G, GR = Right.SEND, Right.RECEIVE, Right.GRANT, Right.GRANT_REPLY
ENDPOINT_COMBOS = st.one_of(
    st.sampled_from([frozenset(c) for c in ({S}, {S, G}, {S, GR}, {R}, {R, G}, {S, R, G}, {S, R})]),
    rights(ENDPOINT_RIGHTS),
)


@st.composite
def systems(draw) -> System:
    """Up to five components with random connections, shared regions, notifications and caps."""
    names = [f"c{i}" for i in range(draw(st.integers(1, 5)))]
    pairs = [(a, b) for a in names for b in names if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=8)) if pairs else []
    connections = tuple(
        Connection(a, b, draw(ENDPOINT_COMBOS), i, SPAN) for i, (a, b) in enumerate(chosen)
    )
    regions = {}
    for i in range(draw(st.integers(0, 3))):
        mapped = draw(st.lists(st.sampled_from(names), unique=True, min_size=1))
        regions[f"r{i}"] = Region(f"r{i}", "s_t", 4096, tuple(RegionMap(c, draw(rights(MEMORY_RIGHTS)), SPAN) for c in mapped), SPAN)
    notifications = {}
    if draw(st.booleans()):
        ends = st.lists(st.sampled_from(names), unique=True, min_size=1)
        notifications["n0"] = Notification("n0", "s_t", tuple((c, SPAN) for c in draw(ends)),
                                           tuple((c, SPAN) for c in draw(ends)), SPAN)
    served = sorted({c.server for c in connections})
    targets = [Target(k, n) for n in names for k in COMPONENT_KINDS]
    targets += [Target(ObjectKind.ENDPOINT, n) for n in served]
    targets += [Target(ObjectKind.REGION, r) for r in regions] + [Target(ObjectKind.NOTIFICATION, n) for n in notifications]
    components = {}
    for name in names:
        caps = []
        for target in draw(st.lists(st.sampled_from(targets), max_size=3)):
            options = ENDPOINT_COMBOS if target.kind is ObjectKind.ENDPOINT else rights(rights_for(target.kind))
            caps.append(ExtraCap(name, target, draw(options), SPAN))
        role = draw(st.sampled_from(list(Role)))
        components[name] = Component(name, "s_t", role, SPAN, (), tuple(caps))
    return System("generated", "generated.yaml", "x86_64", EMPTY_POLICY, components, connections, regions, notifications, SPAN)


def reference_closure(system: System) -> set[tuple[str, Target, frozenset[Right], int]]:
    """The rules applied naively to sets of single caps (holder, target, rights, badge) until
    nothing changes; a premise holds only when one cap carries all its rights."""
    held = {(c.holder, c.target, c.rights, c.badge) for c in initial_caps(system)}
    while True:
        caps_of: dict[str, set] = defaultdict(set)
        for h, t, rs, b in held:
            caps_of[h].add((t, rs, b))

        def one_cap(h, t, accept):
            return any(t2 == t and accept(rs) for t2, rs, _ in caps_of[h])

        new = set(held)
        for e in {t for _, t, _, _ in held if t.kind is ObjectKind.ENDPOINT}:
            for a in system.components:
                for b in system.components:
                    if a == b:
                        continue
                    if one_cap(a, e, lambda rs: {S, G} <= rs) and one_cap(b, e, lambda rs: R in rs):  # grant a -> b
                        new |= {(b, *cap) for cap in caps_of[a]}
                    if one_cap(a, e, lambda rs: {R, G} <= rs) and one_cap(b, e, lambda rs: S in rs and (G in rs or GR in rs)):
                        new |= {(b, *cap) for cap in caps_of[a]}  # reply a -> b
        for h, t, rs, _ in held:
            if CONTROL not in rs:
                continue
            if t.kind is ObjectKind.CNODE:
                new |= {(h, *cap) for cap in caps_of[t.name]} | {(t.name, *cap) for cap in caps_of[h]}
            elif t.kind is ObjectKind.TCB:
                new |= {(h, Target(ObjectKind.CNODE, t.name), frozenset({CONTROL}), 0),
                        (h, Target(ObjectKind.VSPACE, t.name), frozenset({CONTROL}), 0)}
            elif t.kind is ObjectKind.VSPACE:
                new.add((h, Target(ObjectKind.FRAMES, t.name), frozenset(MEMORY_RIGHTS), 0))
        if new == held:
            return held
        held = new


def as_set(closure) -> set[tuple[str, Target, frozenset[Right], int]]:
    return set(closure.caps())


def reply_example(caller_rights: frozenset[Right], server_grant: bool) -> System:
    """A caller, a server that may hold grant on its own endpoint, and a region only the server maps."""
    caps = (ExtraCap("server", Target(ObjectKind.ENDPOINT, "server"), frozenset({R, G}), SPAN),) if server_grant else ()
    return System(
        "reply", "generated.yaml", "x86_64", EMPTY_POLICY,
        {"caller": Component("caller", "s_t", Role.CLIENT, SPAN),
         "server": Component("server", "s_t", Role.SERVER, SPAN, (), caps)},
        (Connection("caller", "server", caller_rights, 1, SPAN),),
        {"buf": Region("buf", "s_t", 4096, (RegionMap("server", frozenset({READ}), SPAN),), SPAN)}, {}, SPAN,
    )


@example(reply_example(frozenset({S, GR}), True))
@example(reply_example(frozenset({S, GR}), False))
@example(reply_example(frozenset({S, G}), True))
@example(reply_example(frozenset({GR}), True))
@settings(max_examples=200, deadline=None)
@given(systems())
def test_closure_equals_the_reference_fixpoint(system):
    closure = authority_closure(system)
    assert as_set(closure) == reference_closure(system)
    initial = {(c.holder, c.target, r) for c in initial_caps(system) for r in c.rights}
    assert {(h, t, r) for h, caps in closure.initial.items() for t, rs in caps.items() for r in rs} == initial


def test_separate_send_and_grant_caps_do_not_grant(tmp_path, write_system, base_policy):
    """seL4 checks the rights of the one cap a message is sent through: a send-only cap and a
    grant-only cap to one endpoint, held side by side, transfer nothing."""
    body = (GRANT % "send").replace(
        "  sender: {sid: alice_t, role: client}",
        "  sender: {sid: alice_t, role: client, caps: [{to: receiver.endpoint, rights: [grant]}]}")
    closure = closure_of(tmp_path, write_system, base_policy, body)
    assert closure.final["sender"][Target(ObjectKind.ENDPOINT, "receiver")] == {Right.SEND, Right.GRANT}
    assert BUF not in closure.final["receiver"]


@settings(max_examples=100, deadline=None)
@given(systems(), st.randoms(use_true_random=False))
def test_closure_is_independent_of_input_order(system, rnd):
    def shuffled(items):
        items = list(items)
        rnd.shuffle(items)
        return items

    components = {
        name: Component(c.name, c.sid, c.role, c.span, c.objects, tuple(shuffled(c.caps)))
        for name, c in ((n, system.components[n]) for n in shuffled(system.components))
    }
    regions = {n: Region(r.name, r.sid, r.size, tuple(shuffled(r.maps)), r.span) for n, r in
               ((n, system.regions[n]) for n in shuffled(system.regions))}
    notifications = {n: Notification(v.name, v.sid, tuple(shuffled(v.signallers)), tuple(shuffled(v.waiters)), v.span)
                     for n, v in system.notifications.items()}
    permuted = System(system.name, system.file, system.arch, system.policy, components,
                      tuple(shuffled(system.connections)), regions, notifications, system.span)
    a, b = authority_closure(system), authority_closure(permuted)
    assert a.final == b.final
    assert a.initial == b.initial


@settings(max_examples=100, deadline=None)
@given(systems())
def test_every_cap_in_the_closure_has_an_explanation(system):
    closure = authority_closure(system)
    for holder, target, rights_ in closure.edges():
        for right in rights_:
            chain = closure.explain(holder, target, right)
            assert chain and "from the start" in chain[0]
            if right in closure.initial[holder].get(target, frozenset()):
                assert len(chain) == 1 and chain[0].startswith(f"{holder} holds ") and f" on {target}" in chain[0]


# -- untypedCover: control of untyped memory is control of what was made from it ----------------

UNTYPED = """\
components:
  mm: {sid: server_t, role: server, caps: [{to: pool, rights: [control]}]}
  auth: {sid: policy_t, role: policy}
untyped:
  pool: {sid: public_t, covers: [auth.tcb, auth.frames]}
"""


def test_untyped_control_gives_every_right_on_what_it_covers(tmp_path, write_system, base_policy):
    closure = closure_of(tmp_path, write_system, base_policy, UNTYPED)
    held = closure.final["mm"]
    assert held[Target(ObjectKind.TCB, "auth")] == {CONTROL}
    assert held[Target(ObjectKind.FRAMES, "auth")] == {READ, WRITE, EXECUTE}
    assert held[Target(ObjectKind.CNODE, "auth")] == {CONTROL}  # then tcbCNode
    chain = closure.explain("mm", Target(ObjectKind.CNODE, "auth"), CONTROL)
    assert_chain(chain, "mm holds control on pool from the start", "(untypedCover rule)", "(tcbCNode rule)")
    # read-only access to untyped memory is no cap the kernel gives: only control is a right on it
    bad = UNTYPED.replace("rights: [control]", "rights: [read]")
    with pytest.raises(InputError, match="cannot carry read"):
        closure_of(tmp_path, write_system, base_policy, bad)


@pytest.mark.parametrize("text, message", [
    ("untyped:\n  pool: {sid: public_t, covers: [nobody.tcb]}\n", "unknown component 'nobody'"),
    ("untyped:\n  pool: {sid: public_t, covers: [pool]}\n", "cannot cover itself"),
    ("untyped:\n  pool: {sid: nosuch_t, covers: []}\n", "unknown sid 'nosuch_t'"),
])
def test_bad_untyped_is_refused_at_its_position(tmp_path, write_system, base_policy, text, message):
    body = "components:\n  mm: {sid: server_t, role: server}\n" + text
    with pytest.raises(InputError, match=message) as err:
        closure_of(tmp_path, write_system, base_policy, body)
    assert err.value.span.line >= 4


# -- badges survive transfer; an unbadged cap stands for any badge (mint) ---------------------

def test_a_granted_cap_keeps_its_badge(tmp_path, write_system, base_policy):
    body = """\
    components:
      fs: {sid: server_t, role: server}
      alice: {sid: alice_t, role: client}
      relay: {sid: bob_t, role: server}
    connections:
      - {from: alice, to: fs, rights: [send], badge: 7}
      - {from: alice, to: relay, rights: [send, grant]}
    """
    closure = closure_of(tmp_path, write_system, base_policy, textwrap.dedent(body))
    fs = Target(ObjectKind.ENDPOINT, "fs")
    assert ("relay", fs, frozenset({Right.SEND}), 7) in set(closure.caps())
    assert closure.holders(fs) == [("fs", frozenset({Right.RECEIVE}), 0), ("alice", frozenset({Right.SEND}), 7),
                                   ("relay", frozenset({Right.SEND}), 7)]
