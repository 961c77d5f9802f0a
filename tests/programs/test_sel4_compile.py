"""The generated programs compile against a real workspace's libsel4 (marked sel4: needs
SMOSVERIFY_SEL4 and the x86_64 toolchain). The image of the system is built first; each program is
then compiled with the flags and include folders the build gives the capDL loader, so libsel4's
generated headers (syscalls, message info, the kernel's configuration) are the ones that check it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from smosverify.image.build import build_image
from smosverify.image.programs import program_files
from smosverify.image.run import spec_source
from smosverify.image.targets import TARGETS
from smosverify.image.workspace import ENV_VAR, find_workspace

pytestmark = pytest.mark.sel4
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _loader_compile_flags(build: Path) -> list[str]:
    """FLAGS and INCLUDES of the capDL loader's main.c in the build's ninja file."""
    ninja = (build / "build.ninja").read_text()
    block = re.search(r"^build [^\n]*loader_main\.c\.o(?:bj)?:[^\n]*\n((?:  [^\n]*\n)+)", ninja, re.M)
    assert block, "the loader's compile step is not in build.ninja"
    values = dict(re.findall(r"^  (\w+) = (.*)$", block.group(1), re.M))
    return shlex.split(values.get("FLAGS", "")) + shlex.split(values.get("INCLUDES", ""))


@pytest.mark.skipif(not os.environ.get(ENV_VAR), reason=f"no seL4 workspace: set {ENV_VAR}")
@pytest.mark.parametrize("example", ["pink-file", "multi-server"])
def test_programs_compile_against_the_workspaces_libsel4(example, tmp_path_factory):
    missing = [t for t, _ in TARGETS["x86_64"].build_tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (run .ci/install-sel4-deps)")
    out = tmp_path_factory.getbasetemp() / "programs-image"  # one build folder: warm after the first
    source = spec_source(str(EXAMPLES / example / "system.yaml"), "x86_64")
    build_image(source.text, source.file, find_workspace(None), "x86_64", out)
    flags = _loader_compile_flags(out / "build")
    programs = tmp_path_factory.mktemp(f"{example}-programs")
    files = program_files(source.system)
    for name, text in files.items():
        (programs / name).write_text(text)
    for name in files:
        if name.endswith(".c"):
            done = subprocess.run(["gcc", *flags, "-Wall", "-Wextra", "-Werror", f"-I{programs}", "-c",
                                   "-o", str(programs / f"{name}.o"), str(programs / name)],
                                  capture_output=True, text=True)
            assert done.returncode == 0, f"{name}:\n{done.stderr[-3000:]}"
