"""The closure (components merged as they form, mailboxes per endpoint, caps numbered) against a
naive fixpoint that applies every rule of docs/authority-rules.md to every cap of every CNode,
one cap at a time, until nothing changes: on random specs the two give each thread exactly the
same caps (object, rights, badge), not merely one containing the other."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smosverify.analyses.capdl.authority import SpecCap, cap_rights, mapped_frames, spec_authority
from smosverify.load.capdl.reader import parse_capdl
from smosverify.model.capdl import PAGE_TABLES, CapType, ObjectType
from smosverify.model.kernel import Right as R

THREADS, CNODES, ENDPOINTS = 4, 5, 3
# separate send-only and grant-only caps, receive with and without grant, grant-reply alone
EP_RIGHTS = ["R", "W", "G", "P", "RW", "WG", "WP", "RG", "RP", "RWGP", "WGP"]
COVERABLE = [f"t{i}" for i in range(THREADS)] + [f"c{i}" for i in range(CNODES)] + [
    f"e{i}" for i in range(ENDPOINTS)] + ["f0", "f1", "n", "p0", "u1"]


@st.composite
def specs(draw) -> str:
    caps = {f"c{i}": [] for i in range(CNODES)}
    for cnode in caps:
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["ep"] * 6 + ["cnode", "tcb", "frame", "table", "ut", "ntfn"]))
            if kind == "ep":
                badge = draw(st.sampled_from([0, 0, 1, 2]))
                caps[cnode].append(f"e{draw(st.integers(0, ENDPOINTS - 1))} ({draw(st.sampled_from(EP_RIGHTS))}, "
                                   f"badge: {badge})")
            elif kind == "cnode":
                caps[cnode].append(f"c{draw(st.integers(0, CNODES - 1))}")
            elif kind == "tcb":
                caps[cnode].append(f"t{draw(st.integers(0, THREADS - 1))}")
            elif kind == "frame":
                caps[cnode].append(f"f{draw(st.integers(0, 1))} ({draw(st.sampled_from(['R', 'RW', 'W']))})")
            elif kind == "table":
                caps[cnode].append(f"p{draw(st.integers(0, THREADS - 1))}")
            elif kind == "ut":
                caps[cnode].append(f"u{draw(st.integers(0, 1))}")
            else:
                caps[cnode].append(f"n ({draw(st.sampled_from(['R', 'W', 'RW']))})")
    covered = draw(st.lists(st.sampled_from(COVERABLE), unique=True, max_size=6))
    split = draw(st.integers(0, len(covered)))
    u0, u1 = covered[:split], [name for name in covered[split:] if name != "u1"]
    roots = [draw(st.sampled_from([i, i, draw(st.integers(0, CNODES - 1))])) for i in range(THREADS)]  # mostly its own
    lines = ["arch x86_64", "objects {"]
    lines += [f"  t{i} = tcb\n  p{i} = pml4\n  q{i} = pdpt" for i in range(THREADS)]
    lines += [f"  c{i} = cnode (4 bits)" for i in range(CNODES)]
    lines += [f"  e{i} = ep" for i in range(ENDPOINTS)] + ["  f0 = frame (4k)\n  f1 = frame (4k)\n  n = notification"]
    lines += [f"  u0 = ut (20 bits) {{ {' '.join(u0)} }}", f"  u1 = ut (16 bits) {{ {' '.join(u1)} }}", "}", "caps {"]
    for i, root in enumerate(roots):
        fault = f"; fault_ep_slot: e{i % ENDPOINTS} (W, badge: {i})" if draw(st.booleans()) else ""
        lines.append(f"  t{i} {{ cspace: c{root}; vspace: p{i}; bound_notification: n (R){fault} }}")
        lines.append(f"  p{i} {{ 0: q{i} }}\n  q{i} {{ {i}: f{i % 2} ({'R' if i < 2 else 'RW'}) }}")
    lines += [f"  {c} {{ {'; '.join(f'{k}: {cap}' for k, cap in enumerate(entries))} }}" for c, entries in caps.items()]
    return "\n".join(lines + ["}"])


# Every right a cap to an object of this type can carry (what an untyped cap gives on what it covers).
EVERY_RIGHT = {ObjectType.EP: {R.SEND, R.RECEIVE, R.GRANT, R.GRANT_REPLY}, ObjectType.NOTIFICATION: {R.SIGNAL, R.WAIT},
               ObjectType.FRAME: {R.READ, R.WRITE, R.EXECUTE}}


def reference(spec) -> dict[str, set[SpecCap]]:
    """Apply every rule to every cap of every CNode, and to every pair of CNodes, until nothing changes."""
    cnodes = [o.name for o in spec.objects.values() if o.type is ObjectType.CNODE]
    holds = {c: {SpecCap(cap.target, cap_rights(cap), cap.badge) for cap in spec.objects[c].slots.values()}
             for c in cnodes}
    threads = [o.name for o in spec.objects.values() if o.type is ObjectType.TCB]

    def uses(t):
        """The thread's own: send on its fault endpoint, wait on its bound notification, its mapped frames."""
        out = set()
        for slot, cap in spec.objects[t].slots.items():
            if cap.type is CapType.ENDPOINT:
                out.add(SpecCap(cap.target, frozenset({R.SEND}), cap.badge))
            elif cap.type is CapType.NOTIFICATION:
                out.add(SpecCap(cap.target, frozenset({R.WAIT}), cap.badge))
        for _, _, cap in mapped_frames(spec, spec.objects[t].slots[1].target):
            out.add(SpecCap(cap.target, cap_rights(cap), cap.badge))
        return out

    def one_cap(c, obj, needs) -> bool:
        """Does CNode c hold one cap to obj whose rights satisfy `needs`?"""
        return any(cap.target == obj and needs(cap.rights) for cap in holds[c])

    def gain(c, obj, rights):
        holds[c].add(SpecCap(obj, frozenset(rights), 0))

    changed = True
    while changed:
        before = {c: len(h) for c, h in holds.items()}
        for a in cnodes:
            for cap in list(holds[a]):
                if R.CONTROL not in cap.rights or cap.target not in spec.objects:
                    continue
                obj = spec.objects[cap.target]
                if obj.type is ObjectType.CNODE:  # copyOut, copyIn
                    holds[a] |= holds[obj.name]
                    holds[obj.name] |= holds[a]
                elif obj.type is ObjectType.TCB:  # tcbCNode, tcbVSpace
                    for slot in (0, 1):
                        if slot in obj.slots:
                            gain(a, obj.slots[slot].target, {R.CONTROL})
                elif obj.type in PAGE_TABLES:  # vspaceFrames
                    for _, _, frame in mapped_frames(spec, obj.name):
                        gain(a, frame.target, {R.READ, R.WRITE, R.EXECUTE})
                elif obj.type is ObjectType.UT:  # untypedCover
                    for covered in spec.covers.get(obj.name, ()):
                        gain(a, covered, EVERY_RIGHT.get(spec.objects[covered].type, {R.CONTROL}))
        for e in (o.name for o in spec.objects.values() if o.type is ObjectType.EP):
            for a in cnodes:
                for b in cnodes:
                    if one_cap(a, e, lambda r: {R.SEND, R.GRANT} <= r) and one_cap(b, e, lambda r: R.RECEIVE in r):
                        holds[b] |= holds[a]  # grant
                    if one_cap(a, e, lambda r: {R.RECEIVE, R.GRANT} <= r) and one_cap(
                            b, e, lambda r: R.SEND in r and (R.GRANT in r or R.GRANT_REPLY in r)):
                        holds[b] |= holds[a]  # reply
        changed = any(len(h) != before[c] for c, h in holds.items())
    return {t: holds[spec.objects[t].slots[0].target] | uses(t) for t in threads}


@settings(max_examples=300, deadline=None)
@given(specs())
def test_closure_matches_the_naive_fixpoint(text):
    spec = parse_capdl(text, "random.cdl")
    auth = spec_authority(spec)
    expected = reference(spec)
    for t in auth.threads:
        assert auth.caps(t) == expected[t], t
        rights: dict[str, set] = {}
        for cap in expected[t]:
            rights.setdefault(cap.target, set()).update(cap.rights)
        assert {obj: set(r) for obj, r in auth.final[t].items()} == rights, t
