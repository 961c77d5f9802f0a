"""Lean modules elaborated as one file, and Lean's messages mapped back to the modules.

The npm build of Lean (see `smosverify.lean_install`) holds only the public part of its own
library, so it cannot compile code, and it reads back only the public part of the .olean files it
writes: a plain module's declarations come back unusable ("not an inductive type"), a `module`'s
public, exposed ones come back whole. So the project's modules are checked as few files:

* the library as ONE `module` (every library module, in import order, each inside
  `@[expose] public noncomputable section ... end`), compiled once to one .olean file;
* each instance (with any non-library module it needs) as one plain file that imports it, each
  module inside `noncomputable section ... end`.

`noncomputable`: kernel evaluation (`decide +kernel`) needs no compiled code. The sections also
keep each module's `variable`s, `open`s and options to itself. Import lines become blank lines,
so line L of a module is line `first + L` of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import InputError, Span

IMPORT = re.compile(r"^import\s+([\w.]+)\s*$")
OPEN, CLOSE = "noncomputable section", "end"
# A library module: public declarations, definitions exposed to importers.
LIBRARY_OPEN = "@[expose] public noncomputable section"


@dataclass(frozen=True)
class Piece:
    module: str
    path: Path
    first: int  # line of the combined file holding the module's `noncomputable section`
    lines: int  # lines of the module


@dataclass(frozen=True)
class Combined:
    text: str
    pieces: tuple[Piece, ...]

    def locate(self, line: int) -> tuple[Path, int] | None:
        """The module file and line that line `line` of the combined text came from."""
        for piece in self.pieces:
            if piece.first < line <= piece.first + piece.lines:
                return piece.path, line - piece.first
        return None


@dataclass(frozen=True)
class Message:
    """One message of Lean, placed in the module it is about."""
    path: Path | None  # the module file, or None for the combined file's own lines
    line: int
    col: int
    severity: str
    text: str

    def __str__(self) -> str:
        return f"{self.path or '<combined>'}:{self.line}:{self.col}: {self.severity}: {self.text}"


def module_path(search: tuple[Path, ...], module: str) -> Path:
    """The file of `module` in the first directory of `search` that has it (else in the last)."""
    rel = Path(*module.split(".")).with_suffix(".lean")
    return next((d / rel for d in search if (d / rel).is_file()), search[-1] / rel)


def header_imports(path: Path, text: str) -> list[tuple[int, str]]:
    """(0-based line, module) of each `import` of the header (imports come before any other
    command; comments and blank lines may sit between them)."""
    out = []
    in_comment = False
    for i, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if in_comment or stripped.startswith("/-"):
            in_comment = "-/" not in stripped[2 if not in_comment else 0:]
            continue
        if not stripped or stripped.startswith("--"):
            continue
        m = IMPORT.match(stripped)
        if m is None:
            break
        out.append((i, m.group(1)))
    return out


def import_order(search: tuple[Path, ...], roots: list[str],
                 provided: frozenset[str] = frozenset()) -> tuple[list[str], set[str]]:
    """Every module the roots need, each after the modules it imports (depth first), and which of
    the `provided` modules (those that come as .olean files) they import. Core modules (`Init`,
    `Std`, `Lean`) come from the toolchain and are left out."""
    order: list[str] = []
    used: set[str] = set()
    state: dict[str, str] = {}

    def visit(module: str, importer: Span | None) -> None:
        if module.split(".")[0] in ("Init", "Std", "Lean") or state.get(module) == "done":
            return
        if module in provided:
            used.add(module)
            return
        if state.get(module) == "visiting":
            raise InputError(f"import cycle through {module}", importer)
        path = module_path(search, module)
        if not path.is_file():
            raise InputError(f"module {module} is imported but {path} does not exist", importer)
        state[module] = "visiting"
        for line, child in header_imports(path, path.read_text(encoding="utf-8")):
            visit(child, Span(str(path), line + 1, 1))
        state[module] = "done"
        order.append(module)

    for root in roots:
        visit(root, None)
    return order, used


def combine(search: tuple[Path, ...], roots: list[str], as_module: bool = False,
            provided: frozenset[str] = frozenset(), library: str = "") -> Combined:
    """The modules `roots` need, found in the directories `search`, as one file (see the module
    docstring). `as_module`: the file is a library `module` whose declarations are all public
    with their definitions exposed, so that a file importing its .olean can evaluate them
    (`decide +kernel`). Modules in `provided` are not copied: they come from the .olean file of
    module `library`, which the file then imports."""
    order, used = import_order(search, roots, provided)
    out = (["module"] if as_module else []) + ([f"import {library}"] if used else [])
    opening = LIBRARY_OPEN if as_module else OPEN
    pieces = []
    for module in order:
        path = module_path(search, module)
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, _ in header_imports(path, "\n".join(lines)):
            lines[i] = ""
        pieces.append(Piece(module, path, len(out) + 1, len(lines)))
        out += [opening, *lines, CLOSE]
    return Combined("\n".join(out) + "\n", tuple(pieces))


def _noise(line: str) -> bool:
    """The npm build's own trace lines (`[DEBUG...]`, the search path it lists)."""
    return line.startswith("[DEBUG") or line.startswith("  - /") or "mainModule? = " in line


def quiet(output: str) -> str:
    """Lean's output without the npm build's trace lines."""
    return "\n".join(line for line in output.splitlines() if not _noise(line))
