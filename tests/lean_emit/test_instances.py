"""The instance modules committed under lean/Instances/ are what `emit lean` writes today, one per
example that claims at least one theorem (a module claiming nothing proves nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smosverify.emit.lean import lean_module
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/system.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_committed_instance_is_up_to_date(example):
    module = lean_module(load_system(example / "system.yaml"))
    path = REPO / "lean" / module.path
    if not any(c.claimed for c in module.claims):
        assert not path.exists(), f"{path.name} claims nothing; it should not be in lean/Instances"
        return
    assert path.exists(), f"run: smosverify emit lean {example.relative_to(REPO)}/system.yaml -o {path.relative_to(REPO)}"
    assert path.read_text(encoding="utf-8") == module.text, (
        f"{path.relative_to(REPO)} is stale; run: smosverify emit lean {example.relative_to(REPO)}/system.yaml -o {path.relative_to(REPO)}")
