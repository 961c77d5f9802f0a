"""The labels file: the sids, roles and objects of a Microkit system, which its SDF cannot say.

A YAML file (or the `labels:` mapping of a YAML system that names an SDF) whose keys are element
names or glob patterns. Schema: smosverify/schema/microkit-labels.schema.json; docs/microkit.md.
An entry that matches no element is an error, so a misspelt name cannot silently label nothing.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import InputError, Span
from smosverify.load.schema import validate
from smosverify.load.source import read_text
from smosverify.load.yaml_source import KEY, LocatedData, load_yaml

SCHEMA = "microkit-labels.schema.json"
SECTIONS = ("components", "regions", "notifications", "roles")


@dataclass(frozen=True)
class LabelRule:
    pattern: str
    value: str
    span: Span

    @property
    def is_pattern(self) -> bool:
        return any(c in self.pattern for c in "*?[")


@dataclass(frozen=True)
class ObjectLabel:
    """An object a server PD implements (`objects:`)."""

    server: str
    name: str
    cls: str
    sid: str
    span: Span
    server_span: Span


@dataclass(frozen=True)
class Labels:
    file: str | None = None
    arch: str | None = None
    arch_span: Span | None = None
    default_sid: str | None = None
    default_span: Span | None = None
    components: tuple[LabelRule, ...] = ()
    regions: tuple[LabelRule, ...] = ()
    notifications: tuple[LabelRule, ...] = ()
    roles: tuple[LabelRule, ...] = ()
    objects: tuple[ObjectLabel, ...] = ()


def load_labels(path: str | Path, referenced_at: Span | None = None) -> Labels:
    located = load_yaml(read_text(path, referenced_at), str(path))
    return labels_from(located)


def labels_from(located: LocatedData, prefix: tuple = ()) -> Labels:
    """Labels from YAML data, or from the mapping at `prefix` inside a larger YAML file."""
    view = located.at(prefix)
    if not isinstance(view.data, dict):
        raise InputError("expected a labels mapping (components, regions, notifications, roles, objects)", view.span(()))
    validate(view, SCHEMA)
    data = view.data

    def rules(section: str) -> tuple[LabelRule, ...]:
        return tuple(LabelRule(k, v, view.span((section, k, KEY))) for k, v in data.get(section, {}).items())

    objects = tuple(
        ObjectLabel(server, name, spec["class"], spec["sid"], view.span(("objects", server, name, KEY)), view.span(("objects", server, KEY)))
        for server, objs in data.get("objects", {}).items()
        for name, spec in objs.items()
    )
    return Labels(
        file=located.file,
        arch=data.get("arch"),
        arch_span=view.span(("arch",)) if "arch" in data else None,
        default_sid=data.get("default_sid"),
        default_span=view.span(("default_sid",)) if "default_sid" in data else None,
        components=rules("components"),
        regions=rules("regions"),
        notifications=rules("notifications"),
        roles=rules("roles"),
        objects=objects,
    )


class Matcher:
    """Binds names to rules: an exact key first, else the first matching pattern in file order.
    Remembers which rules bound something, so unused ones can be reported."""

    def __init__(self, rules: tuple[LabelRule, ...], section: str):
        self.section = section
        self.exact = {r.pattern: r for r in rules}
        self.patterns = [r for r in rules if r.is_pattern]
        self.rules = rules
        self.used: set[str] = set()

    def match(self, name: str, sdf_name: str | None = None) -> LabelRule | None:
        """The rule for an element the model calls `name` and its SDF `sdf_name` (they differ when
        the model renames an element whose name another kind has): an exact key for either, model
        name first, else the first pattern matching the SDF name."""
        written = sdf_name or name
        rule = self.exact.get(name) or self.exact.get(written)
        if rule is None:
            rule = next((r for r in self.patterns if fnmatch.fnmatchcase(written, r.pattern)), None)
        if rule is not None:
            self.used.add(rule.pattern)
        return rule

    def check_all_used(self, what: str) -> None:
        for rule in self.rules:
            if rule.pattern not in self.used:
                raise InputError(f"labels entry '{rule.pattern}' in {self.section} binds no {what} (check the name)", rule.span)
