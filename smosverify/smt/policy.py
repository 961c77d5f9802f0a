"""Policy decisions as SMT over finite sorts: conflicts, neverallow violations, semantic diffs.

Sids, classes, operations and attributes are enumerated datatypes; each rule is a function of a
request (s, o, c, p); a policy permits a request when some allow rule covers it and no deny rule
does. The SMT-LIB text is what Z3 solves here and what `emit smt` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

import z3

from smosverify.model.policy import AccessRule, Policy, RuleKind
from smosverify.smt.text import render

REQUEST = ("s", "o", "c", "p")
RULE_NAMES = {RuleKind.ALLOW: "allow", RuleKind.DENY: "deny", RuleKind.NEVERALLOW: "neverallow"}


def _q(kind: str, name: str) -> str:
    """A quoted SMT-LIB symbol, with a prefix per sort so the same name in two sorts differs."""
    return f"|{kind}.{name}|"


def _any(terms: list[str]) -> str:
    if not terms:
        return "false"
    return terms[0] if len(terms) == 1 else f"(or {' '.join(terms)})"


def _all(terms: list[str]) -> str:
    if not terms:
        return "true"
    return terms[0] if len(terms) == 1 else f"(and {' '.join(terms)})"


@dataclass(frozen=True)
class Named:
    """A policy with the prefix its functions get in a query (e.g. `old`, `new`)."""

    prefix: str
    policy: Policy

    def fn(self, name: str) -> str:
        return f"|{self.prefix}.{name}|"

    def rules(self, kind: RuleKind) -> tuple[AccessRule, ...]:
        return self.policy.rules_of(kind)

    def rule_fn(self, kind: RuleKind, index: int) -> str:
        """The function of the index-th (from 1) rule of this kind."""
        return self.fn(f"{RULE_NAMES[kind]}.{index}")

    def call(self, name: str) -> str:
        return f"({name} {' '.join(REQUEST)})"


def _sid_set(named: Named, sids: frozenset[str], var: str, universe: frozenset[str]) -> str:
    """A set of sids as a formula over `var`; `true` only when it is every sid of the query
    (a policy's `*` does not cover the sids only another policy of the query declares)."""
    policy = named.policy
    if sids == universe:
        return "true"
    for attr in policy.attributes.values():
        if attr.members == sids and sids:
            return f"({named.fn('member')} {_q('a', attr.name)} {var})"
    return _any([f"(= {var} {_q('s', x)})" for x in sorted(sids)])


def _rule_body(named: Named, rule: AccessRule, universe: frozenset[str]) -> str:
    objects = "(= o s)" if rule.self_target else _sid_set(named, rule.objects, "o", universe)
    perms = []
    for cls, pairs in groupby(sorted(rule.permissions), key=lambda cp: cp[0]):
        ops = _any([f"(= p {_q('op', op)})" for _, op in pairs])
        perms.append(_all([f"(= c {_q('c', cls)})", ops]))
    return _all([t for t in (_sid_set(named, rule.subjects, "s", universe), objects, _any(perms)) if t != "true"])


def _policy_context(named: Named, universe: frozenset[str]) -> dict:
    policy = named.policy
    member = _any([
        _all([f"(= a {_q('a', a.name)})", _any([f"(= x {_q('s', x)})" for x in sorted(a.members)])])
        for a in policy.attributes.values()
    ]) if policy.attributes else ""
    rules = []
    for kind in RuleKind:
        for i, rule in enumerate(named.rules(kind), 1):
            rules.append({"name": named.rule_fn(kind, i), "text": rule.text, "span": rule.span, "body": _rule_body(named, rule, universe)})
    calls = {k: [named.call(named.rule_fn(k, i)) for i in range(1, len(named.rules(k)) + 1)] for k in RuleKind}
    return {
        "name": named.prefix, "files": ", ".join(policy.files), "member": member, "member_name": named.fn("member"),
        "rules": rules, "allowed": named.fn("allowed"), "denied": named.fn("denied"), "permits": named.fn("permits"),
        "allowed_body": _any(calls[RuleKind.ALLOW]), "denied_body": _any(calls[RuleKind.DENY]),
    }


def policy_query(policies: list[Named], asserts: list[str], title: str, meaning: list[str]) -> str:
    """SMT-LIB text: the sorts over every name of `policies`, their rules, and `asserts`."""
    # A datatype needs a constructor: a policy without sids gets one that no rule mentions.
    sids = sorted({x for n in policies for x in n.policy.sids}) or ["(no sid)"]
    classes = sorted({c for n in policies for c in n.policy.classes})
    ops = sorted({op for n in policies for cls in n.policy.classes.values() for op in cls.operations})
    attributes = sorted({a for n in policies for a in n.policy.attributes})
    return render(
        "policy.smt2.j2", title=title, meaning=meaning,
        sids=[_q("s", x) for x in sids], classes=[_q("c", x) for x in classes], ops=[_q("op", x) for x in ops],
        attributes=[_q("a", x) for x in attributes], asserts=asserts,
        policies=[_policy_context(n, frozenset(sids)) for n in policies],
    )


def _request_solver(text: str) -> tuple[z3.Solver, dict[str, z3.ExprRef]]:
    """A solver holding the query, and the request's variables (named by the query's first
    assertion after its declarations, so even unconstrained ones can be read from a model)."""
    assertions = z3.parse_smt2_string(text)
    solver = z3.Solver()
    solver.add(assertions)
    variables: dict[str, z3.ExprRef] = {}
    stack = list(assertions)
    while stack and len(variables) < len(REQUEST):
        term = stack.pop()
        if z3.is_const(term) and term.decl().kind() == z3.Z3_OP_UNINTERPRETED and term.decl().name() in REQUEST:
            variables[term.decl().name()] = term
        stack.extend(term.children())
    return solver, variables


def _name(value: z3.ExprRef) -> str:
    return value.decl().name().split(".", 1)[1]


def solve(text: str) -> tuple[str, tuple[str, str, str, str] | None]:
    """Z3's answer and, when sat, the request (subject, object, class, operation) it found."""
    solver, variables = _request_solver(text)
    answer = solver.check()
    if answer != z3.sat:
        return str(answer), None
    model = solver.model()
    return "sat", tuple(_name(model.eval(variables[v], model_completion=True)) for v in REQUEST)


def all_requests(text: str, limit: int = 100_000) -> set[tuple[str, str, str, str]]:
    """Every request satisfying the query (found one by one, each excluded in turn)."""
    solver, variables = _request_solver(text)
    found: set[tuple[str, str, str, str]] = set()
    while len(found) < limit and solver.check() == z3.sat:
        model = solver.model()
        values = {v: model.eval(variables[v], model_completion=True) for v in REQUEST}
        found.add(tuple(_name(values[v]) for v in REQUEST))
        solver.add(z3.Or([variables[v] != values[v] for v in REQUEST]))
    return found


def neverallow_query(policy: Policy, index: int) -> str:
    """sat when the policy permits a request that its index-th neverallow (from 1) forbids."""
    named = Named("policy", policy)
    rule = named.rules(RuleKind.NEVERALLOW)[index - 1]
    return policy_query(
        [named], [_all([named.call(named.fn("permits")), named.call(named.rule_fn(RuleKind.NEVERALLOW, index))])],
        f"P4 neverallow {index}: `{rule.text}` at {rule.span}",
        ["Is there a request the policy permits and this neverallow forbids?",
         "  sat:   yes; the neverallow is violated and the model (s, o, c, p) is such a request",
         "  unsat: no; the neverallow is respected"],
    )


def allow_survives_query(policy: Policy, index: int) -> str:
    """unsat when every request the index-th allow rule (from 1) covers is denied."""
    named = Named("policy", policy)
    rule = named.rules(RuleKind.ALLOW)[index - 1]
    return policy_query(
        [named], [_all([named.call(named.rule_fn(RuleKind.ALLOW, index)), f"(not {named.call(named.fn('denied'))})"])],
        f"P4 allow rule {index}: `{rule.text}` at {rule.span}",
        ["Is there a request this allow rule covers that no deny rule cancels?",
         "  sat:   yes; the rule permits something (the model is such a request)",
         "  unsat: no; deny rules cancel the rule entirely (an allow/deny conflict), unless the",
         "         rule covers no request at all (an empty set of sids or permissions)"],
    )


def cancelled_allows(policy: Policy) -> list[int]:
    """Allow rules (numbered from 1) that cover some request but permit none: Z3's P4 conflicts."""
    out = []
    for i, rule in enumerate(policy.rules_of(RuleKind.ALLOW), 1):
        covers = rule.permissions and rule.subjects and (rule.self_target or rule.objects)
        if covers and solve(allow_survives_query(policy, i))[0] == "unsat":
            out.append(i)
    return out


def neverallow_violations(policy: Policy) -> list[tuple[int, int]]:
    """(neverallow, allow) pairs, numbered from 1, where the allow rule permits (no deny cancels
    it) a request the neverallow forbids: the pairs Python's P4 reports."""
    named = Named("policy", policy)
    denied = f"(not {named.call(named.fn('denied'))})"
    out = []
    for j in range(1, len(named.rules(RuleKind.NEVERALLOW)) + 1):
        for i in range(1, len(named.rules(RuleKind.ALLOW)) + 1):
            both = _all([named.call(named.rule_fn(RuleKind.ALLOW, i)), denied, named.call(named.rule_fn(RuleKind.NEVERALLOW, j))])
            if solve(policy_query([named], [both], "neverallow pair", []))[0] == "sat":
                out.append((j, i))
    return out


def wider_query(old: Policy, new: Policy) -> str:
    """sat when NEW permits a request OLD does not (over the names of both)."""
    a, b = Named("old", old), Named("new", new)
    return policy_query(
        [a, b], [_all([b.call(b.fn("permits")), f"(not {a.call(a.fn('permits'))})"])],
        "diff: does the new policy permit a request the old one does not?",
        ["  sat:   yes; NEW is wider, and the model (s, o, c, p) is such a request",
         "  unsat: no; every request NEW permits, OLD permits too"],
    )
