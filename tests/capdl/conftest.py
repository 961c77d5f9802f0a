"""Shared fixtures for the capDL tests: the spec files and small helpers to read inline specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from smosverify.load.capdl.reader import parse_capdl

HERE = Path(__file__).parent
SPECS = HERE / "specs"
REPO = HERE.parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*/system.yaml"))
ALL_CONSTRUCTS = {"x86_64": SPECS / "x86_64_all.cdl", "aarch64": SPECS / "aarch64_all.cdl",
                  "riscv": SPECS / "riscv_all.cdl"}


@pytest.fixture
def spec_of():
    """Read a spec given as text (`arch` line included)."""
    return lambda text, file="inline.cdl": parse_capdl(text, file)
