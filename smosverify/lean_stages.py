"""An emitted instance module cut into stages of modules, for the npm build to check on several
cores and with less in memory per process (`check_split`, `prove --jobs`).

At 1,000 components one process elaborating the data and then checking every theorem holds the
data's elaboration while the kernel works, and uses one core. Split, every run is a process of its
own that starts from .olean files: the components and objects; the long lists (every definition
naming only components and objects) dealt by size into J modules compiled side by side; the
definitions joining them into `Data`; the part theorems proved by `decide +kernel` (none cites
another) dealt in turn into J files checked side by side; and last the theorems joining the parts.
"""

from __future__ import annotations

import re

from smosverify.lean_toolchain import LIBRARY

KERNEL_PART = re.compile(r"^theorem part_\w+ : .* := by decide \+kernel\n\n?", re.M)
DECLARATION = re.compile(r"^(?=/--|noncomputable def )", re.M)
BASE = re.compile(r"(comp|obj|summary)\d+")  # the numbered components and objects every list names
COMMENT = re.compile(r"--[^\n]*|/-.*?-/", re.S)
Module = tuple[str, str]


def split(text: str, definitions: str, namespace: str, files: int = 0) -> tuple[tuple[tuple[Module, ...], ...], Module]:
    """The module `text` (its data part `definitions`, in `namespace`) as stages of (name, text)
    modules, each importing modules of earlier stages only, and the theorem module importing them
    all. Without `files`: one stage, the data module `Data` (its definitions public and exposed to
    an importer), and the theorems. With `files`: `DataBase`; `Data0`, ... (at most `files`);
    `Data`; `Parts0`, ... (at most `files`); see the module's docstring."""
    end = text.index(definitions) + len(definitions)
    head = f"namespace {namespace}\nopen SMOS\nset_option maxHeartbeats 0\n"
    tail = f"end {namespace}\nend\n"

    def module(name: str, imports: list[str], body: str, expose: str = "@[expose] public noncomputable section") -> Module:
        return name, "module\n" + "".join(f"public import {i}\n" for i in imports) + f"{expose}\n{head}{body}\n{tail}"

    rest = text[end:]
    if not files:
        return ((module("Data", [LIBRARY], definitions),),), ("Theorems", f"import Data\n{head}{rest}")
    base, leaves, joining = _declarations(definitions)
    bins: list[list[int]] = [[] for _ in range(files)]
    loads = [0] * files  # characters dealt to each bin
    for i in sorted(range(len(leaves)), key=lambda i: -len(leaves[i])):
        k = loads.index(min(loads))
        bins[k].append(i)
        loads[k] += len(leaves[i])
    pieces = [module(f"Data{k}", ["DataBase"], "".join(leaves[i] for i in sorted(b))) for k, b in enumerate(bins) if b]
    data = module("Data", ["DataBase", *(name for name, _ in pieces)], joining)
    kernel = KERNEL_PART.findall(rest)
    parts = [module(f"Parts{k}", ["Data"], "".join(kernel[k::files]), "public section") for k in range(files) if kernel[k::files]]
    imports = "".join(f"import {name}\n" for name, _ in parts)
    stages = ((module("DataBase", [LIBRARY], base),), tuple(pieces), (data,), tuple(parts))
    return tuple(s for s in stages if s), ("Theorems", f"import Data\n{imports}{head}{KERNEL_PART.sub('', rest)}")


def _declarations(definitions: str) -> tuple[str, list[str], str]:
    """The definitions as the components and objects; every other one that names none but those,
    one text each; and the rest (each with its docstring, in their order)."""
    declarations: list[str] = []
    pending = ""  # what comes before a definition (its docstring) goes with it
    for block in DECLARATION.split(definitions):
        pending += block
        if block.startswith("noncomputable def "):
            declarations.append(pending)
            pending = ""
    declarations[-1] += pending
    names = [re.search(r"noncomputable def (\w+)", d).group(1) for d in declarations]
    named = set(names)
    base, leaves, joining = [], [], []
    for name, declaration in zip(names, declarations):
        value = COMMENT.sub("", declaration.split(f"def {name}", 1)[1])
        cited = set(re.findall(r"\w+", value)) & named
        if BASE.fullmatch(name):
            base.append(declaration)
        elif all(BASE.fullmatch(c) for c in cited):
            leaves.append(declaration)
        else:
            joining.append(declaration)
    return "".join(base), leaves, "".join(joining)
