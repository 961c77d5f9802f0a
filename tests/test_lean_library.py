"""Guards for the Lean library in lean/: no unsound escape hatches, every module reachable from the
root, the toolchain pinned, instance modules following the contract in docs/lean.md, and (when
`lake` is installed) a real `lake build`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LEAN = REPO / "lean"
DOCS = REPO / "docs" / "lean.md"

# Words that would make a proof unsound or skip the kernel; none may appear in lean/ code.
FORBIDDEN = ("sorry", "admit", "axiom", "native_decide", "ofReduceBool", "implemented_by", "extern", "unsafe")

PROPERTY_THEOREMS = {
    "p1_complete_mediation": "complete_mediation_of_check",
    "p2_tamper_proof": "tamper_proof_of_check",
    "p3_authority_conformance": "authority_conformance_of_check",
    "p4_policy_correct": "policy_correct_of_check",
    "p5_flow_security": "flow_security_of_check",
    "p6_leakage_bounded": "leakage_bounded_of_check",
    "p7_dynamic_safety": "dynamic_safety_of_check",
}
INSTANCE_DEFS = ("system", "certificate", "network", "cuts")


def strip_comments_and_strings(text: str) -> str:
    """Lean source with comments (nested `/- -/`, `--`) and string literals blanked out, so a word
    in a docstring does not count as code."""
    out: list[str] = []
    i, depth, n = 0, 0, len(text)
    while i < n:
        if text.startswith("/-", i):
            depth += 1
            i += 2
        elif depth and text.startswith("-/", i):
            depth -= 1
            i += 2
        elif depth:
            out.append("\n" if text[i] == "\n" else " ")
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text[i] == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def forbidden_words(text: str) -> list[str]:
    code = strip_comments_and_strings(text)
    idents = re.findall(r"[A-Za-z_][A-Za-z0-9_'!?]*(?:\.[A-Za-z_][A-Za-z0-9_'!?]*)*", code)
    return sorted({part for ident in idents for part in ident.split(".") if part in FORBIDDEN})


def lean_files() -> list[Path]:
    return sorted(p for p in LEAN.rglob("*.lean") if ".lake" not in p.parts)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(LEAN).with_suffix("").parts)


def imports(path: Path) -> list[str]:
    code = strip_comments_and_strings(path.read_text(encoding="utf-8"))
    return re.findall(r"^import\s+([\w.]+)", code, flags=re.M)


def reachable(root: str) -> set[str]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = LEAN / Path(*mod.split(".")).with_suffix(".lean")
        assert path.exists(), f"{mod} is imported but {path.relative_to(REPO)} does not exist"
        todo.extend(imports(path))
    return seen


def declared(kind: str) -> set[str]:
    names: set[str] = set()
    for path in lean_files():
        code = strip_comments_and_strings(path.read_text(encoding="utf-8"))
        names |= set(re.findall(rf"^\s*{kind}\s+([\w.']+)", code, flags=re.M))
    return names


# --- the forbidden-word guard -------------------------------------------------------------------


def test_no_forbidden_words_in_lean():
    offenders = {str(p.relative_to(REPO)): forbidden_words(p.read_text(encoding="utf-8")) for p in lean_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize(
    ("snippet", "found"),
    [
        ("theorem t : 1 = 2 := by sorry", ["sorry"]),
        ("theorem t : 1 = 2 := by admit", ["admit"]),
        ("axiom cheat : False", ["axiom"]),
        ("example : 2 + 2 = 4 := by native_decide", ["native_decide"]),
        ("theorem t : False := Lean.ofReduceBool _ _ rfl", ["ofReduceBool"]),
        ("@[implemented_by foo] def bar := 1", ["implemented_by"]),
        ("-- no sorry here\n/- nor /- nested admit -/ here -/ def x := 1", []),
        ('/-- docstring mentions axiom -/ def s := "sorry"', []),
        ("theorem sorry_free : True := trivial", []),
    ],
)
def test_guard_sees_code_and_ignores_comments(snippet, found):
    assert forbidden_words(snippet) == found


# --- structure ------------------------------------------------------------------------------------


def test_toolchain_is_pinned_to_a_stable_release():
    pin = (LEAN / "lean-toolchain").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"leanprover/lean4:v\d+\.\d+\.\d+", pin), pin
    assert pin.split(":")[1] in DOCS.read_text(encoding="utf-8")


def test_lakefile_declares_both_libraries_and_no_dependency():
    lakefile = (LEAN / "lakefile.lean").read_text(encoding="utf-8")
    assert re.search(r"^lean_lib SMOS\b", lakefile, flags=re.M)
    assert re.search(r"^lean_lib Instances\b", lakefile, flags=re.M)
    assert ".submodules `Instances" in lakefile
    assert "require" not in strip_comments_and_strings(lakefile)


def test_every_library_module_is_reachable_from_the_root():
    modules = {module_name(p) for p in lean_files() if p.relative_to(LEAN).parts[0] in ("SMOS", "SMOS.lean")}
    assert modules - reachable("SMOS") == set()


def test_only_the_library_and_core_are_imported():
    for path in lean_files():
        if path.name == "lakefile.lean":
            continue
        for mod in imports(path):
            assert mod.split(".")[0] == "SMOS", f"{path.relative_to(REPO)} imports {mod}"


def test_every_checker_file_has_a_mirroring_proof_file():
    checkers = {p.stem for p in (LEAN / "SMOS" / "Checkers").glob("*.lean")}
    proofs = {p.stem for p in (LEAN / "SMOS" / "Thm").glob("*.lean")}
    assert checkers and checkers <= proofs


def test_property_theorems_have_docstrings():
    for path in (LEAN / "SMOS" / "Thm").glob("*.lean"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^theorem (\w+_of_check)\b", text, flags=re.M):
            before = text[: match.start()].rstrip()
            assert before.endswith("-/"), f"{match.group(1)} in {path.name} has no docstring"


def test_docs_name_only_things_that_exist():
    docs = DOCS.read_text(encoding="utf-8")
    for rel in set(re.findall(r"`(SMOS/[\w/]+\.lean)`", docs)):
        assert (LEAN / rel).exists(), rel
    theorems, defs = declared("theorem"), declared("def") | declared("structure") | declared("inductive")
    for name in set(re.findall(r"`(\w+_of_(?:check|cut|covers|kreachable|reachable))\b", docs)):
        assert name in theorems, name
    for name in set(re.findall(r"`(check[A-Z]\w*)\b", docs)):
        assert name in (theorems if name.endswith("_sound") else defs), name


# --- instance modules -----------------------------------------------------------------------------


def instance_modules() -> list[Path]:
    return sorted((LEAN / "Instances").glob("*.lean"))


def test_the_hand_written_example_instance_exists():
    assert (LEAN / "Instances" / "Example.lean") in instance_modules()


@pytest.mark.parametrize("path", instance_modules(), ids=lambda p: p.stem)
def test_instance_module_follows_the_contract(path):
    code = strip_comments_and_strings(path.read_text(encoding="utf-8"))
    assert imports(path) == ["SMOS"]
    assert re.search(rf"^namespace Instances\.{path.stem}$", code, flags=re.M)
    assert re.search(rf"^end Instances\.{path.stem}$", code, flags=re.M)
    for name in INSTANCE_DEFS:
        assert re.search(rf"^def {name}\b", code, flags=re.M), f"missing def {name}"
    claimed = re.findall(r"^theorem (p\d_\w+) : .*\n\s+(\w+) ", code, flags=re.M)
    assert claimed, "no property theorem"
    for theorem, lemma in claimed:
        assert PROPERTY_THEOREMS.get(theorem) == lemma, (theorem, lemma)
    assert code.count("by decide +kernel") == len(claimed)


def test_example_claims_every_property():
    code = strip_comments_and_strings((LEAN / "Instances" / "Example.lean").read_text(encoding="utf-8"))
    assert set(re.findall(r"^theorem (p\d_\w+)", code, flags=re.M)) == set(PROPERTY_THEOREMS)


# --- the real build -------------------------------------------------------------------------------


@pytest.mark.lean
@pytest.mark.skipif(
    shutil.which("lake") is None,
    reason="no Lean toolchain: `lake` is not on PATH (install elan, then `cd lean && lake build`)",
)
def test_lake_build():
    done = subprocess.run(["lake", "build"], cwd=LEAN, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
