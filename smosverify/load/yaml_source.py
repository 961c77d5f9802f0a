"""YAML with a source span for every key and value, and none of YAML's traps.

Anchors and aliases are refused (no alias bombs), nesting is bounded, duplicate keys are errors
(PyYAML would keep the last silently), and only one document is allowed. Numbers are integers of
at most 64 bits, read as capDL reads them: those that YAML 1.1 (PyYAML) and YAML 1.2 or capDL
read differently are refused (`010`: octal 8 or ten; `1:30`: 90 or a string), and so are
fractions (`2.0`), which no field takes.

The data is built straight from libyaml's event stream in one pass: no node tree, and places are
kept as plain tuples, nested like the data, until someone asks for a span: a 100,000-line system
loads quickly and its places take no more memory than its data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from smosverify.errors import InputError, Span, quote

MAX_DEPTH = 64
MAX_NUMBER = 2**64 - 1
# libyaml when PyYAML was built with it (the wheels are), else the pure-Python loader.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KEY = "<key>"  # last step of a path that asks for a mapping key's own span

# Plain scalars that are certainly strings under YAML 1.1's implicit typing; anything else goes
# through PyYAML's resolver and constructor (ints, booleans, null, floats, timestamps).
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_YAML_WORDS = frozenset("y n yes no on off true false null".split())
_OCTAL = re.compile(r"[-+]?0o[0-7]+")  # YAML 1.2's and capDL's octal, a string to YAML 1.1
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_CONTAINER_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_FLOAT_TAG = "tag:yaml.org,2002:float"
# What YAML 1.1 may not contain (PyYAML's reader has the same set).
_NOT_IN_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


Place = tuple[int, int, int, int]  # (line, col, end_line, end_col)
# A node's places: its key's (None in a sequence or at the top), its own, and its children's
# (a dict by key for a mapping, a list for a sequence, None for a scalar).
Places = tuple[Place | None, Place, "dict[str, Places] | list[Places] | None"]


@dataclass(frozen=True)
class LocatedData:
    """Plain data (dicts, lists, scalars) and the places of its nodes and keys."""

    data: Any
    places: Places
    file: str

    def span(self, path: tuple) -> Span:
        """The span of the node at `path` (of its key if the path ends with KEY), or of the
        nearest enclosing node if there is no such node."""
        node = self.places
        for step in path:
            if step == KEY:
                if node[0] is not None:
                    return Span(self.file, *node[0])
                break
            try:
                node = node[2][step]
            except (KeyError, IndexError, TypeError):  # no such key or item, or a scalar
                break
        return Span(self.file, *node[1])

    def at(self, path: tuple) -> LocatedData:
        """The data at `path` (which must be there), its places, and the file."""
        data, node = self.data, self.places
        for step in path:
            data, node = data[step], node[2][step]
        return LocatedData(data, node, self.file)


def load_yaml(text: str, file: str) -> LocatedData:
    builder = _Builder(file)
    try:
        builder.build(text)
    except yaml.reader.ReaderError:
        raise _unreadable_character(text, file) from None
    except yaml.YAMLError as err:
        _raise_own_nesting_error(err, text, file)
        raise _yaml_error(err, file) from None
    if builder.result is _NOTHING:
        raise InputError("empty file, expected a YAML mapping", Span(file, 1, 1))
    return LocatedData(builder.result, builder.places, file)


def _raise_own_nesting_error(err: yaml.YAMLError, text: str, file: str) -> None:
    """The libyaml of newer PyYAML wheels (6.0.4) refuses flow nesting past 1,000 levels itself,
    before the events of a `[[[[...` reach the builder. Every version then says the same thing at
    the same place: the text up to libyaml's complaint, read again, ends before libyaml's limit
    and is deeper than MAX_DEPTH, so the builder raises its own error there."""
    mark = getattr(err, "problem_mark", None)
    if mark is None or "nesting depth" not in str(getattr(err, "problem", "")):
        return
    try:
        _Builder(file).build(text[: mark.index])
    except yaml.YAMLError:
        return


def _unreadable_character(text: str, file: str) -> InputError:
    """YAML allows no control characters but tab and line breaks (and no U+FFFE, U+FFFF). PyYAML's
    reader says where in characters, libyaml in bytes: the place is found here, alike for both."""
    found = _NOT_IN_YAML.search(text)
    at = found.start() if found else 0
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    character = f"U+{ord(found.group()):04X}" if found else "a character"
    return InputError(f"malformed YAML: the character {character} is not allowed in YAML", Span(file, line, col))


def _yaml_error(err: yaml.YAMLError, file: str) -> InputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    message = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    # PyYAML quotes what it found (a tag, a handle) in full: keep each quote short.
    message = _QUOTED.sub(lambda m: quote(m.group()[1:-1]), message)
    return InputError(message, Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1))


_NOTHING = object()


def _decimal(digits: str) -> int | None:
    """The digits as a decimal number, or None if they are not one (`010t`, or thousands of digits)."""
    try:
        return int(digits)
    except ValueError:
        return None


class _Builder:
    """Turns parser events into data, in one loop: a 100,000-line system is over a million
    events, so each costs as few Python operations as it can (the open container and its path
    are locals, plain names are looked up in a table of those already read)."""

    def __init__(self, file: str):
        self.file = file
        self.result: Any = _NOTHING
        self.places: Places = (None, (1, 1, 1, 1), None)
        self.names: dict[str, str] = {}  # plain scalars already read as names (also shares the strings)
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.SafeLoader("")

    def fail(self, message: str, mark) -> InputError:
        return InputError(message, Span(self.file, mark.line + 1, mark.column + 1))

    def build(self, text: str) -> None:
        parser = Loader(text)
        try:
            self.consume(parser.get_event)
        finally:
            parser.dispose()

    def consume(self, next_event) -> None:
        names, documents = self.names, 0
        # The open container, its children's places, whether it is a mapping, its pending key
        # (or _NOTHING) and that key's place, and where it starts; `stack` holds those of the
        # containers around it.
        container: Any = None
        children: Any = None
        is_map = False
        key: Any = _NOTHING
        key_place: Place | None = None
        start: tuple[int, int] = (1, 1)
        stack: list[tuple] = []
        while True:
            event = next_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if event.anchor is not None:
                    raise self.anchor(event)
                value = names.get(event.value) if event.tag is None and event.implicit[0] else None
                if value is None:
                    value = self.scalar(event)
                first, last = event.start_mark, event.end_mark
                place = (first.line + 1, first.column + 1, last.line + 1, last.column + 1)
                if is_map and key is _NOTHING:
                    if not isinstance(value, str):
                        raise self.fail("expected a name as mapping key", first)
                    if value in container:
                        where = Span(self.file, *children[value][0][:2])
                        raise self.fail(f"duplicate key {quote(value)} (first at {where})", first)
                    key, key_place = value, place
                    continue
                node = (key_place, place, None)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                last = event.end_mark
                value, place, node_children = container, start + (last.line + 1, last.column + 1), children
                container, children, is_map, key, key_place, start = stack.pop()
                node = (key_place, place, node_children)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None:
                    raise self.anchor(event)
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
                if is_map and key is _NOTHING:
                    raise self.fail("expected a name as mapping key", event.start_mark)
                if event.tag not in _CONTAINER_TAGS:  # !!set, !!omap, !!python/...: not silently a plain mapping
                    raise self.unsupported_tag(event)
                stack.append((container, children, is_map, key, key_place, start))
                is_map = kind is yaml.MappingStartEvent
                container, children = ({}, {}) if is_map else ([], [])
                key, key_place = _NOTHING, None
                start = (event.start_mark.line + 1, event.start_mark.column + 1)
                continue
            elif kind is yaml.StreamEndEvent:
                return
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail("malformed YAML: expected a single document, but found another document", event.start_mark)
                continue
            elif kind is yaml.AliasEvent:
                raise self.anchor(event)
            else:  # the stream's start, a document's end
                continue
            if container is None:
                self.result, self.places = value, node
            elif is_map:
                container[key] = value
                children[key] = node
                key, key_place = _NOTHING, None
            else:
                container.append(value)
                children.append(node)

    def anchor(self, event) -> InputError:
        return self.fail("YAML anchors and aliases are not supported; write the value out", event.start_mark)

    def scalar(self, event) -> Any:
        text = event.value
        plain = event.implicit[0] and event.tag in (None, "!")
        if not plain:
            if event.tag in (None, "!", _STR_TAG):
                return text
            if event.tag == _INT_TAG:
                node = yaml.ScalarNode(_INT_TAG, text, event.start_mark, event.end_mark, event.style)
                return self.integer(text, event, lambda: self.constructor.construct_object(node))
            raise self.unsupported_tag(event)
        if _PLAIN_NAME.fullmatch(text) and text.lower() not in _YAML_WORDS:
            self.names[text] = text
            return text
        if _OCTAL.fullmatch(text):
            return self.integer(text, event, lambda: int(text, 8))
        tag = self.resolver.resolve(yaml.ScalarNode, text, event.implicit)
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        if tag == _FLOAT_TAG:
            raise self.fail(f"{quote(text)} is not an integer: every number here is a whole number", event.start_mark)
        if tag == _INT_TAG:
            return self.integer(text, event, lambda: self.constructor.construct_object(node))
        try:
            return self.constructor.construct_object(node)
        except yaml.YAMLError as err:
            raise _yaml_error(err, self.file) from None

    def integer(self, text: str, event, construct) -> int:
        """An integer as capDL would read it, or an error where YAML versions disagree."""
        digits = text.lstrip("+-").replace("_", "")
        if not digits:  # `!!int` on nothing or on a lone sign (PyYAML's constructor fails with an IndexError)
            raise self.fail(f"{quote(text)} is not an integer", event.start_mark)
        if ":" in digits:
            raise self.fail(f"{quote(text)} is a base 60 number in YAML 1.1 and a string in YAML 1.2: write it in decimal",
                            event.start_mark)
        decimal = _decimal(digits) if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit() else None
        if decimal is not None:
            sign = "-" if text.startswith("-") else ""
            raise self.fail(
                f"{quote(text)} has a leading zero, which YAML 1.1 reads as octal and YAML 1.2 and capDL as "
                f"decimal: write {sign}{decimal} for decimal or {sign}0o{digits.lstrip('0') or '0'} for octal",
                event.start_mark,
            )
        # 66 characters hold 64 binary digits and their 0b; Python refuses to read thousands of decimal ones.
        if len(digits) > 66:
            raise self.fail(f"{quote(text)} does not fit in 64 bits (at most {MAX_NUMBER})", event.start_mark)
        try:
            value = construct()
        except (ValueError, yaml.YAMLError):  # only with an explicit !!int tag on something else
            raise self.fail(f"{quote(text)} is not an integer", event.start_mark) from None
        if abs(value) > MAX_NUMBER:
            raise self.fail(f"{quote(text)} does not fit in 64 bits (at most {MAX_NUMBER})", event.start_mark)
        return value

    def unsupported_tag(self, event) -> InputError:
        return self.fail(f"unsupported YAML tag {quote(event.tag)}: only !!str and !!int are read; write the value without it",
                         event.start_mark)
