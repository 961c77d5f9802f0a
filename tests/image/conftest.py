"""Fixtures for the image tests: the recorded x86_64 boot, and an seL4 workspace for end-to-end runs.

The workspace is the user's ($SMOSVERIFY_SEL4) or one unpacked once per session from the
archives in ../shared/sel4 into a temporary folder, never into the repository.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from smosverify.image.readback import parse_boot_log
from smosverify.image.spec import spec_from_xml
from smosverify.load.system import load_system

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "sel4"
ARCHIVES = {
    "kernel": "kernel", "tools-seL4": "tools/seL4", "capdl": "projects/capdl",
    "seL4_libs": "projects/seL4_libs", "musllibc": "projects/musllibc",
    "util_libs": "projects/util_libs", "sel4runtime": "projects/sel4runtime",
}


@pytest.fixture
def two_threads_log() -> str:
    return (DATA / "two_threads.x86_64.log").read_text()


@pytest.fixture
def two_threads_spec():
    cdl = DATA / "two_threads.cdl"
    return spec_from_xml((DATA / "two_threads.xml").read_text(), cdl.read_text(), str(cdl))


@pytest.fixture
def boot_of():
    """Parse a (possibly edited) log text."""
    return lambda text: parse_boot_log(text, "boot.log")


@pytest.fixture
def recorded():
    """(system, spec, log text) of an example's recorded boot: the capDL the emitter wrote for it,
    capDL-tool's XML of that spec, and the serial log (tests/image/data/README.md says how)."""
    def load(example: str, arch: str = "x86_64"):
        system = load_system(EXAMPLES / example / "system.yaml")
        if arch != system.arch:
            system = replace(system, arch=arch)
        data = {kind: (DATA / f"{example}.{arch}.{kind}").read_text() for kind in ("xml", "cdl", "log")}
        return system, spec_from_xml(data["xml"], data["cdl"], system.file), data["log"]
    return load


@pytest.fixture(scope="session")
def sel4_workspace(tmp_path_factory) -> Path:
    given = os.environ.get("SMOSVERIFY_SEL4")
    if given:
        return Path(given)
    if not all((SHARED / f"{name}.tar.xz").is_file() for name in ARCHIVES):
        pytest.skip(f"no seL4 workspace: set SMOSVERIFY_SEL4, or provide the archives in {SHARED}")
    root = tmp_path_factory.mktemp("sel4-workspace")
    for name, where in ARCHIVES.items():
        (root / where).mkdir(parents=True, exist_ok=True)
        with tarfile.open(SHARED / f"{name}.tar.xz") as archive:
            archive.extractall(root / where, filter="data")
    return root


def need_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (run .ci/install-sel4-deps)")
