"""benchmarks/lean_bench.py cuts an emitted module down to some of its theorems (to find which
checker is the wall) without touching its data."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from smosverify.emit.lean import lean_module
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from lean_bench import cut, profiled, split  # noqa: E402


def theorems(text: str) -> list[str]:
    return re.findall(r"^theorem (\w+)", text[text.index("\nnamespace "):], flags=re.M)


def test_cut_keeps_the_named_theorems_their_parts_and_all_data():
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    namespace = f"Instances.{module.name}"
    parts = {c.theorem: list(c.parts) for c in module.claims}
    assert "p3_authority_conformance" in theorems(module.text) and len(theorems(module.text)) > 2
    for keep, expected in ((("p3",), ["p3_authority_conformance"]), ((), []),
                           (("p1", "p2"), ["p1_complete_mediation", "p2_tamper_proof"])):
        text = cut(module.text, namespace, keep)
        cited = {p for t in expected for p in parts[t]}
        assert [t for t in theorems(text) if not t.startswith("part_")] == expected
        assert set(theorems(text)) - set(expected) == cited
        assert module.definitions in text
        assert text.rstrip().endswith(f"end {namespace}")
    # a part alone, with the parts it cites
    assert theorems(cut(module.text, namespace, ("part_kernel",))) == parts["p2_tamper_proof"][:7]


def test_profiled_turns_the_profiler_on_inside_the_namespace():
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    text = profiled(module.text)
    assert text.index("set_option profiler true") > text.index(f"namespace Instances.{module.name}")


def test_the_generator_writes_a_valid_system_at_every_size(tmp_path):
    """A small system has no regions or notifications: their sections must still be mappings
    (YAML's empty section is null, which the loader refuses)."""
    from generate_system import generate

    for n in (5, 12, 20, 40):
        system = load_system(generate(n, tmp_path / str(n), seed=1))
        assert len(system.components) == n


def test_split_puts_the_data_in_a_module_and_the_theorems_beside_it():
    """--split: the data module holds every definition, public and exposed, and no theorem; the
    theorem module imports it and holds every theorem and nothing of the data."""
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    namespace = f"Instances.{module.name}"
    data, parts, proofs = split(module.text, module.definitions, namespace)
    assert parts == []
    assert data.startswith("module\npublic import SMOS\n@[expose] public noncomputable section\n")
    assert module.definitions in data and "\ntheorem " not in data and data.endswith(f"end {namespace}\nend\n")
    assert proofs.startswith(f"import Data\nnamespace {namespace}\nopen SMOS\n")
    assert theorems(proofs) == theorems(module.text) and "noncomputable def " not in proofs
    assert proofs.rstrip().endswith(f"end {namespace}")


def test_split_deals_the_kernel_parts_into_files_the_theorems_import():
    """--jobs: every part proved by `decide +kernel` is in exactly one part file, in the module's
    order within it; the theorem module imports every part file and keeps every other theorem."""
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    namespace = f"Instances.{module.name}"
    kernel = re.findall(r"^theorem (\w+) : .* := by decide \+kernel$", module.text, flags=re.M)
    assert len(kernel) > 4
    data, parts, proofs = split(module.text, module.definitions, namespace, 3)
    assert len(parts) == 3 and all(part.startswith(f"module\npublic import Data\npublic section\nnamespace {namespace}\n") for part in parts)
    assert [theorems(part) for part in parts] == [kernel[i::3] for i in range(3)]
    assert proofs.startswith(f"import Data\nimport Parts0\nimport Parts1\nimport Parts2\nnamespace {namespace}\n")
    assert sorted(theorems(proofs) + kernel) == sorted(theorems(module.text))
    assert set(theorems(proofs)).isdisjoint(kernel) and "by decide +kernel" not in proofs
    # more files than parts: no empty file
    assert len(split(module.text, module.definitions, namespace, len(kernel) + 5)[1]) == len(kernel)


@pytest.mark.lean
def test_check_split_checks_the_theorems_against_the_data_olean(lean, tmp_path):  # pragma: no cover - needs Lean
    """--split --jobs 2 with the npm Lean: pink-file's data compiled to its own .olean, P4's parts
    in two files beside it, one of them with a false part, which is the only error, located in its
    file; then, the false part gone, P4's theorem checked against the data and both part files."""
    from smosverify.lean_toolchain import NPM, check_split, default_project

    if lean.kind != NPM:
        pytest.skip("check_split runs the npm build (lake builds its own modules)")
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    namespace = f"Instances.{module.name}"
    data, parts, proofs = split(cut(module.text, namespace, ("p4",)), module.definitions, namespace, 2)
    assert len(parts) == 2
    false = "theorem part_wrong : checkPolicySane system.policy = false := by decide +kernel\n"
    wrong = parts[1].replace(f"\nend {namespace}\n", f"\n{false}end {namespace}\n")
    named = (("Parts0", parts[0]), ("Parts1", wrong))
    runs = check_split(lean, default_project(), tmp_path, ("Data", data), ("Theorems", proofs), named, 2)
    assert len(runs) == 3 and runs[0].ok and (tmp_path / "Data.olean").is_file() and runs[1].ok
    line = wrong.splitlines().index(false.strip()) + 1
    assert {(m.path, m.line) for m in runs[2].errors} == {(tmp_path / "Parts1.lean", line)}
    runs = check_split(lean, default_project(), tmp_path, ("Data", data), ("Theorems", proofs),
                       (("Parts0", parts[0]), ("Parts1", parts[1])), 2)
    assert len(runs) == 4 and all(run.ok for run in runs), [run.failure() for run in runs if not run.ok]
    assert "Parts0.olean, Parts1.olean" in runs[3].library and theorems(proofs) == ["p4_policy_correct"]
