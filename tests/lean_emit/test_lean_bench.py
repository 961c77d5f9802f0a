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

from lean_bench import cut, profiled  # noqa: E402

from smosverify.lean_stages import split  # noqa: E402


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
    assert "set_option profiler.threshold 1000\n" in text
    assert "set_option profiler.threshold 300\n" in profiled(module.text, 300)


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
    stages, (theorems_name, proofs) = split(module.text, module.definitions, namespace)
    assert len(stages) == 1 and len(stages[0]) == 1
    name, data = stages[0][0]
    assert (name, theorems_name) == ("Data", "Theorems")
    assert data.startswith("module\npublic import SMOS\n@[expose] public noncomputable section\n")
    assert module.definitions in data and "\ntheorem " not in data and data.endswith(f"end {namespace}\nend\n")
    assert proofs.startswith(f"import Data\nnamespace {namespace}\nopen SMOS\n")
    assert theorems(proofs) == theorems(module.text) and "noncomputable def " not in proofs
    assert proofs.rstrip().endswith(f"end {namespace}")


def definitions(text: str) -> list[str]:
    return re.findall(r"^noncomputable def (\w+)", text, flags=re.M)


def test_split_into_files_deals_the_lists_and_the_kernel_parts_out():
    """--jobs: the components and objects first; every definition naming nothing else in one of
    the data files; the definitions joining them in `Data`; every part proved by `decide +kernel`
    in exactly one part file, in the module's order within it; the theorem module imports them
    all and keeps every other theorem. Each module imports only what comes before it."""
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    namespace = f"Instances.{module.name}"
    kernel = re.findall(r"^theorem (\w+) : .* := by decide \+kernel$", module.text, flags=re.M)
    assert len(kernel) > 4
    stages, (_, proofs) = split(module.text, module.definitions, namespace, 3)
    base, pieces, data, parts = stages
    assert [name for name, _ in base + pieces + data + parts] == [
        "DataBase", "Data0", "Data1", "Data2", "Data", "Parts0", "Parts1", "Parts2"]
    assert all(re.fullmatch(r"(comp|obj)\d+", d) for d in definitions(base[0][1]))
    assert sorted(d for _, t in base + pieces + data for d in definitions(t)) == sorted(definitions(module.definitions))
    assert {"system", "callerIndex"} <= set(definitions(data[0][1]))  # they name the policy, the index's trees
    for _, text in pieces:  # naming only components and objects
        values = re.sub(r"--[^\n]*|/-.*?-/", "", text.split("open SMOS", 1)[1], flags=re.S)
        named = set(re.findall(r"\w+", values)) & set(definitions(module.definitions))
        assert all(re.fullmatch(r"(comp|obj)\d+", n) for n in named - set(definitions(text)))
    assert all(text.startswith("module\npublic import DataBase\n@[expose] public noncomputable section\n")
               for _, text in pieces)
    assert data[0][1].startswith("module\npublic import DataBase\npublic import Data0\npublic import Data1\npublic import Data2\n")
    assert all(text.startswith(f"module\npublic import Data\npublic section\nnamespace {namespace}\n") for _, text in parts)
    assert [theorems(text) for _, text in parts] == [kernel[i::3] for i in range(3)]
    assert proofs.startswith(f"import Data\nimport Parts0\nimport Parts1\nimport Parts2\nnamespace {namespace}\n")
    assert sorted(theorems(proofs) + kernel) == sorted(theorems(module.text))
    assert set(theorems(proofs)).isdisjoint(kernel) and "by decide +kernel" not in proofs
    # more files than parts: no empty file
    assert len(split(module.text, module.definitions, namespace, len(kernel) + 5)[0][3]) == len(kernel)


@pytest.mark.lean
def test_check_split_checks_the_theorems_against_the_data_olean(lean, tmp_path):  # pragma: no cover - needs Lean
    """--split --jobs 2 with the npm Lean: pink-file's data compiled stage by stage, P4's parts in
    two files beside each other, then P4's theorem checked against them all beside a false one,
    which is the only error, located in the theorem module."""
    from smosverify.lean_toolchain import NPM, check_split, default_project

    if lean.kind != NPM:
        pytest.skip("check_split runs the npm build (lake builds its own modules)")
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    namespace = f"Instances.{module.name}"
    stages, (_, proofs) = split(cut(module.text, namespace, ("p4",)), module.definitions, namespace, 2)
    assert [name for name, _ in stages[-1]] == ["Parts0", "Parts1"]
    false = "theorem wrong : checkPolicySane system.policy = false := by decide +kernel\n"
    proofs = proofs.replace(f"\nend {namespace}", f"\n{false}end {namespace}")
    runs = check_split(lean, default_project(), tmp_path, stages, ("Theorems", proofs), 2)
    assert len(runs) == sum(len(stage) for stage in stages) + 1
    assert all(run.ok for run in runs[:-1]), [run.failure() for run in runs if not run.ok]
    assert "Parts0.olean, Parts1.olean" in runs[-1].library and (tmp_path / "Data.olean").is_file()
    line = proofs.splitlines().index(false.strip()) + 1
    assert {(m.path, m.line) for m in runs[-1].errors} == {(tmp_path / "Theorems.lean", line)}
