"""YAML with a source span for every key and value, and none of YAML's traps.

Anchors and aliases are refused (no alias bombs), nesting is bounded, duplicate keys are errors
(PyYAML would keep the last silently), and only one document is allowed. Numbers are integers of
at most 64 bits, read as capDL reads them: those that YAML 1.1 (PyYAML) and YAML 1.2 or capDL
read differently are refused (`010`: octal 8 or ten; `1:30`: 90 or a string), and so are
fractions (`2.0`), which no field takes.

The data is built straight from libyaml's event stream in one pass: no node tree, and spans are
kept as plain tuples until someone asks for one, which keeps a 100,000-line system quick to load.
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
KEY = "<key>"  # path suffix under which a mapping key's own span is stored

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


@dataclass(frozen=True)
class LocatedData:
    """Plain data (dicts, lists, scalars) and the place of the node at each path."""

    data: Any
    spans: dict[tuple, tuple[int, int, int, int]]  # path → (line, col, end_line, end_col)
    file: str

    def span(self, path: tuple) -> Span:
        """The span at `path`, or of the nearest enclosing node that has one."""
        while path not in self.spans and path:
            path = path[:-1]
        if path not in self.spans:
            return Span(self.file, 1, 1)
        return Span(self.file, *self.spans[path])


def _place(start, end) -> tuple[int, int, int, int]:
    return (start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def load_yaml(text: str, file: str) -> LocatedData:
    builder = _Builder(file)
    try:
        _parse_into(builder, text)
    except yaml.reader.ReaderError:
        raise _unreadable_character(text, file) from None
    except yaml.YAMLError as err:
        _raise_own_nesting_error(err, text, file)
        raise _yaml_error(err, file) from None
    if builder.result is _NOTHING:
        raise InputError("empty file, expected a YAML mapping", Span(file, 1, 1))
    return LocatedData(builder.result, builder.spans, file)


def _parse_into(builder: _Builder, text: str) -> None:
    for event in yaml.parse(text, Loader=Loader):
        builder.feed(event)


def _raise_own_nesting_error(err: yaml.YAMLError, text: str, file: str) -> None:
    """The libyaml of newer PyYAML wheels (6.0.4) refuses flow nesting past 1,000 levels itself,
    before the events of a `[[[[...` reach the builder. Every version then says the same thing at
    the same place: the text up to libyaml's complaint, read again, ends before libyaml's limit
    and is deeper than MAX_DEPTH, so the builder raises its own error there."""
    mark = getattr(err, "problem_mark", None)
    if mark is None or "nesting depth" not in str(getattr(err, "problem", "")):
        return
    try:
        _parse_into(_Builder(file), text[: mark.index])
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


class _Builder:
    """Turns parser events into data: a stack of open containers, each with its path."""

    def __init__(self, file: str):
        self.file = file
        self.spans: dict[tuple, tuple[int, int, int, int]] = {}
        self.stack: list[list] = []  # [container, path, pending key or _NOTHING]
        self.result: Any = _NOTHING
        self.documents = 0
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.SafeLoader("")

    def fail(self, message: str, mark) -> InputError:
        return InputError(message, Span(self.file, mark.line + 1, mark.column + 1))

    def feed(self, event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail("malformed YAML: expected a single document, but found another document", event.start_mark)
        elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self.fail("YAML anchors and aliases are not supported; write the value out", event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            self.value(self.scalar(event), event)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(self.stack) >= MAX_DEPTH:
                raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            if self.stack and isinstance(self.stack[-1][0], dict) and self.stack[-1][2] is _NOTHING:
                raise self.fail("expected a name as mapping key", event.start_mark)
            if event.tag not in _CONTAINER_TAGS:  # !!set, !!omap, !!python/...: not silently a plain mapping
                raise self.unsupported_tag(event)
            path = self.child_path()
            self.spans[path] = _place(event.start_mark, event.end_mark)
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            self.stack.append([container, path, _NOTHING])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            container, path, _ = self.stack.pop()
            start = self.spans[path]
            self.spans[path] = start[:2] + (event.end_mark.line + 1, event.end_mark.column + 1)
            self.attach(container)

    def child_path(self) -> tuple:
        if not self.stack:
            return ()
        container, path, key = self.stack[-1]
        return path + ((key,) if isinstance(container, dict) else (len(container),))

    def value(self, value: Any, event) -> None:
        if self.stack and isinstance(self.stack[-1][0], dict) and self.stack[-1][2] is _NOTHING:
            frame = self.stack[-1]
            if not isinstance(value, str):
                raise self.fail("expected a name as mapping key", event.start_mark)
            if value in frame[0]:
                first = Span(self.file, *self.spans[frame[1] + (value, KEY)][:2])
                raise self.fail(f"duplicate key {quote(value)} (first at {first})", event.start_mark)
            self.spans[frame[1] + (value, KEY)] = _place(event.start_mark, event.end_mark)
            frame[2] = value
            return
        self.spans[self.child_path()] = _place(event.start_mark, event.end_mark)
        self.attach(value)

    def attach(self, value: Any) -> None:
        if not self.stack:
            self.result = value
            return
        frame = self.stack[-1]
        if isinstance(frame[0], dict):
            frame[0][frame[2]] = value
            frame[2] = _NOTHING
        else:
            frame[0].append(value)

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
        if ":" in digits:
            raise self.fail(f"{quote(text)} is a base 60 number in YAML 1.1 and a string in YAML 1.2: write it in decimal",
                            event.start_mark)
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            sign = "-" if text.startswith("-") else ""
            raise self.fail(
                f"{quote(text)} has a leading zero, which YAML 1.1 reads as octal and YAML 1.2 and capDL as "
                f"decimal: write {sign}{int(digits)} for decimal or {sign}0o{digits.lstrip('0') or '0'} for octal",
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
