"""Lean's `KStep` and `FlowStep` state the rule table's rules: their constructors are the names of
`AUTHORITY_RULES` and `FLOW_RULES`, in the same order (issue 11, "One semantics, used everywhere";
issue 12, "One meaning for each property")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smosverify.semantics.rules import AUTHORITY_RULES, FLOW_RULES

STEP = Path(__file__).resolve().parents[2] / "lean" / "SMOS" / "Model" / "Step.lean"


def constructors(text: str, inductive: str) -> list[str]:
    """The constructor names of `inductive <name>` in Lean source, in order (doc comments and
    line comments skipped; a constructor is a line starting with `|`)."""
    code = re.sub(r"/-.*?-/", "", text, flags=re.S)
    code = re.sub(r"--[^\n]*", "", code)
    found = re.search(rf"^inductive {inductive}\b.*?\bwhere\n(.*?)(?=^\S)", code, flags=re.M | re.S)
    assert found, f"no `inductive {inductive}` in the text"
    return re.findall(r"^\s*\|\s*(\w+)", found.group(1), flags=re.M)


def test_kstep_constructors_are_the_rule_table():
    names = constructors(STEP.read_text(encoding="utf-8"), "KStep")
    assert names == [rule.name for rule in AUTHORITY_RULES]


def test_flowstep_constructors_are_the_flow_rules():
    names = constructors(STEP.read_text(encoding="utf-8"), "FlowStep")
    assert names == [rule.name for rule in FLOW_RULES]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("inductive KStep (sys : Sys) : State → State → Prop where\n"
         "  /-- doc | notARule -/\n  | grant {s : State} :\n      P → KStep sys s s\n"
         "  -- | commented\n  | revoke (t : T) : KStep sys s s\n\ninductive Step where\n  | kernel\n",
         ["grant", "revoke"]),
        ("inductive KStep : Prop where\n  | reply\n  | grant\nend\n", ["reply", "grant"]),
    ],
)
def test_constructors_reads_names_in_order(source, expected):
    assert constructors(source, "KStep") == expected


def test_a_renamed_constructor_is_caught():
    text = STEP.read_text(encoding="utf-8").replace("| copyOut", "| copyOutOf", 1)
    assert constructors(text, "KStep") != [rule.name for rule in AUTHORITY_RULES]


def test_a_dropped_flow_rule_is_caught():
    text = STEP.read_text(encoding="utf-8").replace("| receiveAffects", "| receiveAffectsEndpoint", 1)
    assert constructors(text, "FlowStep") != [rule.name for rule in FLOW_RULES]
