"""Guards for the Lean library in lean/: no unsound escape hatches, every module reachable from the
root, the toolchain pinned, instance modules following the contract in docs/lean.md, and (with a
Lean: lake, or the npm build CI installs) Lean accepting the library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smosverify.emit import lean_check
from smosverify.emit.lean_data import KINDS, RIGHTS
from smosverify.lean_toolchain import check

REPO = Path(__file__).resolve().parent.parent
LEAN = REPO / "lean"
DOCS = REPO / "docs" / "lean.md"

# Words that would make a proof unsound or skip the kernel; none may appear in lean/ code.
FORBIDDEN = ("sorry", "admit", "axiom", "native_decide", "ofReduceBool", "implemented_by", "extern", "unsafe")

PROPERTY_THEOREMS = {
    "p1_complete_mediation": "complete_mediation_of_parts",
    "p2_tamper_proof": "tamper_proof_of_parts",
    "p3_authority_conformance": "authority_conformance_of_parts",
    "p4_policy_correct": "policy_correct_of_parts",
    "p5_flow_security": "flow_security_of_parts",
    "p6_leakage_bounded": "leakage_bounded_of_check",
    "p7_dynamic_safety": "dynamic_safety_of_parts",
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
        names |= set(re.findall(rf"^\s*{kind}\s+([\w.'?!]+)", code, flags=re.M))
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


MAIN_THEOREM = re.compile(r"^theorem (\w+_(?:of_check|of_cut|sound|complete|iff)|covers_of_\w+)\b", flags=re.M)


def test_main_theorems_have_docstrings():
    """Every property theorem, soundness and completeness theorem and generic invariant theorem says
    in English what it proves."""
    found = []
    for path in (LEAN / "SMOS" / "Thm").glob("*.lean"):
        text = path.read_text(encoding="utf-8")
        for match in MAIN_THEOREM.finditer(text):
            found.append(match.group(1))
            before = text[: match.start()].rstrip()
            assert before.endswith("-/"), f"{match.group(1)} in {path.name} has no docstring"
    assert {"policy_correct_of_check", "checkPolicyCorrect_complete", "covers_of_reachable"} <= set(found)


def test_docs_name_only_things_that_exist():
    docs = DOCS.read_text(encoding="utf-8")
    for rel in set(re.findall(r"`(SMOS/[\w/]+\.lean)`", docs)):
        assert (LEAN / rel).exists(), rel
    theorems, defs = declared("theorem"), declared("def") | declared("structure") | declared("inductive")
    for name in set(re.findall(r"`(\w+_of_(?:check|cut|covers|kreachable|reachable))\b", docs)):
        assert name in theorems, name
    for name in set(re.findall(r"`(check[A-Z]\w*)\b", docs)):
        assert name in (theorems if name.endswith(("_sound", "_complete", "_iff")) or "_of_" in name else defs), name


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
        assert re.search(rf"^(?:noncomputable )?def {name}\b", code, flags=re.M), f"missing def {name}"
    claimed = re.findall(r"^theorem (p\d_\w+) : .*\n\s+(\w+) ", code, flags=re.M)
    assert claimed, "no property theorem"
    for theorem, lemma in claimed:
        assert PROPERTY_THEOREMS.get(theorem) == lemma, (theorem, lemma)
    assert_parts_proved_alone(code, len(claimed))


def assert_parts_proved_alone(code: str, claimed: int) -> None:
    """`decide +kernel` runs only in part theorems (`part_…`, one per line, each a declaration of
    its own), each property theorem applies its lemma to part theorems alone, and every part
    theorem is cited by a property or by another part (none is checked for nothing)."""
    parts = re.findall(r"^theorem (part_\w+) : [^\n]* = true := (.*)$", code, flags=re.M)
    assert len([p for p, proof in parts if proof == "by decide +kernel"]) == code.count("by decide +kernel") >= claimed
    assert len({p for p, _ in parts}) == len(parts), "a part theorem twice"
    applied = re.findall(r"^theorem p\d_\w+ : .*\n\s+\w+ (.*)$", code, flags=re.M)
    assert len(applied) == claimed
    cited = {w for line in applied + [proof for _, proof in parts] for w in re.findall(r"\bpart_\w+", line)}
    assert cited == {p for p, _ in parts}
    assert all(w in ("system", "certificate", "network", "cuts", "system.policy") or w.startswith("part_")
               for line in applied for w in line.split()), applied


def test_example_claims_every_property():
    code = strip_comments_and_strings((LEAN / "Instances" / "Example.lean").read_text(encoding="utf-8"))
    assert set(re.findall(r"^theorem (p\d_\w+)", code, flags=re.M)) == set(PROPERTY_THEOREMS)


# --- the checkers, evaluated in Python on the instance data -------------------------------------
#
# Without a toolchain, `by decide +kernel` cannot run here. The data of each committed instance
# module is read back (only the small term language instance modules use) and given to the one
# Python mirror of SMOS/Checkers, so data that Lean would reject fails here first.

TOKEN = re.compile(r"\s*(?:(0x[0-9a-f]+|\d+)|(\.?[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*)|(:=|[⟨⟩\[\](),]))")


def parse_term(text: str, env: dict):
    tokens = [next(g for g in m.groups() if g is not None) for m in TOKEN.finditer(text)]
    assert "".join(tokens) == re.sub(r"\s+", "", text), f"cannot read: {text!r}"
    pos = 0

    def atom():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok in ("⟨", "[", "("):
            close = {"⟨": "⟩", "[": "]", "(": ")"}[tok]
            items = []
            while tokens[pos] != close:
                items.append(term())
                if tokens[pos] == ",":
                    pos += 1
            pos += 1
            if tok == "(" and len(items) == 1:  # parentheses around one term only group it
                return items[0]
            return list(items) if tok == "[" else tuple(items)
        if tok[0].isdigit():
            return int(tok, 0)
        if tok in ("true", "false"):
            return tok == "true"
        if tok.startswith("."):
            return tok[1:]
        return env[tok]

    def term():
        nonlocal pos
        head = atom()
        args = []
        while pos < len(tokens) and tokens[pos] not in (",", "⟩", "]", ")"):
            args.append(atom())
        if not args:
            return head
        return head(*args) if callable(head) else (head, *args)

    value = term()
    assert pos == len(tokens), f"trailing tokens in {text!r}"
    return value


def frozen(value):
    """A structure's caps with their rights as tuples, so that caps can be set members; a
    certificate's `capGroups` and `handleGroups` (each holder with what it holds) read as the flat
    lists of caps and handles."""
    if isinstance(value, dict) and "capGroups" in value:
        value["caps"] = [(h, t, rights, b) for h, slots in value.pop("capGroups") for t, rights, b in slots]
        value["handles"] = [(h, obj, op) for h, held in value.pop("handleGroups") for obj, op in held]
    if isinstance(value, dict) and "caps" in value:
        return dict(value, caps=[(h, t, tuple(rights), b) for h, t, rights, b in value["caps"]])
    return value


def set_bits(n: int) -> list[int]:
    return [i for i in range(n.bit_length()) if n >> i & 1]


def with_entries(fields: dict) -> dict:
    """A policy's permission sets (`PermSet`, `KPermSet`: rows of numerals) as the flat lists of
    tuples the emitter keeps, decoded as Lean's `PermSet.key` and `KPerm.key` number them."""
    if "kernelAllow" not in fields:
        return fields
    classes, ops, rows = fields["allow"]
    allow = [(s, i // ops // classes, i // ops % classes, i % ops) for s, n in rows for i in set_bits(n)]
    kernel = [(s, i // 10 // len(KINDS), KINDS[i // 10 % len(KINDS)], RIGHTS[i % 10])
              for s, n in fields["kernelAllow"][0] for i in set_bits(n)]
    return dict(fields, allow=allow, kernelAllow=kernel)


def readable_table(text: str, field: str) -> list[tuple]:
    """The entries of the readable table the comment before `field :=` shows."""
    body = re.search(rf"/- `{field}`, readable[^\n]*\n[^\n]*\n(.*?) -/\n  {field} :=", text, flags=re.S).group(1)
    rows = [parse_term(line, {}) for line in body.splitlines() if line.strip() not in ("", "(none)") and not line.strip().startswith("--")]
    return [(s, t, k, r) for s, by_object in rows for t, by_kind in by_object for k, ops in by_kind for r in ops]


def test_lean_key_orders_are_the_emitters():
    """`ObjKind.index` and `Right.index` number kinds and rights as the emitter's `kperm_key` does."""
    code = (LEAN / "SMOS" / "Model" / "Policy.lean").read_text(encoding="utf-8")
    for name, order in (("ObjKind", KINDS), ("Right", RIGHTS)):
        body = re.search(rf"^def {name}\.index : {name} → Nat\n(.*?)\n\n", code, flags=re.M | re.S).group(1)
        assert [(k, int(i)) for k, i in re.findall(r"\.(\w+) => (\d+)", body)] == [(k, i) for i, k in enumerate(order)]


@pytest.mark.parametrize("path", [p for p in instance_modules() if p.stem != "Example"], ids=lambda p: p.stem)
def test_readable_policy_tables_are_the_numerals(path):
    """The tables an emitted module shows in comments hold exactly what its numerals hold."""
    text = path.read_text(encoding="utf-8")
    policy = read_instance(path)["policy"]
    for field in ("allow", "kernelAllow"):
        assert readable_table(text, field) == policy[field], field


def read_instance(path: Path) -> dict:
    """The `def`s of an instance module as Python values (structures become dicts of fields; a
    policy's permission sets become the lists they hold)."""
    code = strip_comments_and_strings(path.read_text(encoding="utf-8"))
    env: dict = {"summary": lambda sid, role: (0, sid, role, True), "List.flatten": lambda pieces: sum(pieces, [])}
    blocks = re.findall(r"^(?:noncomputable )?def (\w+) : [^\n]*?(:=|where)\n?(.*?)(?=^(?:noncomputable |def |theorem |end ))", code, flags=re.M | re.S)
    for name, kind, body in blocks:
        if kind == ":=":
            env[name] = frozen(parse_term(body, env))
        else:
            fields = re.split(r"^\s+(\w+) :=", body, flags=re.M)[1:]
            env[name] = frozen(with_entries({fields[i]: parse_term(fields[i + 1], env) for i in range(0, len(fields), 2)}))
    return env


def as_emitted(cert: dict) -> dict:
    """A certificate read back from a module with its facts' labels as tuples, as the emitter keeps them."""
    return dict(cert, facts=[(v, [(src, tuple(labels)) for src, labels in fs]) for v, fs in cert["facts"]])


@pytest.mark.parametrize("path", instance_modules(), ids=lambda p: p.stem)
def test_instance_data_passes_the_checkers(path):
    """The one Python mirror of the checkers (smosverify.emit.lean_check, tested against Lean in
    tests/lean_emit/test_mirror_against_lean.py) accepts every claim of every committed module."""
    env = read_instance(path)
    claims = re.findall(r"^theorem (p\d)_", strip_comments_and_strings(path.read_text(encoding="utf-8")), flags=re.M)
    failures = {pid: lean_check.problems(pid.upper(), env["system"], as_emitted(env["certificate"]), env["network"], env["cuts"])
                for pid in claims}
    assert {k: v for k, v in failures.items() if v} == {}


def test_mirror_rejects_an_unclosed_certificate():
    env = read_instance(LEAN / "Instances" / "Example.lean")
    sys, cert = env["system"], as_emitted(env["certificate"])
    unclosed = dict(cert, caps=[e for e in cert["caps"] if "receive" not in e[2] or e[0][0] != 1])
    assert lean_check.kernel_closed(sys, unclosed)
    parent_control = next(e for e in cert["caps"] if not e[0][3] and e[1][0] == "own" and e[1][1][3] and e[1][2] == "tcb")
    assert lean_check.dynamic_closed(sys, dict(cert, caps=[e for e in cert["caps"] if e != parent_control]))


# --- Lean itself ---------------------------------------------------------------------------------
#
# With the npm build each run elaborates the library from source (minutes), so pytest checks the
# library here and one instance in tests/lean_emit/test_prove.py; .ci/check-lean checks every
# instance module, each with the library, two processes at a time.


@pytest.mark.lean
def test_lean_accepts_the_library(lean):  # pragma: no cover - needs Lean
    """No error and no warning, also when the library's .olean of an earlier run is reused (the
    run reports what Lean printed when it checked the library)."""
    run = check(lean, LEAN, ["SMOS"])
    assert run.ok, f"{run.summary}: {run.failure()}\n" + "\n".join(map(str, run.messages))[:4000]
    assert not [m for m in run.messages if m.severity == "warning"], [str(m) for m in run.messages]
    again = check(lean, LEAN, ["SMOS"])
    assert again.reused and again.messages == run.messages and again.log == run.log


def test_docs_list_every_theorem():
    """docs/lean.md lists every theorem of the library (and says which Lean checked them)."""
    docs = DOCS.read_text(encoding="utf-8")
    names = set()
    for path in lean_files():
        if path.relative_to(LEAN).parts[0] in ("SMOS", "SMOS.lean"):
            code = strip_comments_and_strings(path.read_text(encoding="utf-8"))
            names |= set(re.findall(r"^theorem\s+([\w.'?!]+)", code, flags=re.M))
    assert names and {n for n in names if f"`{n}`" not in docs} == set()
