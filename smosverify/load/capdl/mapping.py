"""Mapping files: which objects of a capDL spec (written by CAmkES, by hand...) stand for which
elements of a system. The format (docs/capdl.md):

    objects:                      # first matching line wins
      client_tcb: alice.tcb       # COMPONENT.tcb|cnode|vspace|frames|endpoint
      "client_*": alice           # a component: each object's type says which part of it
      note: rx_ready              # a notification, a region or an untyped, by name
    ignore:                       # outside the model: not checked, but listed in the report
      - "irq_*"

A pattern is an object's name, an array's name (every element), or a glob with `*` and `?`.
Objects no line matches are read by smosverify's own names (tcb_C, ep_S...).
"""

from __future__ import annotations

from pathlib import Path

from smosverify.errors import InputError
from smosverify.load.source import read_text
from smosverify.load.yaml_source import KEY, load_yaml
from smosverify.model.authority import kernel_objects
from smosverify.model.capdl import CapDLMap, MapRule
from smosverify.model.kernel import ObjectKind
from smosverify.model.system import System, Target

SECTIONS = ("objects", "ignore")


def load_capdl_map(path: str | Path, system: System) -> CapDLMap:
    located = load_yaml(read_text(path), str(path))
    data = located.data
    if not isinstance(data, dict):
        raise InputError("expected a mapping with the keys objects and ignore", located.span(()))
    for key in data:
        if key not in SECTIONS:
            raise InputError(f"unknown key '{key}' (a mapping file has: {', '.join(SECTIONS)})", located.span((key, KEY)))
    objects = data.get("objects") or {}
    if not isinstance(objects, dict):
        raise InputError("`objects` maps object names or patterns to model elements", located.span(("objects",)))
    known = kernel_objects(system)
    rules = []
    for pattern, element in objects.items():
        if not isinstance(element, str):
            raise InputError("expected a model element: COMPONENT, COMPONENT.kind, a region, a notification or "
                             "an untyped",
                             located.span(("objects", pattern)))
        target, component = _element(element, system, known, located.span(("objects", pattern)))
        rules.append(MapRule(pattern, target, component, located.span(("objects", pattern, KEY))))
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
        raise InputError("`ignore` is a list of object names or patterns", located.span(("ignore",)))
    ignored = tuple(MapRule(p, None, None, located.span(("ignore", i))) for i, p in enumerate(ignore))
    return CapDLMap(str(path), tuple(rules), ignored)


def _element(text: str, system: System, known: dict, span) -> tuple[Target | None, str | None]:
    name, _, kind = text.partition(".")
    if not kind:
        if name in system.components:
            return None, name
        if name in system.regions:
            return Target(ObjectKind.REGION, name), None
        if name in system.notifications:
            return Target(ObjectKind.NOTIFICATION, name), None
        if name in system.untyped:
            return Target(ObjectKind.UNTYPED, name), None
        raise InputError(f"'{name}' is no component, region or notification of {system.name}, nor an untyped", span)
    if name not in system.components:
        raise InputError(f"'{name}' is no component of {system.name}", span)
    kinds = ("tcb", "cnode", "vspace", "frames", "endpoint")
    if kind not in kinds:
        raise InputError(f"unknown part '{kind}' of a component (expected one of {', '.join(kinds)})", span)
    target = Target(ObjectKind(kind), name)
    if target not in known:
        raise InputError(f"{name} has no endpoint in the model: no connection goes to it", span)
    return target, None
