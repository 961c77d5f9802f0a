"""Lean modules elaborated as one file, and Lean's messages mapped back to the modules.

The npm build of Lean (see `smosverify.lean_install`) cannot use the .olean files it writes for
this project's modules, and it holds only the public part of its own library, so no code can be
compiled. It therefore checks a project as ONE file: every module a root imports, in import
order, each inside `noncomputable section ... end` (kernel evaluation, `decide +kernel`, needs no
compiled code; the section also keeps each module's `variable`s, `open`s and options to itself).
Import lines become blank lines, so line L of a module is line `first + L` of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import InputError, Span

IMPORT = re.compile(r"^import\s+([\w.]+)\s*$")
OPEN, CLOSE = "noncomputable section", "end"


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


def import_order(search: tuple[Path, ...], roots: list[str]) -> list[str]:
    """Every module the roots need, each after the modules it imports (depth first). Core
    modules (`Init`, `Std`, `Lean`) come from the toolchain and are left out."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(module: str, importer: Span | None) -> None:
        if module.split(".")[0] in ("Init", "Std", "Lean"):
            return
        if state.get(module) == "done":
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
    return order


def combine(search: tuple[Path, ...], roots: list[str]) -> Combined:
    """The modules `roots` need, found in the directories `search`, as one file (see the module
    docstring)."""
    out: list[str] = []
    pieces = []
    for module in import_order(search, roots):
        path = module_path(search, module)
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, _ in header_imports(path, "\n".join(lines)):
            lines[i] = ""
        pieces.append(Piece(module, path, len(out) + 1, len(lines)))
        out += [OPEN, *lines, CLOSE]
    return Combined("\n".join(out) + "\n", tuple(pieces))


def _noise(line: str) -> bool:
    """The npm build's own trace lines (`[DEBUG...]`, the search path it lists)."""
    return line.startswith("[DEBUG") or line.startswith("  - /") or "mainModule? = " in line


def quiet(output: str) -> str:
    """Lean's output without the npm build's trace lines."""
    return "\n".join(line for line in output.splitlines() if not _noise(line))
