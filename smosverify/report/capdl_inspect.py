"""`capdl inspect`: a capDL spec's summary as data, and its text and JSON renderings.

The JSON (docs/capdl.md) has `arch`, `objects` (capDL type keyword -> number, each array
element counted), `objects_total`, `caps` (cap type -> rights as written -> number), `caps_total`
(every slot entry of every object with slots), `threads`, `authority` (one edge per thread and
object it holds or can obtain: the rights, and those it only obtains through transfers) and
`transfers` (the edges caps travel along, each with its rule's name in the rule table and the
step of that rule).
"""

from __future__ import annotations

import json
from collections import Counter

from smosverify.analyses.capdl.authority import SpecAuthority
from smosverify.model.capdl import CapDLSpec

MAX_SHOWN = 50


def inspect_summary(spec: CapDLSpec, auth: SpecAuthority) -> dict:
    objects = Counter(obj.type.value for obj in spec.objects.values())
    caps: dict[str, Counter] = {}
    for _, _, cap in spec.caps():
        caps.setdefault(cap.type.value, Counter())[cap.rights_text()] += 1
    types = {name: obj.type.value for name, obj in spec.objects.items()}
    authority = []
    for thread, obj, rights in auth.edges():
        obtained = rights - auth.initial[thread].get(obj, frozenset())
        authority.append({"thread": thread, "object": obj, "type": types.get(obj),
                          "rights": sorted(r.value for r in rights), "obtained": sorted(r.value for r in obtained)})
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
        "authority": authority,
        "transfers": [{"from": t.source, "to": t.sink, "rule": t.rule, "step": t.step, "via": t.via}
                      for t in auth.transfers],
    }


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
    edges = summary["authority"]
    lines += ["", f"authority ({len(edges)} edges, thread -> object: rights; * obtained through transfers):"]
    for edge in edges[:MAX_SHOWN]:
        rights = ", ".join(r + ("*" if r in edge["obtained"] else "") for r in edge["rights"])
        lines.append(f"  {edge['thread']} -> {edge['object']}: {rights}")
    if len(edges) > MAX_SHOWN:
        lines.append(f"  ... and {len(edges) - MAX_SHOWN} more (all of them in --format json)")
    if summary["transfers"]:
        lines += ["", f"transfers ({len(summary['transfers'])} edges caps travel along):"]
        lines += [f"  {t['from']} -> {t['to']} ({t['rule']} via {t['via']})" for t in summary["transfers"][:MAX_SHOWN]]
    return "\n".join(lines) + "\n"
