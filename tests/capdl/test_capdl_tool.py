"""Differential tests against seL4's capDL-tool: the same specs accepted and rejected, and the
same reading of every object, slot, cap, untyped cover and CDT link. Skipped without parse-capDL
(on PATH, or built by `smosverify image` into ~/.cache/smosverify). capDL-tool's own example
specs are compared in test_capdl_language_examples.py."""

from __future__ import annotations

import pytest

from smosverify.load.capdl.reader import load_capdl

from .capdl_tool import our_reading, parse_capdl_tool, tool_accepts, tool_reading
from .conftest import SPECS

TOOL = parse_capdl_tool()
pytestmark = pytest.mark.skipif(TOOL is None, reason="capDL-tool's parse-capDL is not available")
GOOD = sorted(SPECS.glob("*.cdl")) + sorted((SPECS / "json").glob("*.cdl"))  # json/: twins of JSON specs
BAD = sorted((SPECS / "bad").glob("*.cdl"))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_same_reading_as_capdl_tool(path):
    accepted, messages = tool_accepts(TOOL, path)
    assert accepted, messages
    theirs = tool_reading(TOOL, path)
    if theirs is not None:
        assert our_reading(load_capdl(path)) == theirs


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_capdl_tool_rejects_the_bad_specs(path):
    stricter = "capDL-tool wraps" in path.read_text()
    assert tool_accepts(TOOL, path)[0] is stricter
