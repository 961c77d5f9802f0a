"""The fast closure and P1, P2, P3 agree exactly with the naive reference (tests/reference/naive.py)
on generated systems: the same caps, one by one, the same statuses, the same findings."""

from __future__ import annotations

from hypothesis import given, settings

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.authority.conformance import check_authority_conformance
from smosverify.analyses.authority.mediation import check_complete_mediation
from smosverify.analyses.result import PropertyResult
from smosverify.analyses.authority.tamper import check_tamper_proofness
from smosverify.model.system import System
from smosverify.semantics.rules import AUTHORITY_RULE

from . import naive
from .strategies import SystemText, system_texts

EXAMPLES = settings(max_examples=200, deadline=None)  # each about 3 s of CPU when passing


def fast_caps(closure) -> frozenset[naive.Cap]:
    return frozenset((h, t, frozenset(rights), badge) for h, t, rights, badge in closure.caps())


def findings_of(system: System, result: PropertyResult) -> frozenset[naive.Finding]:
    """The findings a fast result's evidence names, as the reference writes them: one per right
    for authority findings (P3 names the right last in its request); for the callers of one
    server that share a badge, every pair of them the policy decides differently for, sorted;
    for a borrowed identity, each (object, operation) it opens."""
    out: set[naive.Finding] = set()
    for e in result.evidence:
        data = e.data
        if e.kind == "ambiguous-badge":
            callers, server = data["callers"], data["server"]
            out |= {(e.kind, a, f"{server}.endpoint", b) for a in callers for b in callers
                    if a < b and naive.decided_differently(system, server, a, b)}
            continue
        if e.kind == "borrowed-identity":
            out |= {(e.kind, data["holder"], f"{data['server']}.{obj}", op) for obj, op in data["operations"]}
            continue
        rights = data.get("rights") or [data.get("right") or data.get("request", [""])[-1]]
        holder = data.get("holder", data.get("server", ""))
        out |= {(e.kind, holder, data.get("target", ""), right) for right in rights}
    return frozenset(out)


def verdict_of(system: System, result: PropertyResult) -> naive.Verdict:
    return naive.Verdict(result.status.value, findings_of(system, result))


def test_the_reference_applies_every_rule_of_the_table():
    assert set(naive.RULES) | set(naive.ADDS_NO_CAPS) == set(AUTHORITY_RULE)
    assert not set(naive.RULES) & set(naive.ADDS_NO_CAPS)


def fast_and_reference(text: SystemText):
    system = text.load()
    return system, authority_closure(system), naive.closure(system)


@EXAMPLES
@given(system_texts())
def test_the_fast_closure_has_exactly_the_reference_caps(text: SystemText):
    _, closure, caps = fast_and_reference(text)
    assert fast_caps(closure) == caps


@EXAMPLES
@given(system_texts())
def test_p1_agrees_with_the_reference(text: SystemText):
    system, closure, caps = fast_and_reference(text)
    assert verdict_of(system, check_complete_mediation(system, closure)) == naive.p1(system, caps)


@EXAMPLES
@given(system_texts())
def test_p2_agrees_with_the_reference(text: SystemText):
    system, closure, caps = fast_and_reference(text)
    assert verdict_of(system, check_tamper_proofness(system, closure)) == naive.p2(system, caps)


@EXAMPLES
@given(system_texts())
def test_p3_agrees_with_the_reference(text: SystemText):
    system, closure, caps = fast_and_reference(text)
    assert verdict_of(system, check_authority_conformance(system, closure)) == naive.p3(system, caps)
