"""The caller index an instance module carries beside its certificate (Lean's `CallerIndex`).

For each server, the sids of its callers (holders of a listed cap with send on its endpoint,
apart from it) and of its declared clients, by badge, and its objects; the declared badges; and
for each object, the operations the decision table permits on it, by subject sid. Lean checks that
the index lists all of these (`checkIndex`), so the index is a hint that saves the
kernel work, not something the proofs trust. Trees are balanced over sorted keys, so a lookup
takes a logarithmic number of steps.
"""

from __future__ import annotations

from collections import defaultdict

from smosverify.emit.lean_data import ROLES


def component_key(c: tuple) -> int:
    """Lean's `Component.key` of the component term `c` (id, sid, role, spawned)."""
    return (((1 if c[3] else 0) * 2**64 + c[0]) * 2**64 + c[1]) * 4 + ROLES.index(c[2])


def abstract(c: tuple) -> tuple:
    """Lean's `Component.abs`: a spawned component as its summary (id 0)."""
    return (0, *c[1:]) if c[3] else c


def caller_index(sys: dict, cert: dict) -> dict:
    """`{"servers": [(server, callers, clients, objects)], "declared": [badge], "opens": [(object id,
    ops)]}`, servers in key order, where `callers` and `clients` map each badge, and `ops` each
    subject sid, to the sorted sids or operations listed under it."""
    callers: dict[tuple, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    clients: dict[tuple, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    objects: dict[tuple, list] = defaultdict(list)
    for holder, target, rights, badge in cert["caps"]:
        if target[0] == "own" and target[2] == "endpoint" and "send" in rights and (holder != target[1] or holder[3]):
            callers[target[1]][badge].add(holder[1])
    for server, badge, sid in sys["clients"]:
        clients[abstract(server)][badge].add(sid)
    for o in sys["objects"]:
        objects[abstract(o[3])].append(o)
    opens: dict[int, dict[int, set]] = {o[0]: defaultdict(set) for o in sys["objects"]}
    by_class = defaultdict(list)
    for o in sys["objects"]:
        by_class[(o[2], o[1])].append(o[0])
    for (subject, obj, cls, op), permit in sys["decisions"]:
        if permit:
            for oid in by_class.get((obj, cls), ()):
                opens[oid][subject].add(op)
    servers = sorted(set(callers) | set(clients) | set(objects), key=component_key)
    return {"servers": [(s, _sorted(callers.get(s, {})), _sorted(clients.get(s, {})), objects.get(s, [])) for s in servers],
            "declared": sorted(set(cert["declared"])), "opens": sorted((oid, _sorted(ops)) for oid, ops in opens.items())}


def _sorted(table: dict[int, set]) -> dict[int, list]:
    return {k: sorted(table[k]) for k in sorted(table)}


def ktree(entries: list[tuple[int, str]]) -> str:
    """Lean's `KTree` of `(key, value text)` entries sorted by key, balanced."""
    if not entries:
        return ".leaf"
    mid = len(entries) // 2
    key, value = entries[mid]
    return f"(.node {ktree(entries[:mid])} {key} {value} {ktree(entries[mid + 1:])})"
