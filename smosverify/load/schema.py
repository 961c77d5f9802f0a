"""Validate located data against a published JSON Schema, reporting the first error with its span."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import jsonschema_rs

from smosverify.errors import InputError, quote, shorten
from smosverify.load.yaml_source import KEY, LocatedData

if TYPE_CHECKING:
    import jsonschema


@cache
def schema(name: str) -> dict:
    text = resources.files("smosverify.schema").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _fast_validator(name: str, definition: str | None = None) -> jsonschema_rs.Validator:
    """The schema (or one of its $defs) compiled by jsonschema-rs: it checks the generated
    10k-component system (95,000 connections) in 0.03 s, where fastjsonschema's Python took 0.5 s."""
    whole = schema(name)
    if definition is None:
        return jsonschema_rs.validator_for(whole)
    # The schema's own $schema and $id: every `#/$defs/...` is found in this document, never at an address.
    return jsonschema_rs.validator_for({"$schema": whole["$schema"], "$id": whole["$id"], "$defs": whole["$defs"],
                                        "$ref": f"#/$defs/{definition}"})


def _fast_valid(name: str, data, definition: str | None = None) -> bool:
    return _fast_validator(name, definition).is_valid(data)


@cache
def _explaining_validator(name: str):
    """jsonschema's validator for the schema, but one that takes each `$ref` to a definition
    through the compiled validator first and descends only into the parts that fail it: the
    errors of a megabyte file are found and explained in a fraction of a second, not in minutes."""
    import jsonschema  # only to explain invalid input: importing it costs a quarter of a second

    definitions = {f"#/$defs/{d}": d for d in schema(name).get("$defs", {})}
    plain_ref = jsonschema.Draft202012Validator.VALIDATORS["$ref"]

    def ref(validator, target, instance, subschema):
        definition = definitions.get(target)
        if definition is not None and _fast_valid(name, instance, definition):
            return
        yield from plain_ref(validator, target, instance, subschema)

    return jsonschema.validators.extend(jsonschema.Draft202012Validator, {"$ref": ref})(schema(name))


def validate(located: LocatedData, schema_name: str) -> None:
    """Raise an InputError for the first (in file order) place the data breaks the schema.

    Valid input takes the compiled fast path; invalid input is validated again by jsonschema,
    which lists every error, so that the one reported is the first in the file."""
    if _fast_valid(schema_name, located.data):
        return
    errors = list(_explaining_validator(schema_name).iter_errors(located.data))
    # A misspelt key also makes the key it was meant to be missing: report the misspelling.
    misspelt = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    errors = [e for e in errors if not (e.validator == "required" and tuple(e.absolute_path) in misspelt)]
    if not errors:
        return
    located_errors = [(_where(located, e), e) for e in errors]
    span, err = min(located_errors, key=lambda pair: (pair[0].line, pair[0].col, pair[1].message))
    raise InputError(_message(err), span)


def _where(located: LocatedData, err: jsonschema.ValidationError):
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = err.schema.get("properties", {})
        extra = sorted(k for k in err.instance if k not in allowed)
        if extra:
            return located.span(path + (extra[0], KEY))
    if "propertyNames" in err.schema_path:  # the error is about a key (reported by its pattern)
        return located.span(path + (err.instance, KEY)) if isinstance(err.instance, str) else located.span(path)
    return located.span(path)


def _message(err: jsonschema.ValidationError) -> str:
    """What is wrong, quoting from the file no more than a token (shortened) at a time."""
    where = "/".join(shorten(str(p)) for p in err.absolute_path) or "top level"
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        return f"unknown key {quote(extra[0])} in {where} (expected one of: {', '.join(allowed)})"
    if err.validator == "required":
        return f"{where}: {err.message}"
    if err.validator == "enum":
        options = ", ".join(str(o) for o in err.validator_value)
        return f"{where}: {_shown(err.instance)} is not one of: {options}"
    if err.validator == "pattern" or (err.validator == "propertyNames"):
        return f"{where}: {_shown(err.instance)} is not a valid name"
    if err.validator == "type":
        return f"{where}: expected {err.validator_value}, got {_type_name(err.instance)}"
    if err.validator == "oneOf":
        return f"{where}: expected a file name or a list of file names"
    if err.validator == "uniqueItems":
        return f"{where}: an item is listed twice (each may appear once)"
    if err.validator in ("minItems", "minLength", "minProperties"):
        least = err.validator_value
        return f"{where}: expected a non-empty {_type_name(err.instance)}" if least == 1 else f"{where}: expected at least {least}"
    return f"{where}: {shorten(err.message, 200)}"


def _shown(value) -> str:
    return quote(value) if isinstance(value, str) else shorten(repr(value))


def _type_name(value) -> str:
    for py, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "list"), (dict, "mapping"), (type(None), "nothing")):
        if isinstance(value, py):
            return name
    return type(value).__name__
