"""The one Python mirror of the Lean checkers (`smosverify.emit.lean_check`) against Lean itself.

`emit lean` claims a property only when the mirror accepts the data, so a mirror that says `true`
where the Lean checker says `false` makes an emitted module fail, and one that says `false` where
Lean says `true` withholds a claim. Here a fixed set of generated systems (hypothesis, derandomized)
is emitted, each checker's data is also changed in ways that make checkers fail (a flipped
decision-table entry, a dropped cap, an extra flow edge, a dropped allowed flow, a cap to the policy
server's TCB, a budget of 0 bits, a sink in a cut), and ONE Lean file states, for every system,
variant and checker, that the Lean checker's `Bool` equals what the mirror computes, each by
`decide +kernel`. Lean rejects exactly the statements where the two differ; the test names them.
One statement deliberately gets the wrong answer, and Lean must reject it (and only it).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from smosverify.emit import lean_check
from smosverify.emit.lean import LeanModule, lean_module
from smosverify.lean_toolchain import LAKE, check, default_project
from tests.reference.strategies import SystemText, dynamic_system_texts, flow_system_texts, some

SYSTEMS = 120  # how many generated systems Lean checks (the run's time grows with it: docs/lean.md)
MODULE = "MirrorCheck"

# The Lean checker behind each property, applied to the names of the data it reads.
CHECKERS = {
    "P1": "checkCompleteMediation {sys} {cert}",
    "P2": "checkTamperProof {sys} {cert}",
    "P3": "checkAuthorityConformance {sys} {cert}",
    "P4": "checkPolicyCorrect {sys}",
    "P5": "checkFlowSecurity {sys} {cert}",
    "P6": "checkLeakageBounded ({sys}).policy {net} {cuts}",
    "P7": "checkDynamicSafety {sys} {cert}",
}
CERTIFICATE_CHECKERS = ("P1", "P2", "P3", "P5", "P7")


@dataclass(frozen=True)
class Data:
    """One variant of a system's data: Lean expressions naming it, and the Python values."""

    sys: tuple[str, dict]
    cert: tuple[str, dict]
    net: tuple[str, dict]
    cuts: tuple[str, list]


@dataclass(frozen=True)
class Case:
    theorem: str  # `s<i>_<variant>_p<n>`
    system: int
    variant: str
    pid: str
    statement: str  # the Lean checker's application
    mirror: bool  # what lean_check says


@st.composite
def budgeted_system_texts(draw) -> SystemText:
    """`flow_system_texts` with up to two leakage budgets between labels some sid has, so that
    P6 has something to check."""
    text = draw(flow_system_texts())
    labels = sorted(set(re.findall(r"^label \w+ : (\w+);", text.policy, flags=re.M)))
    pairs = [(a, b) for a in labels for b in labels if a != b]
    lines = [f"budget {a} -> {b} <= {draw(st.sampled_from((0, 1, 64, 100000)))} bits;\n"
             for a, b in some(draw, pairs, min_size=1, max_size=2)]
    return SystemText(text.yaml, text.policy + "".join(lines))


@cache
def generated_texts(count: int) -> tuple[SystemText, ...]:
    """`count` distinct systems, the same on every run (derandomized draws, no example database)."""
    drawn: dict[tuple[str, str], SystemText] = {}

    @settings(max_examples=4 * count, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(budgeted_system_texts(), dynamic_system_texts()))
    def draw(text: SystemText) -> None:
        if len(drawn) < count:
            drawn.setdefault((text.yaml, text.policy), text)

    draw()
    assert len(drawn) == count, f"only {len(drawn)} distinct systems drawn"
    return tuple(drawn.values())


def variants(i: int, module: LeanModule) -> list[tuple[str, Data, tuple[str, ...]]]:
    """The system's own data, and changes of it that checkers should notice: (name, data, the
    properties whose checkers read the change). Which element changes is chosen by a
    generator seeded with the system's number."""
    pick = random.Random(i)
    p, d = module.printer, module.data
    ns = f"S{i}"
    sys, cert, net, cuts = d["system"], d["certificate"], d["network"], d["cuts"]
    base = Data((f"{ns}.system", sys), (f"{ns}.certificate", cert), (f"{ns}.network", net), (f"{ns}.cuts", cuts))
    out = [("own", base, tuple(CHECKERS))]
    if d["dynamicCertificate"]:
        out.append(("dynamic", Data(base.sys, (f"{ns}.dynamicCertificate", d["dynamicCertificate"]), base.net, base.cuts),
                    CERTIFICATE_CHECKERS))

    def with_sys(expr: str, value: dict) -> Data:
        return Data((expr, value), base.cert, base.net, base.cuts)

    def with_cert(field: str, lean: str, value: list) -> Data:
        return Data(base.sys, (f"{{ {ns}.certificate with {field} := {lean} }}", dict(cert, **{field: value})), base.net, base.cuts)

    def with_policy(field: str, lean: str, value: list) -> Data:
        policy = dict(sys["policy"], **{field: value})
        return with_sys(f"{{ {ns}.system with policy := {{ {ns}.policy with {field} := {lean} }} }}", dict(sys, policy=policy))

    if sys["decisions"]:
        k = pick.randrange(len(sys["decisions"]))
        q, permit = sys["decisions"][k]
        flipped = (q, not permit)
        decisions = sys["decisions"][:k] + [flipped] + sys["decisions"][k + 1:]
        out.append(("flip", with_sys(f"{{ {ns}.system with decisions := {ns}.system.decisions.set {k} {p.decision(flipped)} }}",
                                     dict(sys, decisions=decisions)), ("P4",)))
    if cert["caps"]:
        k = pick.randrange(len(cert["caps"]))
        out.append(("dropCap", with_cert("caps", f"{ns}.certificate.caps.eraseIdx {k}", cert["caps"][:k] + cert["caps"][k + 1:]),
                    CERTIFICATE_CHECKERS))
    nodes = [u for u, _ in cert["edges"]]
    if cert["edges"]:
        k = pick.randrange(len(cert["edges"]))
        u, vs = cert["edges"][k]
        others = [w for w in nodes if w != u and w not in vs]
        if others:
            entry = (u, [*vs, pick.choice(others)])
            edges = cert["edges"][:k] + [entry] + cert["edges"][k + 1:]
            out.append(("extraFlow", with_cert("edges", f"{ns}.certificate.edges.set {k} {p.edges(entry)}", edges), ("P5", "P7")))
    apart = [k for k, (a, b) in enumerate(sys["policy"]["flows"]) if a != b]
    if apart:
        k = pick.choice(apart)
        flows = sys["policy"]["flows"]
        out.append(("dropFlow", with_policy("flows", f"{ns}.policy.flows.eraseIdx {k}", flows[:k] + flows[k + 1:]), ("P5",)))
    monitor = sys["policyServer"]
    others = [c for c in sys["comps"] if c != monitor]
    if monitor in sys["comps"] and others:
        cap = (pick.choice(others), ("own", monitor, "tcb"), ("control",), 0)
        out.append(("tcbCap", with_cert("caps", f"{ns}.certificate.caps ++ [{p.cap(cap)}]", cert["caps"] + [cap]), ("P2", "P3")))
    if cuts:
        k = pick.randrange(len(cuts))
        (source, sink, bits), side = cuts[k]
        zero = (source, sink, 0)
        b = sys["policy"]["budgets"].index((source, sink, bits))
        budgets = sys["policy"]["budgets"][:b] + [zero] + sys["policy"]["budgets"][b + 1:]
        policy = dict(sys["policy"], budgets=budgets)
        lean_sys = f"{{ {ns}.system with policy := {{ {ns}.policy with budgets := {ns}.policy.budgets.set {b} {p.anon(zero)} }} }}"
        zero_cuts = cuts[:k] + [(zero, side)] + cuts[k + 1:]
        out.append(("zeroBudget", Data((lean_sys, dict(sys, policy=policy)), base.cert, base.net,
                                       (f"{ns}.cuts.set {k} {p.cut((zero, side))}", zero_cuts)), ("P6",)))
        sources = [v for v, label in net["labels"] if label == source]
        if sources:  # an arc from a source to a new node, carrying more than the budget
            arc = (pick.choice(sources), len(net["names"]), bits + 1)
            wider = dict(net, arcs=net["arcs"] + [arc])
            out.append(("extraArc", Data(base.sys, base.cert,
                                         (f"{{ {ns}.network with arcs := {ns}.network.arcs ++ [{p.anon(arc)}] }}", wider),
                                         base.cuts), ("P6",)))
        sinks = [v for v, label in net["labels"] if label == sink]
        if sinks:
            entry = ((source, sink, bits), [*side, pick.choice(sinks)])
            out.append(("sinkInCut", Data(base.sys, base.cert, base.net,
                                          (f"{ns}.cuts.set {k} {p.cut(entry)}", cuts[:k] + [entry] + cuts[k + 1:])), ("P6",)))
    return out


def cases_of(i: int, module: LeanModule) -> list[Case]:
    out = []
    for variant, data, pids in variants(i, module):
        names = {"sys": f"({data.sys[0]})", "cert": f"({data.cert[0]})", "net": f"({data.net[0]})", "cuts": f"({data.cuts[0]})"}
        for pid in pids:
            mirror = not lean_check.problems(pid, data.sys[1], data.cert[1], data.net[1], data.cuts[1])
            out.append(Case(f"s{i}_{variant}_{pid.lower()}", i, variant, pid, CHECKERS[pid].format(**names), mirror))
    return out


@dataclass(frozen=True)
class MirrorFile:
    text: str
    cases: tuple[Case, ...]
    lines: dict[int, str]  # line of the file -> theorem stated on it
    wrong: str  # the theorem stated with the mirror's answer negated
    texts: tuple[SystemText, ...]


@cache
def mirror_file(count: int = SYSTEMS) -> MirrorFile:
    """The Lean module: every system's data in its own namespace, then one theorem per case."""
    texts = generated_texts(count)
    parts = ["import SMOS", "open SMOS", ""]
    cases: list[Case] = []
    for i, text in enumerate(texts):
        module = lean_module(text.load())
        parts += [f"namespace S{i}", "open SMOS", module.definitions.strip("\n"), f"end S{i}", ""]
        cases += cases_of(i, module)
    wrong = next(c for c in cases if c.pid == "P4")
    lines: dict[int, str] = {}
    for case in cases:
        answer = case.mirror != (case is wrong)
        lines[len(parts) + 1] = case.theorem
        parts.append(f"theorem {case.theorem} : {case.statement} = {'true' if answer else 'false'} := by decide +kernel")
    return MirrorFile("\n".join(parts) + "\n", tuple(cases), lines, wrong.theorem, texts)


def rejected(run, file: MirrorFile) -> dict[str, str]:
    """Theorem -> Lean's first error on it; errors outside any theorem under the key ''."""
    out: dict[str, str] = {}
    for message in run.errors:
        out.setdefault(file.lines.get(message.line, ""), str(message))
    return out


def test_the_set_has_both_answers_for_every_checker():
    """Without Lean: the generated set is worth checking, many `true` and many `false` answers for
    every checker, and the changes make checkers fail."""
    cases = mirror_file().cases
    for pid in CHECKERS:
        answers = [c.mirror for c in cases if c.pid == pid]
        assert answers.count(True) >= 10 and answers.count(False) >= 10, (pid, answers.count(True), answers.count(False))
    changed = [c for c in cases if c.variant not in ("own", "dynamic")]
    assert sum(not c.mirror for c in changed) > 0.6 * len(changed)
    assert len(cases) >= 10 * SYSTEMS


@pytest.mark.lean
def test_lean_checkers_agree_with_the_mirror(lean, tmp_path):  # pragma: no cover - needs Lean
    if lean.kind == LAKE:
        pytest.skip("lake checks only modules inside the Lake project; this runs with the npm build CI installs")
    file = mirror_file()
    (tmp_path / f"{MODULE}.lean").write_text(file.text, encoding="utf-8")
    run = check(lean, default_project(), [MODULE], extra=tmp_path)
    print(f"{run.summary}: {len(file.cases)} statements on {len(file.texts)} systems")
    assert not run.stopped, run.stopped
    found = rejected(run, file)
    assert "" not in found, f"Lean rejected the file outside the statements: {found['']}"
    assert file.wrong in found, f"the statement with the wrong answer, {file.wrong}, was accepted: {run.summary}"
    by_name = {c.theorem: c for c in file.cases}
    disagreements = [
        f"system {by_name[t].system} ({by_name[t].variant}), checker {by_name[t].pid}: the mirror says "
        f"{by_name[t].mirror}, Lean does not agree: {message}\n{file.texts[by_name[t].system].yaml}"
        f"{file.texts[by_name[t].system].policy}"
        for t, message in found.items() if t != file.wrong]
    assert not disagreements, "\n\n".join(disagreements[:5])
