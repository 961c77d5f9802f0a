"""Fuzz each parser through the CLI with a fixed seed and a small budget: exit 0, 1, or 2 at a
`file:line:col`, never a traceback or a hang. benchmarks/fuzz_parsers.py runs the same for longer."""

from __future__ import annotations

import random
import time

import click
import pytest

from . import mutation
from .mutation import TARGETS, contract_problem, fuzz, prepare_workspace

SEED = 13
CASES = 150  # per parser: a few seconds each


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return prepare_workspace(tmp_path_factory.mktemp("fuzz"))


def test_every_parser_has_cases(workspace):
    found = mutation.cases(workspace)
    assert all(len(found[t]) >= 3 for t in TARGETS), {t: len(c) for t, c in found.items()}


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_parser(workspace, target):
    failures = [f for f in fuzz(target, workspace, seed=SEED, count=CASES) if f is not None]
    assert not failures, "\n\n".join(f"case {f.index} ({' '.join(f.args)}, input {f.saved}):\n{f.problem}" for f in failures[:5])


def test_same_seed_same_cases(workspace):
    text = (workspace / mutation.cases(workspace)["policy"][0].file).read_text(encoding="utf-8")

    def twenty(seed):
        rng = random.Random(seed)
        return [mutation.mutate(text, "policy", [text], rng) for _ in range(20)]

    assert twenty(7) == twenty(7) != twenty(8)
    assert len(set(twenty(7))) == 20


# The oracle must be able to fail: each way of breaking the contract is caught.
@pytest.mark.parametrize("exit_code, stdout, stderr, exception, caught", [
    (0, "ok", "", None, False),
    (1, "violated", "", None, False),
    (2, "", "error: s.yaml:3:4: unknown key 'x'\n", None, False),
    (2, "", "error: no such file 's.yaml'\n", None, True),  # no position
    (2, "", "error: s.yaml:3:4: first\nerror: s.yaml:5:1: second\n", None, True),
    (2, "partial report", "error: s.yaml:3:4: bad\n", None, True),
    (2, "", "error: s.yaml:3:4: unexpected '" + "x" * 2000 + "'\n", None, True),  # a quote too long
    (1, "", "", KeyError("x"), True),  # a traceback
    (3, "", "error: no lake\n", None, True),
])
def test_contract(exit_code, stdout, stderr, exception, caught):
    assert (contract_problem(exit_code, stdout, stderr, exception) is not None) == caught


def test_a_blocked_read_is_reported(workspace, monkeypatch):
    monkeypatch.setattr(mutation, "CASE_WALL_SECONDS", 0.5)
    monkeypatch.setattr(mutation, "main", click.command()(lambda: time.sleep(10)))
    start = time.monotonic()
    assert "no answer" in mutation.run((), workspace)
    assert time.monotonic() - start < 5


def test_a_busy_loop_is_reported(workspace, monkeypatch):
    def spin():
        while True:
            pass

    monkeypatch.setattr(mutation, "CASE_CPU_SECONDS", 0.5)
    monkeypatch.setattr(mutation, "main", click.command()(spin))
    assert "no answer" in mutation.run((), workspace)


def test_a_crash_is_reported(workspace, monkeypatch):
    def crash():
        raise KeyError("boom")

    monkeypatch.setattr(mutation, "main", click.command()(crash))
    assert "KeyError: 'boom'" in mutation.run((), workspace)
