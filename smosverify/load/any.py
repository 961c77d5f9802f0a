"""Any system file the commands take: a YAML system, or a Microkit SDF with its policy and labels.

Its own module because it sits above both loaders: load/system.py reads SDFs named by `sdf:`
through load/microkit.py, and this module dispatches to either by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path

from smosverify.errors import InputError
from smosverify.load.microkit import SDF_SUFFIXES, load_microkit
from smosverify.load.system import load_system
from smosverify.model.system import System


def load_any(path: str, policy: str | None = None, labels: str | None = None, default_sid: str | None = None) -> System:
    """A YAML system, or an SDF (by its suffix) with the policy and labels given beside it."""
    if Path(path).suffix in SDF_SUFFIXES:
        return load_microkit(path, policy, labels, default_sid)
    if policy or labels or default_sid:
        raise InputError(f"{path}: --policy, --labels and --default-sid go with a Microkit SDF "
                         f"({', '.join(SDF_SUFFIXES)}); a YAML system names its policy and labels itself")
    return load_system(path)
