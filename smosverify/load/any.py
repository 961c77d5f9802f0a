"""Any system file the commands take: a YAML system, or a Microkit SDF with its policy and labels.

Its own module because it sits above both loaders: load/system.py reads SDFs named by `sdf:`
through load/microkit.py, and this module dispatches to either by the file's suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from smosverify.errors import InputError
from smosverify.load.microkit.system import SDF_SUFFIXES, load_microkit
from smosverify.load.system import load_system
from smosverify.model.microkit import MicrokitBoard
from smosverify.model.system import System


@dataclass(frozen=True)
class SdfOptions:
    """What an SDF needs beside it to become a system; a YAML system names these itself
    (`policy:`, `labels:`), so they are refused with one."""

    policy: str | None = None
    labels: str | None = None
    default_sid: str | None = None
    search_path: tuple[str, ...] | None = None  # where prefill files are looked for after the SDF's folder
    board: MicrokitBoard | None = None  # None: the Microkit SDK's defaults

    def given(self) -> tuple[str, ...]:
        """The options set, as the command line spells them."""
        named = [f.name for f in fields(self) if f.name != "board" and getattr(self, f.name) is not None]
        named += self.board.changed() if self.board else ()
        return tuple(f"--{name.replace('_', '-')}" for name in named)

    def go_with_an_sdf(self, where: str) -> InputError:
        """The error for options given where no SDF is."""
        *first, last = self.given()
        named = f"{', '.join(first)} and {last} go" if first else f"{last} goes"
        return InputError(f"{where}: {named} with a Microkit SDF ({', '.join(SDF_SUFFIXES)}); "
                          "a YAML system names its policy and labels itself")


def is_sdf(path: str | Path) -> bool:
    return Path(path).suffix in SDF_SUFFIXES


def load_any(path: str | Path, options: SdfOptions = SdfOptions()) -> System:
    """A YAML system, or an SDF (by its suffix) bound by `options`."""
    if is_sdf(path):
        return load_microkit(path, options.policy, options.labels, options.default_sid, options.board or MicrokitBoard(),
                             options.search_path or ())
    if options.given():
        raise options.go_with_an_sdf(str(path))
    return load_system(path)
