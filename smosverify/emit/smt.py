"""Every SMT query smosverify asks about a system, as standalone SMT-LIB 2 files.

P6: one query per budget (is there a flow above it?); P4: one per neverallow (is a forbidden
request permitted?) and one per allow rule (does a request it covers survive the denies?). Each
file says in comments what sat and unsat mean; `index.txt` lists the files with smosverify's own
answer (the max-flow computation for budgets, Z3 for the policy queries). Deterministic: the same
input gives byte-identical files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.flow.graph import flow_graph
from smosverify.analyses.flow.leakage import bound_budget
from smosverify.model.policy import RuleKind
from smosverify.model.system import System
from smosverify.smt.policy import allow_survives_query, neverallow_query, solve


@dataclass(frozen=True)
class Query:
    file: str
    text: str
    about: str
    answer: str  # what smosverify found: "sat" or "unsat"
    means: str  # what that answer means for the system


def smt_queries(system: System) -> tuple[Query, ...]:
    queries = []
    if system.policy.budgets:
        graph = flow_graph(system, authority_closure(system))
        for i, budget in enumerate(system.policy.budgets, 1):
            result = bound_budget(graph, budget, system.name)
            holds = result.holds
            queries.append(Query(
                f"p6-budget-{i}-{_safe(budget.source)}-to-{_safe(budget.sink)}.smt2", result.query,
                f"P6 `budget {budget.source} -> {budget.sink} <= {budget.bits} bits;` at {budget.span}",
                "unsat" if holds else "sat",
                f"the budget {'holds' if holds else 'is exceeded'} (maximum flow {result.flow.value} bit(s))",
            ))
    for i, rule in enumerate(system.policy.rules_of(RuleKind.NEVERALLOW), 1):
        text = neverallow_query(system.policy, i)
        answer = solve(text)[0]
        queries.append(Query(f"p4-neverallow-{i}.smt2", text, f"P4 `{rule.text}` at {rule.span}", answer,
                             "violated" if answer == "sat" else "respected"))
    for i, rule in enumerate(system.policy.rules_of(RuleKind.ALLOW), 1):
        text = allow_survives_query(system.policy, i)
        answer = solve(text)[0]
        queries.append(Query(f"p4-allow-{i}.smt2", text, f"P4 `{rule.text}` at {rule.span}", answer,
                             "permits something" if answer == "sat" else "permits nothing (cancelled by denies, or empty)"))
    return tuple(queries)


def index_text(system: System, queries: tuple[Query, ...]) -> str:
    lines = [f"# SMT-LIB queries for system {system.name} ({system.file}), written by smosverify.",
             "# Run one with `z3 FILE` or `cvc5 FILE`; each file says what sat and unsat mean.",
             "# file: the question; the answer smosverify found, and what it means."]
    for q in queries:
        lines.append(f"{q.file}: {q.about}; {q.answer}: {q.means}")
    return "\n".join(lines) + "\n"


def _safe(name: str) -> str:
    """A label as part of a file name."""
    return re.sub(r"[^\w.-]", "_", name)
