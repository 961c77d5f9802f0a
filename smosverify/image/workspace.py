"""The user's seL4 workspace: where it is, and whether it has what an image build needs.

A workspace is an seL4 checkout in the layout of seL4's manifests (kernel/, tools/seL4/,
projects/capdl, ...). smosverify only reads it; everything it writes goes to the build folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import EnvironmentProblem

ENV_VAR = "SMOSVERIFY_SEL4"

# What an image build reads, relative to the workspace root, and why.
REQUIRED = (
    ("kernel/CMakeLists.txt", "the seL4 kernel"),
    ("kernel/gcc.cmake", "the seL4 kernel's toolchain file"),
    ("tools/seL4/cmake-tool/helpers/application_settings.cmake", "seL4_tools (cmake-tool)"),
    ("tools/seL4/elfloader-tool/Findelfloader-tool.cmake", "seL4_tools (elfloader-tool)"),
    ("projects/capdl/capdl-loader-app/src/main.c", "capdl (the capDL loader)"),
    ("projects/capdl/capDL-tool/Main.hs", "capdl (capDL-tool)"),
    ("projects/seL4_libs/FindseL4_libs.cmake", "seL4_libs"),
    ("projects/util_libs/Findutil_libs.cmake", "util_libs"),
    ("projects/musllibc/Findmusllibc.cmake", "musllibc"),
    ("projects/sel4runtime/Findsel4runtime.cmake", "sel4runtime"),
)


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def kernel(self) -> Path:
        return self.root / "kernel"

    @property
    def capdl_tool(self) -> Path:
        return self.root / "projects" / "capdl" / "capDL-tool"

    @property
    def object_sizes(self) -> Path:
        return self.root / "projects" / "capdl" / "object_sizes" / "object_sizes.yaml"


def find_workspace(given: str | os.PathLike | None) -> Workspace:
    """The workspace named by `--sel4` or, failing that, by $SMOSVERIFY_SEL4; checked complete."""
    where = given if given else os.environ.get(ENV_VAR)
    if not where:
        raise EnvironmentProblem(
            f"no seL4 workspace: pass --sel4 DIR or set {ENV_VAR} to an seL4 checkout "
            "in the layout of seL4's manifests (kernel/, tools/seL4/, projects/capdl, ...)"
        )
    return validate_workspace(Path(where))


def validate_workspace(root: Path) -> Workspace:
    """Raise EnvironmentProblem naming every part the workspace lacks."""
    root = root.expanduser().resolve()
    if not root.is_dir():
        raise EnvironmentProblem(f"seL4 workspace {root} does not exist or is not a directory")
    missing = [f"{rel} ({what})" for rel, what in REQUIRED if not (root / rel).is_file()]
    if missing:
        raise EnvironmentProblem(f"seL4 workspace {root} is incomplete; missing: " + ", ".join(missing))
    return Workspace(root)
