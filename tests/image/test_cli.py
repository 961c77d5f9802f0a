"""The image commands and `check --boot` where no seL4 tools are needed: what is emitted for which
arch, and the exit codes for a missing workspace, missing tools and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from smosverify.errors import InputError
from smosverify.image.run import spec_source
from smosverify.image.workspace import ENV_VAR, REQUIRED

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = Path(__file__).parent / "data"


def test_a_system_is_emitted_for_its_own_arch_by_default():
    source = spec_source(str(EXAMPLES / "multi-server" / "system.yaml"))
    assert source.arch == "aarch64" and source.text.count("\narch aarch64\n") == 1
    assert source.system is not None and source.file.endswith("system.yaml")


def test_a_system_emitted_for_another_arch_says_so():
    said = []
    source = spec_source(str(EXAMPLES / "multi-server" / "system.yaml"), "x86_64", said.append)
    assert source.arch == "x86_64" and "\narch x86_64\n" in source.text and "= pml4" in source.text
    assert said == ["multi-server is an aarch64 system; emitting its capDL for x86_64 (the page tables differ, the caps do not)"]


def test_a_spec_is_taken_as_it_is():
    source = spec_source(str(DATA / "one_thread.aarch64.cdl"))
    assert (source.arch, source.system) == ("aarch64", None)
    assert source.text == (DATA / "one_thread.aarch64.cdl").read_text()


def test_spec_without_an_arch_line(tmp_path):
    spec = tmp_path / "bare.cdl"
    spec.write_text("objects {}\ncaps {}\n")
    with pytest.raises(InputError, match="arch"):
        spec_source(str(spec))


def test_conform_against_a_log_of_another_arch(run_cli, tmp_path):
    result = run_cli("image", "conform", DATA / "one_thread.aarch64.cdl", DATA / "pink-file.x86_64.log")
    assert result.exit_code == 2
    assert "is of an x86_64 kernel" in result.stderr and "is for aarch64" in result.stderr


def test_boot_without_a_build(run_cli, tmp_path):
    result = run_cli("image", "boot", tmp_path, "-o", tmp_path / "boot.log")
    assert result.exit_code == 2 and "smosverify image build" in result.stderr


def test_check_boot_without_a_workspace(run_cli, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    result = run_cli("check", EXAMPLES / "pink-file" / "system.yaml", "--boot")
    assert result.exit_code == 3
    assert f"pass --sel4 DIR or set {ENV_VAR}" in result.stderr


def test_check_boot_names_every_missing_tool(run_cli, monkeypatch, tmp_path):
    for rel, _ in REQUIRED:  # a workspace with every file in place
        (tmp_path / "ws" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ws" / rel).write_text("")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "ws"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run_cli("check", EXAMPLES / "pink-file" / "system.yaml", "--boot", "--boot-dir", tmp_path / "build")
    assert result.exit_code == 3
    for needed in ("cmake (Debian: cmake)", "ninja (Debian: ninja-build)", "patch (Debian: patch)",
                   "qemu-system-x86_64 is not installed (Debian: qemu-system-x86"):
        assert needed in result.stderr
    assert not (tmp_path / "build").exists()  # nothing was started


def test_boot_options_need_boot(run_cli):
    result = run_cli("check", EXAMPLES / "pink-file" / "system.yaml", "--arch", "x86_64")
    assert result.exit_code == 2 and "go with --boot" in result.output


def test_image_build_of_a_system_for_no_target(run_cli, write_system, tmp_path):
    system = write_system(tmp_path, """\
        system: tiny
        arch: riscv64
        policy: policy.pol
        components:
          auth: {sid: policy_t, role: policy}
        """, "sid policy_t;\n")
    result = run_cli("image", "build", system, "--sel4", tmp_path, "-o", tmp_path / "b")
    assert result.exit_code == 2  # bad input before the (incomplete) workspace is looked at
    assert "no seL4 image target for arch 'riscv64'" in result.stderr
