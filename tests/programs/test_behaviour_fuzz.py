"""The behaviour log reader under the project's mutation fuzzer (tests/fuzz): every mutated
pink-file log gives exit 0 or 1, or exit 2 at a `file:line:col`; never a traceback or a hang."""

from __future__ import annotations

import random
from pathlib import Path

from tests.fuzz.mutation import mutate, run

PINK = Path(__file__).resolve().parents[2] / "examples" / "pink-file" / "system.yaml"
LOG = Path(__file__).parent / "data" / "pink-file.behaviour.log"
SEED, CASES = 15, 150


def test_mutated_logs_keep_the_cli_contract(tmp_path):
    text = LOG.read_text()
    rng = random.Random(SEED)
    log = tmp_path / "boot.log"
    failures = []
    for index in range(CASES):
        mutated = mutate(text, "policy", [text], rng)  # the policy tokens: `=`, `;`, braces, long runs
        log.write_bytes(mutated.encode("utf-8", "surrogateescape"))
        problem = run(("image", "conform", str(PINK), str(log), "--behaviour"), tmp_path)
        if problem is not None:
            failures.append(f"case {index}:\n{problem}\n--- log:\n{mutated[:2000]}")
    assert not failures, "\n\n".join(failures[:3])
