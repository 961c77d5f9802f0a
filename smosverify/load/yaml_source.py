"""YAML with a source span for every key and value, and none of YAML's traps.

Anchors and aliases are refused (no alias bombs), nesting is bounded, duplicate keys are errors
(PyYAML would keep the last silently), and only one document is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from smosverify.errors import InputError, Span

MAX_DEPTH = 64
# libyaml when PyYAML was built with it (the wheels are), else the pure-Python loader.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KEY = "<key>"  # path suffix under which a mapping key's own span is stored


@dataclass(frozen=True)
class LocatedData:
    """Plain data (dicts, lists, scalars) and the span of the node at each path."""

    data: Any
    spans: dict[tuple, Span]
    file: str

    def span(self, path: tuple) -> Span:
        """The span at `path`, or of the nearest enclosing node that has one."""
        while path not in self.spans and path:
            path = path[:-1]
        return self.spans.get(path, Span(self.file, 1, 1))


def _mark_span(file: str, mark, end=None) -> Span:
    if end is None:
        return Span(file, mark.line + 1, mark.column + 1)
    return Span(file, mark.line + 1, mark.column + 1, end.line + 1, end.column + 1)


def load_yaml(text: str, file: str) -> LocatedData:
    _check_events(text, file)
    loader = Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as err:
        raise _yaml_error(err, file) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError("empty file, expected a YAML mapping", Span(file, 1, 1))
    spans: dict[tuple, Span] = {}
    data = _convert(node, (), spans, file, yaml.SafeLoader(""))
    return LocatedData(data, spans, file)


def _check_events(text: str, file: str) -> None:
    """Refuse aliases and deep nesting before anything is built (the parser itself is iterative)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise InputError("YAML anchors and aliases are not supported; write the value out", _mark_span(file, event.start_mark))
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"nesting deeper than {MAX_DEPTH} levels", _mark_span(file, event.start_mark))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as err:
        raise _yaml_error(err, file) from None


def _yaml_error(err: yaml.YAMLError, file: str) -> InputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    message = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    return InputError(message, _mark_span(file, mark) if mark else Span(file, 1, 1))


def _convert(node, path: tuple, spans: dict, file: str, constructor) -> Any:
    spans[path] = _mark_span(file, node.start_mark, node.end_mark)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_span = _mark_span(file, key_node.start_mark, key_node.end_mark)
            key = constructor.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise InputError("expected a name as mapping key", key_span)
            if key in out:
                raise InputError(f"duplicate key '{key}' (first at {spans[path + (key, KEY)]})", key_span)
            spans[path + (key, KEY)] = key_span
            out[key] = _convert(value_node, path + (key,), spans, file, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), spans, file, constructor) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    try:
        return constructor.construct_object(node)
    except yaml.YAMLError as err:
        raise _yaml_error(err, file) from None
