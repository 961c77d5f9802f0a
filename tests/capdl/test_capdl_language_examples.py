"""capDL-tool's own example specs (capDL-tool/*.cdl in seL4/capdl), read as capDL-tool reads them.

Needs a checkout of seL4/capdl: $SMOSVERIFY_CAPDL (the repository, or its capDL-tool folder) or
the one in the seL4 workspace $SMOSVERIFY_SEL4 (projects/capdl); skipped without one. The specs
are not copied into this repository.

- Without GHC: each example that has a `.right` file (capDL-tool's printed reading of it, from its
  own test suite) reads to as many objects of each type and as many caps as that `.right` does.
- With capDL-tool's parse-capDL (on PATH, or built from that checkout with GHC, as `smosverify
  image` builds it, into ~/.cache/smosverify): every example is accepted or refused as
  parse-capDL does, and an accepted one reads to the same objects, slots, caps, untyped covers
  and CDT as parse-capDL's XML.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from smosverify.errors import EnvironmentProblem, InputError
from smosverify.image.capdl_tool import find_parse_capdl
from smosverify.load.capdl.reader import load_capdl

from .capdl_tool import our_reading, parse_capdl_tool, tool_accepts, tool_reading


def _capdl_tool_dir() -> Path | None:
    for given, below in ((os.environ.get("SMOSVERIFY_CAPDL"), ("capDL-tool", ".")),
                         (os.environ.get("SMOSVERIFY_SEL4"), ("projects/capdl/capDL-tool",))):
        for part in below if given else ():
            folder = Path(given) / part
            if (folder / "CapDL" / "Parser.hs").is_file():
                return folder
    return None


FOLDER = _capdl_tool_dir()
EXAMPLES = sorted(FOLDER.glob("*.cdl")) if FOLDER else []
pytestmark = pytest.mark.skipif(FOLDER is None, reason="no seL4/capdl checkout: set SMOSVERIFY_CAPDL")


def _counts(spec) -> tuple[Counter, int]:
    return Counter(obj.type.value for obj in spec.objects.values()), sum(len(obj.slots) for obj in spec.objects.values())


WITH_RIGHT = [p for p in EXAMPLES if p.with_suffix(".right").is_file()]


# ids as lists: pytest before 9 calls an ids function even for an empty list (no checkout).
@pytest.mark.parametrize("path", WITH_RIGHT, ids=[p.stem for p in WITH_RIGHT])
def test_counts_equal_capdl_tools_right_output(path, tmp_path):
    right = tmp_path / f"{path.stem}.right.cdl"  # capDL-tool's printed reading is itself capDL
    right.write_text(path.with_suffix(".right").read_text())
    assert _counts(load_capdl(path)) == _counts(load_capdl(right))


@pytest.fixture(scope="module")
def tool() -> str:
    """A parse-capDL that reads the current language: found, or built once from the checkout."""
    found = parse_capdl_tool()
    if found is not None:
        return found
    if shutil.which("parse-capDL") is not None or shutil.which("ghc") is None:
        pytest.skip("no parse-capDL that reads capDL-tool 0.5.0's language, and no GHC to build one")
    try:
        built = str(find_parse_capdl(SimpleNamespace(capdl_tool=FOLDER)))
    except EnvironmentProblem as problem:
        pytest.skip(str(problem))
    if parse_capdl_tool() != built:
        pytest.skip(f"the checkout's capDL-tool predates release 0.5.0 ({FOLDER})")
    return built


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_same_verdict_and_reading_as_parse_capdl(tool, path):
    accepted, messages = tool_accepts(tool, path)
    if not accepted:
        with pytest.raises(InputError):
            load_capdl(path)
        return
    ours = load_capdl(path)
    theirs = tool_reading(tool, path)
    if theirs is not None:
        assert our_reading(ours) == theirs
