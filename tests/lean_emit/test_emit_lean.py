"""`emit lean`: deterministic, every example emits, names never become identifiers, the emitted
data is the model and the analyses' certificates, and a theorem is claimed only when both the
Python analysis and the checker mirrors accept it."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smosverify.analyses.check import check_system
from smosverify.analyses.result import Status
from smosverify.emit import lean_check
from smosverify.emit.lean import lean_module, module_name, write_lean_module
from smosverify.emit.lean_data import ROLES, cap_order, closure_caps, Terms, numbering
from smosverify.emit.lean_text import CHUNK, LeanText
from smosverify.load.system import load_system
from smosverify.model.authority import initial_caps

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/system.yaml"))


def _library_tests():
    """tests/test_lean_library.py, which reads instance modules back and holds the contract checks."""
    spec = importlib.util.spec_from_file_location("lean_library_tests", REPO / "tests" / "test_lean_library.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LIBRARY_TESTS = _library_tests()


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.name for p in EXAMPLES])
def emitted(request, tmp_path_factory):
    system = load_system(request.param / "system.yaml")
    report = check_system(system)
    module = lean_module(system, report)
    path = write_lean_module(module, tmp_path_factory.mktemp(request.param.name))
    return system, report, module, path


def test_every_example_emits_a_module_following_the_contract(emitted):
    system, _, module, path = emitted
    assert path.name == f"{module_name(system.name)}.lean"
    code = LIBRARY_TESTS.strip_comments_and_strings(path.read_text(encoding="utf-8"))
    assert LIBRARY_TESTS.imports(path) == ["SMOS"]
    assert re.search(rf"^namespace Instances\.{path.stem}$", code, flags=re.M)
    assert re.search(rf"^end Instances\.{path.stem}$", code, flags=re.M)
    for name in LIBRARY_TESTS.INSTANCE_DEFS:
        assert re.search(rf"^(?:noncomputable )?def {name}\b", code, flags=re.M)
    claimed = re.findall(r"^theorem (p\d_\w+) : .*\n\s+(\w+) ", code, flags=re.M)
    assert all(LIBRARY_TESTS.PROPERTY_THEOREMS[t] == lemma for t, lemma in claimed)
    assert {t for t, _ in claimed} == {c.theorem for c in module.claims if c.claimed}
    LIBRARY_TESTS.assert_parts_proved_alone(code, len(claimed))
    assert LIBRARY_TESTS.forbidden_words(path.read_text(encoding="utf-8")) == []


def test_emission_is_deterministic_across_processes(emitted, tmp_path):
    system, _, module, _ = emitted
    for seed in ("0", "12345"):
        _emit_in_child(system.file, tmp_path / f"{seed}.lean", seed)
        assert (tmp_path / f"{seed}.lean").read_text(encoding="utf-8") == module.text


def _emit_in_child(system_file: str, out: Path, seed: str) -> None:
    code = "from smosverify.cli import main; main()"
    env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code, "emit", "lean", system_file, "-o", str(out)],
                   check=True, capture_output=True, env=env, cwd=REPO, timeout=120)


def test_parsed_back_data_is_the_emitted_data(emitted):
    _, _, module, path = emitted
    assert_reads_back(module, path)


def test_long_lists_are_split_into_short_definitions_that_read_back(tmp_path):
    """A list longer than `CHUNK` characters is emitted as pieces, one definition each, joined by
    `List.flatten` (Lean's parser is superlinear in a command's length); together they hold the
    list, in order."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate_system import generate

    module = lean_module(load_system(generate(80, tmp_path / "system", seed=3)))
    path = write_lean_module(module, tmp_path / "out")
    for name in ("system_caps", "system_decisions", "certificate_capGroups", "certificate_handleGroups"):
        assert f"List.flatten [{name}_0, {name}_1" in module.text, name
    commands = re.split(r"^(?=noncomputable def |theorem )", module.definitions, flags=re.M)
    pieces = [c for c in commands if re.match(r"noncomputable def \w+_\d+ : ", c)]
    assert pieces and max(len(c) for c in pieces) < 2 * CHUNK
    assert_reads_back(module, path)


def assert_reads_back(module, path: Path) -> None:
    """The data read back from the module's text is the data it was rendered from."""
    env = LIBRARY_TESTS.read_instance(path)
    data = module.data
    assert env["system"]["comps"] == data["system"]["comps"]
    assert env["system"]["objects"] == data["system"]["objects"]
    assert env["system"]["caps"] == data["system"]["caps"]
    assert env["system"]["covers"] == data["system"]["covers"]
    assert env["system"]["clients"] == data["system"]["clients"]
    assert env["system"]["decisions"] == data["system"]["decisions"]
    for field, value in data["system"]["policy"].items():
        assert env["policy"][field] == value, field
    for name in ("certificate", "dynamicCertificate"):
        if data[name] is None:
            continue
        for field in ("comps", "caps", "handles", "declared", "trusted", "edges"):
            assert env[name][field] == data[name][field], field
        assert [(v, [(s, tuple(m)) for s, m in fs]) for v, fs in env[name]["facts"]] == data[name]["facts"]
    assert env["network"]["arcs"] == data["network"]["arcs"] and env["network"]["labels"] == data["network"]["labels"]
    assert env["cuts"] == data["cuts"]


def test_emitted_data_is_the_model(emitted):
    system, _, module, _ = emitted
    num = module.data["system"]
    sids = list(system.policy.sids)
    assert [(c[0], sids[c[1]], c[2]) for c in num["comps"]] == [(i, c.sid, c.role.value) for i, c in enumerate(system.components.values())]
    assert len(num["objects"]) == len(system.objects())
    for (i, cls, sid, server), obj in zip(num["objects"], system.objects()):
        assert sids[sid] == obj.sid and list(system.components)[server[0]] == obj.server
    expected = {(cap.holder, str(cap.target), frozenset(r.value for r in cap.rights), cap.badge) for cap in initial_caps(system)}
    names = list(system.components)
    shared = {"region": system.regions, "notification": system.notifications, "untyped": system.untyped}
    shown = set()
    for holder, target, rights, badge in num["caps"]:
        where = f"{names[target[1][0]]}.{target[2]}" if target[0] == "own" else list(shared[target[1]])[target[2]]
        shown.add((names[holder[0]], where, frozenset("grant_reply" if r == "grantReply" else r for r in rights), badge))
    assert shown == expected


def test_certificates_are_the_ones_the_analyses_checked(emitted):
    system, report, module, _ = emitted
    results = {r.id: r for r in report.results}
    final = results["P7"].certificate
    terms = Terms(final.system, numbering(system, final.summaries()))
    dynamic = closure_caps(final.system, final.closure, terms)
    static = closure_caps(system, results["P3"].certificate, terms)
    data = module.data
    initial = data["system"]["caps"]

    def listed_as(caps: list, expected: list) -> bool:
        """The analysis's caps, one run per holder (Lean's `groups`), all in one order, the
        system's as well: the initial caps are one subsequence (for `checkInit`), and a holder's
        caps are one of another's when the other holds them all (`includedB`)."""
        walk = iter(caps)
        holders = [holder for holder, _ in groupby(caps, key=lambda c: c[0])]
        return (Counter(caps) == Counter(expected) and all(c in walk for c in initial)
                and len(holders) == len(set(holders)) and caps == sorted(caps, key=cap_order)
                and initial == sorted(initial, key=cap_order))

    if data["dynamicCertificate"] is None:
        assert listed_as(data["certificate"]["caps"], dynamic)
    else:
        assert listed_as(data["certificate"]["caps"], static)
        assert listed_as(data["dynamicCertificate"]["caps"], dynamic)
    if results["P6"].status is Status.HOLDS:
        assert [c[0][2] for c in data["cuts"]] == [r.budget.bits for r in results["P6"].certificate]


def test_holders_ascend_by_their_lean_key(emitted):
    """`checkGrant` and `checkReply` take a holder's group for everything it holds when the holders'
    `Component.key`s ascend (`holdersApart`), and otherwise look every holder up among all groups,
    which ran the kernel out of memory at 1,000 components; so the emitter must list them so."""
    data = emitted[2].data
    for cert in (data["certificate"], data["dynamicCertificate"]):
        if cert is None:
            continue
        keys = [((int(c[3]) * 2**64 + c[0]) * 2**64 + c[1]) * 4 + ROLES.index(c[2]) for c in LeanText.holders(cert)]
        assert keys and all(a < b for a, b in zip(keys, keys[1:]))


def test_claimed_only_when_the_analysis_holds_and_the_mirror_accepts(emitted):
    """The one mirror (lean_check) decides the claims; on the data read back from the written text it
    answers as on the data the text was rendered from."""
    _, report, module, path = emitted
    statuses = {r.id: r.status for r in report.results}
    env = LIBRARY_TESTS.read_instance(path)
    read_back = (env["system"], LIBRARY_TESTS.as_emitted(env["certificate"]), env["network"], env["cuts"])
    data = module.data
    for claim in module.claims:
        mine = lean_check.problems(claim.property, data["system"], data["certificate"], data["network"], data["cuts"])
        assert lean_check.problems(claim.property, *read_back) == mine, claim
        if claim.claimed:
            assert statuses[claim.property] is Status.HOLDS
            assert mine == [], claim
        elif statuses[claim.property] is Status.HOLDS and claim.property != "P7":
            assert mine, claim  # the mirror rejects, and the reason is written
            assert f"-- {claim.property} not claimed: " in path.read_text(encoding="utf-8")


def test_every_example_claims_exactly_what_the_analysis_finds_to_hold(emitted):
    """No Lean statement is narrower than its Python property on any example: each property the
    analysis finds to hold is claimed, and Lean checks it (.ci/check-lean)."""
    _, report, module, _ = emitted
    holds = {r.id for r in report.results if r.status is Status.HOLDS}
    assert {c.property for c in module.claims if c.claimed} == holds, [c.reason for c in module.claims if not c.claimed]


def test_no_system_name_is_an_identifier(emitted):
    system, _, module, path = emitted
    code = LIBRARY_TESTS.strip_comments_and_strings(path.read_text(encoding="utf-8"))
    idents = set(re.findall(r"[^\W\d][\w']*", code))
    names = set(system.policy.sids) | set(system.components) | {o.name for o in system.objects()} | set(system.policy.labels)
    fixed = {"import", "namespace", "open", "def", "where", "theorem", "by", "decide", "kernel", "end", "false", "true", "List", "Nat",
             "SMOS", "Instances", module.name, "Component", "SObj", "Policy", "Sys", "Certificate", "LeakNet", "Budget", "summary",
             "policy", "system", "certificate", "dynamicCertificate", "network", "cuts"}
    assert not (idents - fixed) & (names - fixed - {"policy", "system"})


def test_module_names():
    assert module_name("pink-file") == "PinkFile"
    assert module_name("multi_server.v2") == "MultiServerV2"
    assert module_name("1st-system") == "System1stSystem"
    assert module_name("---") == "System"
    assert module_name("type") == "TypeSystem"
    assert module_name("Example") == "ExampleSystem"
    assert module_name("größe-α") == "GrE"


def test_comment_text_is_safe():
    assert LeanText.comment("a -/ b /- c\nd\te") == "a - / b / - c\\u000ad\\u0009e"


def test_unusual_names_are_escaped(write_system, tmp_path):
    policy = """\
    class file { open read }
    class def { theorem }
    sid policy_t, ünïcode_t, dotted.sid, dash-sid, end;
    allow ünïcode_t dash-sid : endpoint send;
    allow dash-sid policy_t : endpoint send;
    allow ünïcode_t dotted.sid : file { open read };
    allow ünïcode_t end : def theorem;
    lattice { low < high }
    label { ünïcode_t dotted.sid end dash-sid policy_t } : low;
    """
    yaml = """\
    system: where
    policy: policy.pol
    components:
      theorem:
        sid: dash-sid
        role: server
        objects:
          def: {class: file, sid: dotted.sid}
          by: {class: def, sid: end}
      namespace: {sid: policy_t, role: policy}
      client-1: {sid: ünïcode_t, role: client}
    connections:
      - {from: client-1, to: theorem, rights: [send]}
      - {from: theorem, to: namespace, rights: [send]}
    """
    system = load_system(write_system(tmp_path, yaml, policy))
    module = lean_module(system)
    path = write_lean_module(module, tmp_path / "out")
    assert path.name == "Where.lean"
    text = path.read_text(encoding="utf-8")
    assert "`dotted.sid`" in text and "`ünïcode_t`" in text and "`dash-sid`" in text and "`end`" in text
    env = LIBRARY_TESTS.read_instance(path)
    assert env["system"]["comps"] == module.data["system"]["comps"]
    assert env["policy"]["allow"] == module.data["system"]["policy"]["allow"]
    code = LIBRARY_TESTS.strip_comments_and_strings(text)
    for name in ("ünïcode_t", "dotted.sid", "dash-sid", "client-1"):
        assert name not in code
    claimed = {c.property for c in module.claims if c.claimed}
    assert {"P1", "P2", "P3", "P4", "P5", "P7"} <= claimed, [c.reason for c in module.claims if not c.claimed]


def test_mirror_rejects_tampered_data():
    module = lean_module(load_system(REPO / "examples" / "password-checker" / "system.yaml"))
    data = module.data
    net = data["network"]
    assert lean_check.problems("P6", data["system"], data["certificate"], net, data["cuts"]) == []
    assert lean_check.problems("P6", data["system"], data["certificate"], net, []) != []
    cert = dict(data["certificate"], caps=data["certificate"]["caps"][1:])
    assert lean_check.kernel_closed(data["system"], cert)


def test_a_violated_property_is_never_claimed():
    for name in ("fail-p1-frames", "fail-p2-grant-path", "fail-p3-connection", "fail-p4-conflict", "dynamic-handle-leak"):
        system = load_system(REPO / "examples" / name / "system.yaml")
        report = check_system(system)
        module = lean_module(system, report)
        violated = {r.id for r in report.results if r.status is Status.VIOLATED}
        assert violated and not violated & {c.property for c in module.claims if c.claimed}


def test_a_flipped_decision_fails_p4():
    """P4's decision table is data the instance carries: one wrong entry, and the checker (here its
    mirror; tests/test_lean_library.py has Lean itself reject it) refuses P4, and P1 stays claimable
    (mediation is about who asks, P4 about what the answers are)."""
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    data = module.data
    sys_ = data["system"]
    assert lean_check.problems("P4", sys_, data["certificate"], data["network"], data["cuts"]) == []
    (req, permit), *rest = sys_["decisions"]
    flipped = dict(sys_, decisions=[(req, not permit), *rest])
    found = lean_check.problems("P4", flipped, data["certificate"], data["network"], data["cuts"])
    assert len(found) == 1 and "the policy says" in found[0]


PINK = REPO / "examples" / "pink-file"
BOB = "  - {from: bob, to: fs, rights: [send, grant_reply], badge: 2}"


def _pink() -> str:
    """pink-file's system.yaml, naming its policy by absolute path (it imports files beside it)."""
    return (PINK / "system.yaml").read_text().replace("policy: pink.pol", f"policy: {PINK / 'pink.pol'}")


@pytest.mark.parametrize("badge", [1, 0], ids=["same-badge", "unbadged"])
def test_p1_is_not_claimed_when_the_server_cannot_tell_callers_apart(write_system, tmp_path, badge):
    """fs sees alice (alice_t, may read the secret file) and bob (bob_t, may not) with one badge (or
    bob's unbadged cap, which bob can mint with alice's): fs cannot ask smos_auth the right question,
    so P1 is violated (kernel manual: the badge is all a server learns of its caller); neither the
    Python analysis nor the Lean checker's condition accepts it."""
    yaml = _pink().replace(BOB, BOB.replace("badge: 2", f"badge: {badge}"))
    system = load_system(write_system(tmp_path, yaml))
    report = check_system(system)
    module = lean_module(system, report)
    data = module.data
    assert next(r for r in report.results if r.id == "P1").status is Status.VIOLATED
    assert "P1" not in {c.property for c in module.claims if c.claimed}
    found = lean_check.problems("P1", data["system"], data["certificate"], data["network"], data["cuts"])
    assert found and all("with one badge" in f for f in found)


def test_p1_is_claimed_when_callers_sharing_a_badge_are_treated_alike(write_system, tmp_path):
    """Two callers of one sid may share a badge: the policy decides alike for them."""
    yaml = _pink().replace(BOB, BOB.replace("badge: 2", "badge: 1")).replace(
        "bob: {sid: bob_t, role: client}", "bob: {sid: alice_t, role: client}")
    system = load_system(write_system(tmp_path, yaml))
    report = check_system(system)
    module = lean_module(system, report)
    assert next(r for r in report.results if r.id == "P1").status is Status.HOLDS
    assert "P1" in {c.property for c in module.claims if c.claimed}


@pytest.mark.parametrize("pid", ["P1", "P7"])
def test_a_borrowed_badge_in_the_certificate_fails_p1_and_p7(pid):
    """bob (bob_t) holding a send cap to fs with alice's badge: fs would take bob for alice, whose
    sid may read the secret file; the checkers behind P1 and P7 (here their mirror) refuse it."""
    module = lean_module(load_system(PINK / "system.yaml"))
    data = module.data
    cert = data["certificate"]
    assert next(c for c in module.claims if c.property == "P7").claimed  # so `certificate` is the dynamic one
    alice, bob = (module.printer.terms.comp(name) for name in ("alice", "bob"))
    _, target, _, badge = next(e for e in cert["caps"] if e[0] == alice and e[1][0] == "own" and e[1][2] == "endpoint")
    assert lean_check.problems(pid, data["system"], cert, data["network"], data["cuts"]) == []
    borrowed = dict(cert, caps=cert["caps"] + [(bob, target, ("send",), badge)])
    found = lean_check.problems(pid, data["system"], borrowed, data["network"], data["cuts"])
    assert any("with one badge" in f for f in found), found


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_lean_flow_graph_is_the_python_flow_graph(example):
    """The edges Lean's `FlowStep` rules give on the kernel certificate are the Python flow graph's,
    with an endpoint's receivers joined through the endpoint node as Python joins them."""
    from smosverify.analyses.flow.graph import NodeKind, flow_graph
    from smosverify.emit.lean_flow import rule_edges
    from smosverify.model.system import Target
    from smosverify.model.kernel import ObjectKind

    system = load_system(example / "system.yaml")
    report = check_system(system)
    closure = next(r for r in report.results if r.id == "P3").certificate
    module = lean_module(system, report)
    terms = Terms(system, numbering(system, ()))
    targets = {str(t): t for t in closure.held_targets()}

    def node(n):
        if n.kind is NodeKind.COMPONENT:
            return ("comp", terms.comp(n.name))
        if n.kind is NodeKind.OBJECT:
            return ("obj", terms.obj(n.name))
        kind = {NodeKind.REGION: ObjectKind.REGION, NodeKind.NOTIFICATION: ObjectKind.NOTIFICATION}.get(n.kind)
        target = Target(kind, n.name) if kind else targets[n.name]
        return ("chan", terms.target(target, n.sid))

    graph = flow_graph(system, closure)
    python = {(node(graph.nodes[e.source]), node(graph.nodes[e.sink])) for e in graph.edges}
    data = module.data
    cert = data["certificate"] if data["dynamicCertificate"] else dict(
        data["certificate"], caps=closure_caps(system, closure, terms), handles=[])
    lean = rule_edges(data["system"], cert)
    assert lean == python
