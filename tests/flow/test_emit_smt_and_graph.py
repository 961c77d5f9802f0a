"""`smosverify emit smt` (deterministic files whose answers match index.txt, runnable by a
standalone z3) and `smosverify graph` (DOT with findings highlighted, neighbourhoods, SVG)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from smosverify.smt.flow_network import answer
from smosverify.smt.policy import solve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def emitted(run_cli, example: str, out: Path) -> dict[str, str]:
    result = run_cli("emit", "smt", EXAMPLES / example / "system.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("example", ["parallel-leak", "password-checker", "fail-p4-conflict"])
def test_emit_smt_is_deterministic_and_every_answer_matches_the_index(tmp_path, run_cli, example):
    first = emitted(run_cli, example, tmp_path / "a")
    assert emitted(run_cli, example, tmp_path / "b") == first
    index = first.pop("index.txt").splitlines()
    listed = dict(re.match(r"(\S+\.smt2): .*; (sat|unsat): ", line).groups() for line in index if not line.startswith("#"))
    assert set(listed) == set(first)
    for name, text in first.items():
        assert "unsat" in text.split("(set-logic")[0] and "sat:" in text.split("(set-logic")[0]  # says what answers mean
        got = answer(text) if name.startswith("p6-") else solve(text)[0]
        assert got == listed[name], name


def test_emitted_queries_say_what_the_examples_are(tmp_path, run_cli):
    files = emitted(run_cli, "fail-p4-conflict", tmp_path / "q")
    assert "p4-neverallow-1.smt2: " in files["index.txt"] and "sat: violated" in files["index.txt"]
    assert re.search(r"p4-allow-\d+\.smt2: P4 `allow bob_t public_file_t : file write;`.*unsat: permits nothing", files["index.txt"])
    leak = emitted(run_cli, "parallel-leak", tmp_path / "l")
    assert "p6-budget-1-secret-to-public.smt2" in leak and "sat: the budget is exceeded (maximum flow 2 bit(s))" in leak["index.txt"]


@pytest.mark.skipif(shutil.which("z3") is None, reason="no standalone z3 on PATH")
def test_a_standalone_z3_gives_the_same_answers(tmp_path, run_cli):
    files = emitted(run_cli, "parallel-leak", tmp_path / "q")
    for line in files["index.txt"].splitlines():
        if line.startswith("#"):
            continue
        name, expected = re.match(r"(\S+): .*; (sat|unsat): ", line).groups()
        done = subprocess.run(["z3", str(tmp_path / "q" / name)], capture_output=True, text=True, timeout=60)
        assert done.stdout.strip() == expected, (name, done.stdout, done.stderr)


def test_emit_smt_bad_input_and_unwritable_output(tmp_path, run_cli):
    assert run_cli("emit", "smt", tmp_path / "missing.yaml", "-o", tmp_path / "out").exit_code == 2
    (tmp_path / "file").write_text("x")
    result = run_cli("emit", "smt", EXAMPLES / "parallel-leak" / "system.yaml", "-o", tmp_path / "file")
    assert result.exit_code == 2 and "is a file" in result.stderr


# -- graph -------------------------------------------------------------------------------------

EDGE = re.compile(r'^\s+"([^"]+)" -> "([^"]+)" \[(.*)\];$')


def drawn(run_cli, tmp_path: Path, example: str, *options: str) -> tuple[str, list[tuple[str, str, str]]]:
    out = tmp_path / "g.dot"
    result = run_cli("graph", EXAMPLES / example / "system.yaml", *options, "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    return text, [m.groups() for m in map(EDGE.match, text.splitlines()) if m]


def test_authority_view_draws_caps_by_role_and_is_deterministic(tmp_path, run_cli):
    text, edges = drawn(run_cli, tmp_path, "pink-file")
    assert ("component:alice", "component:fs") in {(a, b) for a, b, _ in edges}
    assert 'subgraph "cluster_fs"' in text and '"object:fs.pink_file"' in text  # objects framed with their server
    assert 'shape="doubleoctagon"' in text and "rank=sink" in text and "rank=source" in text
    assert drawn(run_cli, tmp_path, "pink-file")[0] == text


def test_authority_view_marks_disallowed_caps_red_and_obtained_caps_dashed(tmp_path, run_cli):
    _, edges = drawn(run_cli, tmp_path, "fail-p3-connection")
    assert any("#c62828" in attrs for _, _, attrs in edges)
    _, edges = drawn(run_cli, tmp_path, "fail-p2-grant-path")
    assert any('style="dashed"' in attrs for _, _, attrs in edges)


def test_flow_view_highlights_forbidden_paths_cuts_and_leaks(tmp_path, run_cli):
    _, edges = drawn(run_cli, tmp_path, "transitive-flow", "--view", "flow")
    red = {(a, b) for a, b, attrs in edges if "forbidden hr -> public" in attrs}
    assert red == {("component:hr_app", "object:fs.q3_report"), ("object:fs.q3_report", "component:publisher"),
                   ("component:publisher", "region:web_buffer")}
    _, edges = drawn(run_cli, tmp_path, "password-checker", "--view", "flow")
    assert [(a, b) for a, b, attrs in edges if "min cut secret -> public" in attrs] == [("component:checker", "component:user")]
    _, edges = drawn(run_cli, tmp_path, "parallel-leak", "--view", "flow")
    assert {(a, b) for a, b, attrs in edges if "of secret -> public" in attrs} == {
        ("component:vault", "notification:done"), ("notification:done", "component:app"), ("component:vault", "component:app")}


def test_around_draws_a_neighbourhood(tmp_path, run_cli):
    text, edges = drawn(run_cli, tmp_path, "pink-file", "--around", "bob", "--depth", "1")
    nodes = {a for a, _, _ in edges} | {b for _, b, _ in edges}
    assert nodes == {"component:bob", "component:fs"} and "within 1 arrow(s) of bob" in text
    _, wider = drawn(run_cli, tmp_path, "pink-file", "--around", "bob", "--depth", "2")
    assert len(wider) > len(edges)


@pytest.mark.parametrize("options, message, code", [
    (("--around", "nobody"), "no component 'nobody'", 2),
    (("--depth", "2"), "--depth goes with --around", 2),
])
def test_graph_bad_options(tmp_path, run_cli, options, message, code):
    result = run_cli("graph", EXAMPLES / "pink-file" / "system.yaml", *options, "-o", tmp_path / "g.dot")
    assert result.exit_code == code and message in result.stderr


def test_graph_output_must_be_dot_or_svg(tmp_path, run_cli):
    result = run_cli("graph", EXAMPLES / "pink-file" / "system.yaml", "-o", tmp_path / "g.png")
    assert result.exit_code == 2 and "must end in .dot or .svg" in result.stderr


def test_svg_without_graphviz_is_an_environment_problem(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = run_cli("graph", EXAMPLES / "pink-file" / "system.yaml", "-o", tmp_path / "g.svg")
    assert result.exit_code == 3 and "apt-get install graphviz" in result.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (Debian: apt-get install graphviz)")
def test_svg_with_graphviz(tmp_path, run_cli):
    out = tmp_path / "g.svg"
    result = run_cli("graph", EXAMPLES / "transitive-flow" / "system.yaml", "--view", "flow", "-o", out)
    assert result.exit_code == 0 and out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()
