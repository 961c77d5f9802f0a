"""`smosverify doctor` names every optional tool the commands use and, for each one missing, who
needs it and how to get it (the seL4 image part; the Lean lines are tested with Lean)."""

from __future__ import annotations

import os
import stat

import pytest

from smosverify.image.capdl_tool import GHC_PACKAGES
from smosverify.image.targets import QEMU_PACKAGES, TARGETS
from smosverify.image.workspace import REQUIRED


def _image_rows(stdout: str) -> dict[str, str]:
    section = stdout.split("seL4 images (image, check --boot):\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.split(None, 1) if not line.startswith("seL4 workspace") else ("seL4 workspace", line[15:].strip())
                for line in section.splitlines())


def _fake_tool(folder, name: str, version: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{version}'\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def bare_machine(tmp_path, monkeypatch):
    """Nothing on PATH, no workspace, an empty cache: every image tool is missing."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SMOSVERIFY_SEL4", raising=False)
    return tmp_path


def test_every_image_tool_is_named_with_how_to_get_it(bare_machine, run_cli):
    result = run_cli("doctor")
    assert result.exit_code == 0, result.output
    rows = _image_rows(result.stdout)
    for target in TARGETS.values():
        assert rows[target.qemu] == (f"not found: needed for {target.arch} images (image, check --boot); "
                                     f"Debian: apt install {QEMU_PACKAGES[target.qemu]}")
        for executable, package in target.build_tools:
            assert rows[executable].startswith("not found: needed for") and rows[executable].endswith(f"apt install {package}")
            assert target.arch in rows[executable]
    assert "aarch64-linux-gnu-gcc" in rows and "qemu-system-aarch64" in rows and "qemu-system-x86_64" in rows
    assert rows["capDL-tool"].startswith("not found") and GHC_PACKAGES in rows["capDL-tool"]
    assert rows["seL4 workspace"].startswith("not set") and "SMOSVERIFY_SEL4" in rows["seL4 workspace"]
    assert "pip install sel4-deps" in rows["sel4-deps"] or "not found" not in rows["sel4-deps"]
    assert "missing for seL4 images" in result.stdout and "install-sel4-deps" in result.stdout


def test_found_tools_show_version_and_path(bare_machine, run_cli):
    _fake_tool(bare_machine / "bin", "qemu-system-aarch64", "QEMU emulator version 9.9.9")
    _fake_tool(bare_machine / "bin", "parse-capDL", "capDL-tool")
    rows = _image_rows(run_cli("doctor").stdout)
    assert rows["qemu-system-aarch64"] == f"QEMU emulator version 9.9.9 ({bare_machine / 'bin' / 'qemu-system-aarch64'})"
    assert rows["capDL-tool"] == f"parse-capDL at {bare_machine / 'bin' / 'parse-capDL'}"
    assert rows["qemu-system-x86_64"].startswith("not found")


def test_ghc_without_capdl_tool_says_it_will_be_built(bare_machine, run_cli):
    _fake_tool(bare_machine / "bin", "ghc", "The Glorious Glasgow Haskell Compilation System, version 9.0.2")
    rows = _image_rows(run_cli("doctor").stdout)
    assert rows["capDL-tool"].startswith("parse-capDL not built yet") and "version 9.0.2" in rows["capDL-tool"]


def test_workspace_incomplete_and_complete(bare_machine, monkeypatch, run_cli):
    root = bare_machine / "sel4"
    root.mkdir()
    monkeypatch.setenv("SMOSVERIFY_SEL4", str(root))
    rows = _image_rows(run_cli("doctor").stdout)
    assert "incomplete" in rows["seL4 workspace"] and "projects/capdl/capDL-tool/Main.hs" in rows["seL4 workspace"]
    for rel, _ in REQUIRED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("", encoding="utf-8")
    rows = _image_rows(run_cli("doctor").stdout)
    assert rows["seL4 workspace"] == f"{os.path.realpath(root)} ($SMOSVERIFY_SEL4)"
