"""Read a capDL spec (the syntax of seL4's capDL-tool) into a CapDLSpec, or raise an InputError.

Three steps, each in its own module: syntax (capdl_syntax: text -> tree), names and slots
(capdl_build: tree -> spec) and capDL-tool's model checks (capdl_checks). docs/capdl.md
describes the language and what is checked.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path

from smosverify.load.capdl_build import build_spec
from smosverify.load.capdl_syntax import parse_capdl_text
from smosverify.load.source import read_text
from smosverify.model.capdl import CapDLSpec


def load_capdl(path: str | Path) -> CapDLSpec:
    return parse_capdl(read_text(path), str(path))


def parse_capdl(text: str, file: str) -> CapDLSpec:
    with _without_cycle_collection():
        return build_spec(parse_capdl_text(text, file))


@contextmanager
def _without_cycle_collection():
    """A large spec allocates millions of small immutable objects, none of them in reference
    cycles; the cycle collector would otherwise rescan them all again and again (it doubles the
    parse time of a 10k-thread spec). Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
