"""Read a capDL spec (the syntax of seL4's capDL-tool) into a CapDLSpec, or raise an InputError.

Three steps, each in its own module: syntax (capdl_syntax: text -> tree), names and slots
(capdl_build: tree -> spec) and capDL-tool's model checks (capdl_checks); capdl_dump reads the
kernel-dump dialect into the same tree. A spec in JSON (rust-sel4's form, which Microkit writes) is
read by capdl_json. docs/capdl.md describes both and what is checked.
"""

from __future__ import annotations

from pathlib import Path

from smosverify.gc_pause import cycle_collection_paused
from smosverify.load.capdl.build import build_spec
from smosverify.load.capdl.dump import is_dump, parse_dump
from smosverify.load.capdl.json_spec import looks_like_json, parse_capdl_json
from smosverify.load.capdl.syntax import parse_capdl_text
from smosverify.load.source import read_text
from smosverify.model.capdl import CapDLSpec


def load_capdl(path: str | Path, arch: str | None = None) -> CapDLSpec:
    return parse_capdl(read_text(path), str(path), arch)


def parse_capdl(text: str, file: str, arch: str | None = None) -> CapDLSpec:
    """A spec in capDL's text, in its kernel-dump dialect (first line `-- Dump`), or in JSON, whose
    architecture (capDL's name for it) may be given as `arch` (the text says its own)."""
    with cycle_collection_paused():
        if looks_like_json(text):
            return parse_capdl_json(text, file, arch)
        return build_spec(parse_dump(text, file) if is_dump(text) else parse_capdl_text(text, file))
