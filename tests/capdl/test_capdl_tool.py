"""Differential tests against seL4's capDL-tool: the same specs accepted and rejected, and the
same reading of every object, slot, cap, untyped cover and CDT link. Skipped without parse-capDL
(on PATH, or built by `smosverify image` into ~/.cache/smosverify)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from smosverify.load.capdl import load_capdl

from .capdl_tool import our_reading, parse_capdl_tool, tool_accepts, tool_reading
from .conftest import REPO, SPECS

TOOL = parse_capdl_tool()
pytestmark = pytest.mark.skipif(TOOL is None, reason="capDL-tool's parse-capDL is not available")
GOOD = sorted(SPECS.glob("*.cdl"))
BAD = sorted((SPECS / "bad").glob("*.cdl"))
ARCHIVE = REPO.parent / "shared" / "sel4" / "capdl.tar.xz"
# capDL-tool's own example specs (its test suite); the kernel dump example is read by its dump parser.
TOOL_EXAMPLES = ("example-arm", "example-ia32", "cap-dist-elf-simpleserver", "camkes-adder-arm")


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


@pytest.fixture(scope="module")
def tool_examples(tmp_path_factory) -> Path:
    if not ARCHIVE.is_file():
        pytest.skip(f"{ARCHIVE} is not here")
    out = tmp_path_factory.mktemp("capdl-examples")
    with tarfile.open(ARCHIVE) as tar:
        members = [tar.getmember(f"capDL-tool/{name}.cdl") for name in TOOL_EXAMPLES]
        tar.extractall(out, members=members, filter="data")
    return out / "capDL-tool"


@pytest.mark.parametrize("name", TOOL_EXAMPLES)
def test_capdl_tool_examples(tool_examples, name):
    path = tool_examples / f"{name}.cdl"
    assert our_reading(load_capdl(path)) == tool_reading(TOOL, path)
