"""`capdl inspect`: a capDL spec's summary as data, and its text and JSON renderings.

The JSON (docs/capdl.md) has `arch`, `objects` (capDL type keyword -> number, each array
element counted), `objects_total`, `caps` (cap type -> rights as written -> number), `caps_total`
(every slot entry of every object with slots), `threads`, `authority` and `transfers` (the edges
caps travel along, each with its rule's name in the rule table and the step of that rule).

`authority` stays as large as the spec, not threads x objects: when the rules merge the CSpaces
of many threads (a grant cycle), those threads share one closed set of caps, so it is listed once,
as a class, and each thread names its class and adds what only it uses (its TCB slots and the
frames its VSpace maps). `thread_authority` gives one thread's edges, rights obtained marked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from smosverify.analyses.capdl.authority import SpecAuthority
from smosverify.model.capdl import CapDLSpec

MAX_SHOWN = 50


def inspect_summary(spec: CapDLSpec, auth: SpecAuthority) -> dict:
    objects = Counter(obj.type.value for obj in spec.objects.values())
    caps: dict[str, Counter] = {}
    for _, _, cap in spec.caps():
        caps.setdefault(cap.type.value, Counter())[cap.rights_text()] += 1
    edges = _Edges(spec, auth)
    classes, class_of = _classes(auth)
    return {
        "file": spec.file,
        "arch": spec.arch,
        "objects": dict(sorted(objects.items())),
        "objects_total": len(spec.objects),
        "caps": {t: dict(sorted(c.items())) for t, c in sorted(caps.items())},
        "caps_total": sum(len(obj.slots) for obj in spec.objects.values()),
        "threads": len(auth.threads),
        "irq_map": len(spec.irq_map),
        "cdt": len(spec.cdt),
        "cap_names": len(spec.cap_names),
        "untyped_covers": len(spec.covers),
        "authority": {
            "classes": [{"class": k, "threads": members, "authority": edges.of(caps)}
                        for k, (caps, members) in enumerate(classes)],
            "threads": [{"thread": t, "class": class_of[t], "cspace": list(auth.cspaces[t]), "uses": edges.of(auth.uses[t])}
                        for t in auth.threads],
        },
        "transfers": [{"from": t.source, "to": t.sink, "rule": t.rule, "step": t.step, "via": t.via}
                      for t in auth.transfers],
    }


def thread_authority(spec: CapDLSpec, auth: SpecAuthority, thread: str) -> dict:
    """One thread's closed authority, edge by edge: the rights, and those it only obtains."""
    types = {name: obj.type.value for name, obj in spec.objects.items()}
    initial = auth.initial[thread]
    return {
        "file": spec.file,
        "thread": thread,
        "class": _classes(auth)[1][thread],
        "authority": [{"object": obj, "type": types.get(obj), "rights": sorted(r.value for r in rights),
                       "obtained": sorted(r.value for r in rights - initial.get(obj, frozenset()))}
                      for obj, rights in auth.final[thread].items()],
    }


def _classes(auth: SpecAuthority) -> tuple[list[list], dict[str, int | None]]:
    """[closed caps, number of threads] per class, and each thread's class (None: no CSpace).

    Threads are in one class when their CSpace roots lead to the same closed set of caps: the
    closure keeps one set for the CNodes it merges, so the set itself (by identity) is the class;
    equal sets it keeps apart would only make more classes, never a wrong one."""
    node = {name: k for k, name in enumerate(auth.nodes)}
    index: dict[int, int] = {}  # id of a closed set of caps -> its class
    classes: list[list] = []
    class_of: dict[str, int | None] = {}
    for thread in auth.threads:
        root = auth.roots[thread]
        if root is None:
            class_of[thread] = None
            continue
        caps = auth.node_caps[node[root]]
        k = index.get(id(caps))
        if k is None:
            k = index[id(caps)] = len(classes)
            classes.append([caps, 0])
        classes[k][1] += 1
        class_of[thread] = k
    return classes, class_of


class _Edges:
    """Caps (by number) as authority edges: rights united per object, objects in the spec's order
    (the reserved names of caps to no object after them, by name)."""

    def __init__(self, spec: CapDLSpec, auth: SpecAuthority):
        self.types = {name: obj.type.value for name, obj in spec.objects.items()}
        self.order = {name: k for k, name in enumerate(spec.objects)}
        self.table = auth.cap_table

    def of(self, numbers: Iterable[int]) -> list[dict]:
        rights: dict[str, set] = {}
        for n in numbers:
            cap = self.table[n]
            rights.setdefault(cap.target, set()).update(cap.rights)
        last = len(self.order)
        return [{"object": obj, "type": self.types.get(obj), "rights": sorted(r.value for r in rights[obj])}
                for obj in sorted(rights, key=lambda o: (self.order.get(o, last), o))]


def render_inspect(summary: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(summary, indent=2) + "\n"
    lines = [f"{summary['file']}: arch {summary['arch']}, {summary['objects_total']} objects, "
             f"{summary['caps_total']} caps, {summary['threads']} threads", "", "objects:"]
    lines += [f"  {kind:<14} {count}" for kind, count in summary["objects"].items()]
    lines.append("caps:")
    for kind, by_rights in summary["caps"].items():
        shown = ", ".join(f"{rights or 'no rights'} {n}" for rights, n in by_rights.items())
        lines.append(f"  {kind:<22} {sum(by_rights.values()):>6}  ({shown})")
    extras = [f"{summary[k]} {label}" for k, label in (("irq_map", "IRQ mappings"), ("cdt", "CDT links"),
                                                      ("cap_names", "cap names"), ("untyped_covers", "untyped covers"))
              if summary[k]]
    if extras:
        lines.append("also: " + ", ".join(extras))
    classes, threads = summary["authority"]["classes"], summary["authority"]["threads"]
    lines += ["", f"authority: {_count(len(threads), 'thread')} in {_count(len(classes), 'class')} (threads whose CSpaces the transfer "
                  "rules merge share a class); --thread T lists one thread's authority edge by edge:"]
    for c in classes[:MAX_SHOWN]:
        lines.append(f"  class {c['class']}: {_count(c['threads'], 'thread')}, {_count(len(c['authority']), 'object')} "
                     f"({_shown(e['object'] for e in c['authority'])})")
    lines += _more(len(classes), "classes")
    lines.append("threads (class; the objects only it uses):")
    for t in threads[:MAX_SHOWN]:
        in_class = "no CSpace" if t["class"] is None else f"class {t['class']}"
        lines.append(f"  {t['thread']}: {in_class}; uses {len(t['uses'])} ({_shown(e['object'] for e in t['uses'])})")
    lines += _more(len(threads), "threads")
    if summary["transfers"]:
        lines += ["", f"transfers ({len(summary['transfers'])} edges caps travel along):"]
        lines += [f"  {t['from']} -> {t['to']} ({t['rule']} via {t['via']})" for t in summary["transfers"][:MAX_SHOWN]]
        lines += _more(len(summary["transfers"]), "transfers")
    return "\n".join(lines) + "\n"


def render_thread(authority: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(authority, indent=2) + "\n"
    edges = authority["authority"]
    in_class = "no CSpace" if authority["class"] is None else f"class {authority['class']}"
    lines = [f"{authority['file']}: thread {authority['thread']} ({in_class}), {_count(len(edges), 'object')} "
             "(thread -> object: rights; * obtained through transfers):"]
    for edge in edges:
        rights = ", ".join(r + ("*" if r in edge["obtained"] else "") for r in edge["rights"])
        lines.append(f"  {authority['thread']} -> {edge['object']}: {rights}")
    return "\n".join(lines) + "\n"


def _shown(names: Iterable[str], limit: int = 5) -> str:
    names = list(names)
    return ", ".join(names[:limit]) + (f", ... {len(names) - limit} more" if len(names) > limit else "")


def _more(count: int, what: str) -> list[str]:
    return [f"  ... and {count - MAX_SHOWN} more {what} (all of them in --format json)"] if count > MAX_SHOWN else []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "es" if noun.endswith("s") else "s")
