"""The closure (components merged as they form, mailboxes per endpoint) against a naive fixpoint
that applies every rule to every pair of CNodes until nothing changes, on random specs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smosverify.analyses.capdl_authority import cap_rights, mapped_frames, spec_authority
from smosverify.load.capdl import parse_capdl
from smosverify.model.capdl import PAGE_TABLES, ObjectType
from smosverify.model.kernel import Right as R

THREADS, CNODES, ENDPOINTS = 4, 5, 3
RIGHTS = ["R", "W", "RW", "WG", "WP", "RG", "RWGP", "WGP"]


@st.composite
def specs(draw) -> str:
    caps = {f"c{i}": [] for i in range(CNODES)}
    for cnode in caps:
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["ep", "ep", "ep", "cnode", "tcb", "frame", "table"]))
            if kind == "ep":
                caps[cnode].append(f"e{draw(st.integers(0, ENDPOINTS - 1))} ({draw(st.sampled_from(RIGHTS))})")
            elif kind == "cnode":
                caps[cnode].append(f"c{draw(st.integers(0, CNODES - 1))}")
            elif kind == "tcb":
                caps[cnode].append(f"t{draw(st.integers(0, THREADS - 1))}")
            elif kind == "frame":
                caps[cnode].append(f"f{draw(st.integers(0, 1))} (RW)")
            else:
                caps[cnode].append(f"p{draw(st.integers(0, THREADS - 1))}")
    roots = [draw(st.integers(0, CNODES - 1)) for _ in range(THREADS)]
    lines = ["arch x86_64", "objects {"]
    lines += [f"  t{i} = tcb\n  p{i} = pml4\n  q{i} = pdpt" for i in range(THREADS)]
    lines += [f"  c{i} = cnode (4 bits)" for i in range(CNODES)]
    lines += [f"  e{i} = ep" for i in range(ENDPOINTS)] + ["  f0 = frame (4k)\n  f1 = frame (4k)\n  n = notification", "}", "caps {"]
    for i, root in enumerate(roots):
        lines.append(f"  t{i} {{ cspace: c{root}; vspace: p{i}; bound_notification: n (R) }}")
        lines.append(f"  p{i} {{ 0: q{i} }}\n  q{i} {{ {i}: f{i % 2} (R) }}")
    lines += [f"  {c} {{ {'; '.join(f'{k}: {cap}' for k, cap in enumerate(entries))} }}" for c, entries in caps.items()]
    return "\n".join(lines + ["}"])


def reference(spec) -> dict[str, set]:
    """Apply the rules to all CNodes, every pair, until nothing changes."""
    cnodes = [o.name for o in spec.objects.values() if o.type is ObjectType.CNODE]
    holds = {c: {(cap.target, r) for cap in spec.objects[c].slots.values() for r in cap_rights(cap)} for c in cnodes}
    threads = [o.name for o in spec.objects.values() if o.type is ObjectType.TCB]

    def local(t):
        slots = spec.objects[t].slots
        out = {(slots[8].target, R.WAIT)} if 8 in slots else set()
        for _, _, cap in mapped_frames(spec, slots[1].target if 1 in slots else None):
            out |= {(cap.target, r) for r in cap_rights(cap)}
        return out

    def has(c, obj, *rights):
        return all((obj, r) in holds[c] for r in rights)

    changed = True
    while changed:
        before = {c: len(h) for c, h in holds.items()}
        for a in cnodes:
            for obj, right in list(holds[a]):
                kind = spec.objects[obj].type if obj in spec.objects else None
                if right is not R.CONTROL:
                    continue
                if kind is ObjectType.CNODE:
                    holds[a] |= holds[obj]
                    holds[obj] |= holds[a]
                elif kind is ObjectType.TCB:
                    holds[a] |= local(obj) | {(spec.objects[obj].slots[k].target, R.CONTROL) for k in (0, 1)}
                elif kind in PAGE_TABLES:
                    holds[a] |= {(cap.target, r) for _, _, cap in mapped_frames(spec, obj) for r in cap_rights(cap)}
        for e in (o.name for o in spec.objects.values() if o.type is ObjectType.EP):
            for a in cnodes:
                for b in cnodes:
                    if has(a, e, R.SEND, R.GRANT) and has(b, e, R.RECEIVE):
                        holds[b] |= holds[a]
                    if has(a, e, R.RECEIVE, R.GRANT) and has(b, e, R.SEND) and (has(b, e, R.GRANT) or has(b, e, R.GRANT_REPLY)):
                        holds[b] |= holds[a]
        changed = any(len(h) != before[c] for c, h in holds.items())
    return {t: holds[spec.objects[t].slots[0].target] | local(t) for t in threads}


@settings(max_examples=150, deadline=None)
@given(specs())
def test_closure_matches_the_naive_fixpoint(text):
    spec = parse_capdl(text, "random.cdl")
    auth = spec_authority(spec)
    expected = reference(spec)
    for t in auth.threads:
        got = {(obj, r) for obj, rights in auth.final[t].items() for r in rights}
        assert got == expected[t], t
