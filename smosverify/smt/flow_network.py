"""A leakage bound as an SMT query: is there a flow of more than k bits through the network?

Linear real arithmetic over one variable per edge (capacity and conservation constraints);
unsat confirms the bound, sat gives a witness flow. The same text is solved here and written by
`smosverify emit smt`, so what is exported is exactly what was checked.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import z3

from smosverify.smt.text import render

if TYPE_CHECKING:
    from smosverify.analyses.flow.leakage import LeakNetwork


def _sum(terms: list[str]) -> str:
    if not terms:
        return "0.0"
    return terms[0] if len(terms) == 1 else f"(+ {' '.join(terms)})"


def budget_query(network: LeakNetwork, bits: int, title: str, system: str, source: str, sink: str, expected: str,
                 pinned: tuple[int, ...] | None = None) -> str:
    """SMT-LIB 2 text asking for a flow above `bits` from the network's source to its sink;
    with `pinned` (a flow per edge), whether that flow is one."""
    into: list[list[str]] = [[] for _ in range(network.nodes)]
    out_of: list[list[str]] = [[] for _ in range(network.nodes)]
    edges = []
    for i, (a, b, cap) in enumerate(zip(network.tails, network.heads, network.caps)):
        name = f"f{i}"
        out_of[a].append(name)
        into[b].append(name)
        edges.append({"i": i, "what": _one_line(network.describe(i)), "bound": f"(<= 0.0 {name} {cap}.0)"})
    conservation = [
        {"node": _one_line(network.node_name(v)), "into": _sum(into[v]), "out_of": _sum(out_of[v])}
        for v in range(network.nodes)
        if v not in (network.source, network.sink) and (into[v] or out_of[v])
    ]
    return render(
        "budget.smt2.j2", system=system, title=title, source=source, sink=sink, bits=bits, expected=expected,
        edges=edges, conservation=conservation, value=_sum(out_of[network.source]),
        pinned=[{"i": i, "bits": b} for i, b in enumerate(pinned)] if pinned is not None else [],
    )


def answer(text: str, seconds: float | None = None) -> str:
    """Z3's answer to a budget query: "sat", "unsat" or "unknown" (also when `seconds` run out)."""
    solver = _solver(text)
    if seconds is not None:
        solver.set("timeout", int(seconds * 1000))
    return str(solver.check())


def witness(text: str) -> dict[str, Fraction]:
    """The flow Z3 finds for a satisfiable budget query, per edge variable (empty if none)."""
    solver = _solver(text)
    if solver.check() != z3.sat:
        return {}
    model = solver.model()
    return {d.name(): model[d].as_fraction() for d in model.decls() if d.arity() == 0}


def _solver(text: str) -> z3.Solver:
    solver = z3.SolverFor("QF_LRA")
    solver.from_string(text)
    return solver


def _one_line(text: str) -> str:
    return " ".join(text.split())
