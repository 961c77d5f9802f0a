"""The one Python mirror of the Lean checkers (`smosverify.emit.lean_check`) against Lean itself.

`emit lean` claims a property only when the mirror accepts the data, so a mirror that says `true`
where the Lean checker says `false` makes an emitted module fail, and one that says `false` where
Lean says `true` withholds a claim. Here a fixed set of generated systems (hypothesis, derandomized)
is emitted, each checker's data is also changed in ways that make checkers fail (a flipped
decision-table entry, a dropped cap, an extra flow edge, a dropped allowed flow, a cap to the policy
server's TCB or to a trusted component's CNode, a receive cap on an object server's endpoint, a
send cap with a client's badge in another sid's hands or an operation allowed to a client's sid
only (both read by the callers of P1 and P7 and by P3's borrowed identities), a budget of 0 bits, a sink in a cut), and Lean files (PARTS of them, checked side by side) state, for
every system, variant and checker, that the Lean checker's `Bool` equals what the mirror computes,
each by `decide +kernel`. Lean rejects exactly the statements where the two differ; the test
names them.
For every system's own data one more statement (INDEX) says that the emitted caller index is
complete and that the checkers reading it decide as those without it.
One statement deliberately gets the wrong answer, and Lean must reject it (and only it).
"""

from __future__ import annotations

import os
import random
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from smosverify.emit import lean_check
from smosverify.emit.lean import LeanModule, lean_module
from smosverify.lean_toolchain import LAKE, check, default_project
from tests.reference.strategies import SystemText, dynamic_system_texts, flow_system_texts, some

# How many generated systems Lean checks: 30 in the test suite, more when CI's wide pass asks
# (.ci/run; the run's time grows with it, docs/lean.md).
SYSTEMS = int(os.environ.get("SMOSVERIFY_MIRROR_SYSTEMS", "30"))
MAX_CAPS = 24  # the most caps a certificate of a checked system may hold
MODULE = "MirrorCheck"
PARTS = 2  # Lean runs side by side, one system in PARTS each (CI has two cores)

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
# On each system's own data: the emitted caller index is complete, and the checkers reading it
# (what instance modules prove) decide as the checkers without it (Lean against Lean, no mirror).
INDEX = ("(checkIndex {sys} {cert} {index} && "
         "((({sys}).objects.all (callersByIndex {sys} {index}) == checkCallersDistinct {sys} {cert}) && "
         "((({sys}).objects.all (noBorrowByIndex {sys} {index}) == checkNoBorrow {sys} {cert}) && "
         "(opensByIndex {index} ({cert}).capGroups ({cert}).handleGroups == checkOpen {sys} {cert}))))")


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
def generated(count: int) -> tuple[tuple[SystemText, LeanModule], ...]:
    """`count` distinct systems and their modules, half with leakage budgets (and a cut for
    one at least) and half dynamic,
    the same on every run (derandomized draws, no example database). Only systems whose
    certificates hold at most MAX_CAPS caps are kept: the closure checkers loop over the caps up
    to three deep, and Lean's kernel evaluation of them on hundreds of caps outgrows the npm
    build's memory (a disagreement shows on small data too)."""
    return (drawn(budgeted_system_texts(), count // 2, lambda module: bool(module.data["cuts"]))
            + drawn(dynamic_system_texts(), count - count // 2, lambda module: True))


def drawn(strategy, count: int, wanted) -> tuple[tuple[SystemText, LeanModule], ...]:
    """`count` distinct systems of `strategy` whose modules are `wanted` and small enough."""
    found: dict[tuple[str, str], tuple[SystemText, LeanModule]] = {}

    @settings(max_examples=20 * count, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(text: SystemText) -> None:
        if len(found) < count and (text.yaml, text.policy) not in found:
            module = lean_module(text.load())
            certificates = (module.data["certificate"], module.data["dynamicCertificate"] or {"caps": ()})
            if max(len(c["caps"]) for c in certificates) <= MAX_CAPS and wanted(module):
                found[text.yaml, text.policy] = (text, module)

    draw()
    assert len(found) == count, f"only {len(found)} distinct systems drawn"
    return tuple(found.values())


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
                    ("P7",)))

    def with_sys(expr: str, value: dict) -> Data:
        return Data((expr, value), base.cert, base.net, base.cuts)

    def with_cert(field: str, lean: str, value: list) -> Data:
        return Data(base.sys, (f"{{ {ns}.certificate with {field} := {lean} }}", dict(cert, **{field: value})), base.net, base.cuts)

    def group(holder: tuple, caps: list) -> str:  # on one line: each statement is one line
        return p.group(holder, caps).replace("\n", "")

    def with_caps(groups: str, caps: list) -> Data:
        return Data(base.sys, (f"{{ {ns}.certificate with capGroups := {groups} }}", dict(cert, caps=caps)), base.net, base.cuts)

    order = p.holders(cert)  # the holders of both `capGroups` and `handleGroups`, in their order

    def with_cap(cap: tuple) -> Data:  # keeps the two groups aligned, as the emitter does
        caps = cert["caps"] + [cap]
        if cap[0] in order:
            mine = [c for c in cert["caps"] if c[0] == cap[0]] + [cap]
            return with_caps(f"{ns}.certificate.capGroups.set {order.index(cap[0])} {group(cap[0], mine)}", caps)
        both = (f"{ns}.certificate.capGroups ++ [{group(cap[0], [cap])}], "
                f"handleGroups := {ns}.certificate.handleGroups ++ [({p.comp(cap[0])}, [])]")
        return with_caps(both, caps)

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
        holder = cert["caps"][k][0]
        kept = [c for j, c in enumerate(cert["caps"]) if c[0] == holder and j != k]
        out.append(("dropCap", with_caps(f"{ns}.certificate.capGroups.set {order.index(holder)} {group(holder, kept)}",
                                         cert["caps"][:k] + cert["caps"][k + 1:]),
                    ("P1", "P3", "P7")))
    nodes = [u for u, _ in cert["edges"]]
    if cert["edges"]:
        k = pick.randrange(len(cert["edges"]))
        u, vs = cert["edges"][k]
        others = [w for w in nodes if w != u and w not in vs]
        if others:
            entry = (u, [*vs, pick.choice(others)])
            edges = cert["edges"][:k] + [entry] + cert["edges"][k + 1:]
            out.append(("extraFlow", with_cert("edges", f"{ns}.certificate.edges.set {k} {p.edges(entry)}", edges), ("P5",)))
    apart = [k for k, (a, b) in enumerate(sys["policy"]["flows"]) if a != b]
    if apart:
        k = pick.choice(apart)
        flows = sys["policy"]["flows"]
        out.append(("dropFlow", with_policy("flows", f"{ns}.policy.flows.eraseIdx {k}", flows[:k] + flows[k + 1:]), ("P5",)))
    monitors = [c for c in sys["comps"] if lean_check.is_policy(c)]
    if monitors and len(sys["comps"]) > 1:  # a policy server's TCB in someone else's hands
        monitor = pick.choice(monitors)
        cap = (pick.choice([c for c in sys["comps"] if c != monitor]), ("own", monitor, "tcb"), ("control",), 0)
        out.append(("tcbCap", with_cap(cap), ("P2",)))
    consults = {("own", m, "endpoint") for m in monitors}
    links = [k for k, e in enumerate(sys["caps"]) if e[1] in consults and "send" in e[2] and any(o[3] == e[0] for o in sys["objects"])]
    if links:  # an object server's connection to a policy server dropped
        k = pick.choice(links)
        caps = sys["caps"][:k] + sys["caps"][k + 1:]
        out.append(("unlinked", with_sys(f"{{ {ns}.system with caps := {ns}.system.caps.eraseIdx {k} }}", dict(sys, caps=caps)), ("P1",)))
    servers = list(dict.fromkeys(o[3] for o in sys["objects"]))
    if servers:  # someone else receiving on an object server's endpoint: its requests intercepted
        server = pick.choice(servers)
        holders = [c for c in sys["comps"] if c != server]
        if holders:
            cap = (pick.choice(holders), ("own", server, "endpoint"), ("receive",), 0)
            out.append(("interceptCap", with_cap(cap), ("P1",)))
    served = [(o, d) for o in sys["objects"] for d in sys["clients"] if d[0] == o[3]]
    if served:  # a send cap with a client's badge (or unbadged) in the hands of another sid
        o, d = pick.choice(served)
        holders = [c for c in sys["comps"] if c != o[3] and c[1] != d[2]]
        if holders:  # (none when every other component runs under the client's sid)
            cap = (pick.choice(holders), ("own", o[3], "endpoint"), ("send",), pick.choice([d[1], 0]))
            out.append(("borrowCap", with_cap(cap), ("P1", "P3", "P7")))
        callers = [e for e in cert["caps"] if e[1] == ("own", o[3], "endpoint") and "send" in e[2] and e[0] != o[3]
                   and e[0][1] != d[2] and e[3] in (0, d[1])]
        if callers:  # the policy opening more to a client's sid than to a caller holding its badge
            allow = sys["policy"]["allow"]
            caller = pick.choice(callers)[0]
            ops = sorted({q[3] for q in allow if q[2] == o[1]} | {0})
            gained = [(d[2], o[2], o[1], op) for op in ops if (caller[1], o[2], o[1], op) not in allow]
            if gained:
                perm = pick.choice(gained)
                out.append(("borrowAllow", with_policy("allow", p.perm_set(allow + [perm]), allow + [perm]),
                            ("P1", "P3", "P7")))
    trusting = {subject for subject, _, _ in sys["policy"]["trust"]}
    relied = [c for c in sys["comps"] if c[1] in trusting and c not in monitors]
    if relied:  # a trusted component's CNode in someone else's hands
        target = pick.choice(relied)
        holders = [c for c in sys["comps"] if c != target]
        if holders:
            cap = (pick.choice(holders), ("own", target, "cnode"), ("control",), 0)
            out.append(("trustedCap", with_cap(cap), ("P2",)))
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
            statement = CHECKERS[pid].format(**names).replace("\n", " ")  # one line each: errors are placed by line
            out.append(Case(f"s{i}_{variant}_{pid.lower()}", i, variant, pid, statement, mirror))
    ns = f"S{i}"
    statement = INDEX.format(sys=f"{ns}.system", cert=f"{ns}.certificate", index=f"{ns}.callerIndex")
    return out + [Case(f"s{i}_own_index", i, "own", "index", statement, True)]


@dataclass(frozen=True)
class MirrorFile:
    text: str
    cases: tuple[Case, ...]
    lines: dict[int, str]  # line of the file -> theorem stated on it
    wrong: str  # the theorem stated with the mirror's answer negated ("" when none is)
    texts: dict[int, SystemText]  # system number -> its text


@cache
def mirror_file(part: int = 0, parts: int = 1, count: int = SYSTEMS) -> MirrorFile:
    """The Lean module of every `parts`-th system from the `part`-th on: each system's data and
    its statements in a namespace of its own (the changed terms name its `comp<i>` and `obj<i>`).
    The first part's first P4 statement gets the wrong answer."""
    systems = generated(count)
    lines: dict[int, str] = {}
    out = ["import SMOS", "set_option autoImplicit false  -- a name a statement misspells is an error, not a variable", ""]
    cases: list[Case] = []
    for i in range(part, len(systems), parts):
        module = systems[i][1]
        out += [f"namespace S{i}", "open SMOS", *module.definitions.strip("\n").split("\n"), ""]
        mine = cases_of(i, module)
        for case in mine:
            lines[len(out) + 1] = case.theorem
            out.append(f"theorem {case.theorem} : {case.statement} = {{answer}} := by decide +kernel")
        out += [f"end S{i}", ""]
        cases += mine
    wrong = next(c for c in cases if c.pid == "P4") if part == 0 else None
    by_line = {name: n for n, name in lines.items()}
    for case in cases:  # the answers: the mirror's, except the one deliberately wrong
        answer = case.mirror != (case is wrong)
        n = by_line[case.theorem] - 1
        out[n] = out[n].replace("{answer}", "true" if answer else "false")
    return MirrorFile("\n".join(out) + "\n", tuple(cases), lines, wrong.theorem if wrong else "",
                      {i: systems[i][0] for i in range(part, len(systems), parts)})


def rejected(run, file: MirrorFile) -> dict[str, str]:
    """Theorem -> Lean's first error on it; errors outside any theorem under the key ''."""
    out: dict[str, str] = {}
    for message in run.errors:
        out.setdefault(file.lines.get(message.line, ""), str(message))
    return out


def test_the_set_has_both_answers_for_every_checker():
    """Without Lean: the generated set is worth checking (many `true` and many `false` answers for
    every checker, and the changes make checkers fail), and each statement's line is known."""
    files = [mirror_file(part, PARTS) for part in range(PARTS)]
    for file in files:
        lines = file.text.split("\n")
        assert all(lines[n - 1].startswith(f"theorem {name} : ") for n, name in file.lines.items())  # Lean's errors are placed
        assert len(file.lines) == len(file.cases)
        defined = set()
        for line in lines:  # every component and object a changed term names exists in its system
            if line.startswith("namespace "):
                defined = set()
            defined |= set(re.findall(r"^(?:noncomputable )?def ((?:comp|obj)\d+) ", line))
            if line.startswith("theorem "):
                assert set(re.findall(r"\b((?:comp|obj)\d+)\b", line)) <= defined, line
    cases = [c for file in files for c in file.cases]
    assert sorted(i for file in files for i in file.texts) == list(range(SYSTEMS))
    assert [f.wrong != "" for f in files] == [True] + [False] * (PARTS - 1)
    for pid in CHECKERS:
        answers = [c.mirror for c in cases if c.pid == pid]
        least = SYSTEMS // 8  # 3 of each on the suite's 30 systems, 25 on CI's wide pass of 200
        assert answers.count(True) >= least and answers.count(False) >= least, (pid, answers.count(True), answers.count(False))
    changed = [c for c in cases if c.variant not in ("own", "dynamic")]
    assert sum(not c.mirror for c in changed) > 0.6 * len(changed)
    assert len(cases) >= 10 * SYSTEMS


@pytest.mark.lean
def test_lean_checkers_agree_with_the_mirror(lean, tmp_path):  # pragma: no cover - needs Lean
    if lean.kind == LAKE:
        pytest.skip("lake checks only modules inside the Lake project; this runs with the npm build CI installs")
    library = check(lean, default_project(), ["SMOS"])  # built once, before the parts import it
    assert library.ok, library.failure()
    files = [mirror_file(part, PARTS) for part in range(PARTS)]

    def run_part(part: int):
        directory = tmp_path / f"part{part}"
        directory.mkdir()
        (directory / f"{MODULE}.lean").write_text(files[part].text, encoding="utf-8")
        return check(lean, default_project(), [MODULE], extra=directory)

    with ThreadPoolExecutor(PARTS) as pool:  # one Node process per part, side by side
        runs = list(pool.map(run_part, range(PARTS)))
    disagreements = []
    for file, run in zip(files, runs):
        print(f"{run.summary}: {len(file.cases)} statements on {len(file.texts)} systems")
        assert not run.stopped, run.stopped
        assert run.exit_code == 0 or run.errors, f"Lean failed without an error on a statement: {run.failure()}"
        found = rejected(run, file)
        assert "" not in found, f"Lean rejected the file outside the statements: {found['']}"
        if file.wrong:
            assert file.wrong in found, f"the statement with the wrong answer, {file.wrong}, was accepted: {run.summary}"
        by_name = {c.theorem: c for c in file.cases}
        disagreements += [
            f"system {by_name[t].system} ({by_name[t].variant}), checker {by_name[t].pid}: the mirror says "
            f"{by_name[t].mirror}, Lean does not agree: {message}\n{file.texts[by_name[t].system].yaml}"
            f"{file.texts[by_name[t].system].policy}"
            for t, message in found.items() if t != file.wrong]
    assert not disagreements, "\n\n".join(disagreements[:5])
