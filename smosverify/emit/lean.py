"""`smosverify emit lean`: a system, its policy and the analyses' certificates as a Lean module.

The module follows the contract of docs/lean.md: numbered data (`comp<i>`, `obj<i>`, `policy`,
`system`, `certificate`, `callerIndex`, `network`, `cuts`) and one theorem per property, each the library's
soundness theorem applied to its checker run by `decide +kernel`. A theorem is written only when
the Python analysis found the property to hold and the data passes the checker's condition as
`lean_check` evaluates it; otherwise a comment says why it is not claimed. Output is
deterministic: the same system gives the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import jinja2

from smosverify import __version__
from smosverify.analyses.check import check_system
from smosverify.analyses.result import Report, Status
from smosverify.emit import lean_check
from smosverify.emit.lean_data import (
    Terms,
    cap_order,
    closure_caps,
    comp_order,
    initial_cap_terms,
    kperm_order,
    lean_clients,
    lean_covers,
    lean_decisions,
    lean_policy,
    numbering,
    state_handles,
)
from smosverify.emit.lean_index import caller_index
from smosverify.emit.lean_flow import flow_certificate, lean_cuts, lean_network
from smosverify.emit.lean_text import LeanText
from smosverify.model.system import System


@dataclass(frozen=True)
class Part:
    """One conjunct of a property's checker, proved once as a theorem `part_<name>` of its own and
    cited by every property theorem that needs it (the kernel closure by five of them): by
    `decide +kernel`; or, with `per_object` (the check of one object, `…At`) and two objects or
    more, each object's check a theorem joined by `all_cons_of`; or, with `rules`, each rule's
    check a theorem joined by the lemma `joined_by`. A rule over the certificate's holder groups
    (`Chunked`) is checked in chunks of holders, each a theorem. With `via`, the objects' checks
    are joined and given to that lemma. The parts in `needs` are proved first, for `via` or
    `joined_by` to cite. The kernel keeps what it computes for a declaration until the declaration
    is checked, so smaller declarations need less memory."""

    name: str
    checker: str
    per_object: str = ""
    joined_by: str = ""
    rules: tuple[tuple[str, str | Chunked], ...] = ()
    via: str = ""  # with `per_object`: the lemma (and its first arguments) taking the objects' checks to the part
    needs: tuple[Part, ...] = ()  # parts proved first, which `via` or `joined_by` cites


@dataclass(frozen=True)
class Chunked:
    """A rule `function groups…` over the certificate's holder groups (one list, or caps' and
    handles' groups side by side), checked `chunk` holders at a time: the first chunk `function
    (groups.take chunk)…`, the rest `groups.drop chunk` in turn, joined by the lemma `joined_by`
    (`…_of_take_drop`)."""

    function: str
    groups: tuple[str, ...]
    joined_by: str

    def __str__(self) -> str:
        """The rule's checker over all the groups."""
        return " ".join((self.function, *self.groups))


KERNEL = Part("kernel", "checkKernelClosed system certificate", joined_by="checkKernelClosed_of_parts", rules=(
    ("init", "checkInit system certificate"), ("grant", "checkGrant certificate.capGroups"),
    ("reply", "checkReply certificate.capGroups"), ("cnode", "checkCNode certificate.capGroups"),
    ("derived", "checkDerived certificate.capGroups"), ("untyped", "checkUntyped system.covers certificate.caps")))
# every object server (or relied-on component) untampered in one pass over the caps, not one each
UNTAMPERED = Part("untampered", "system.objects.all (fun o => untamperedAt certificate o)", joined_by="untampered_of_all",
                  rules=(("all", "checkUntamperedAll certificate (system.objects.map SObj.server)"),))
# the caller index checked complete: the callers, noBorrow and opens parts read it instead of walking every cap per object
INDEX = Part("index", "checkIndex system certificate callerIndex", joined_by="checkIndex_of_parts", rules=(
    ("callers", Chunked("coversCallers callerIndex", ("certificate.capGroups",), "coversCallers_of_take_drop")),
    ("clients", "coversClients callerIndex system.clients"), ("declared", "declaredIn callerIndex certificate.declared"),
    ("objects", "objectsIn callerIndex system.objects"), ("decisions", "decisionsIn system callerIndex")))
CALLERS = Part("callers", "checkCallersDistinct system certificate", "callersByIndex system callerIndex",
               via="checkCallersDistinct_of_index part_index", needs=(INDEX,))
CONFORMS = Part("conforms", "checkConforms system certificate", joined_by="checkConforms_of_parts", rules=(
    ("caps", Chunked("conformsCaps system.policy", ("certificate.capGroups",), "conformsCaps_of_take_drop")),
    ("handles", Chunked("conformsHandles system.policy", ("certificate.handleGroups",), "conformsHandles_of_take_drop"))))
CHUNK_HOLDERS = 100  # holders per chunk of a `Chunked` rule (at 1,000 components about 3,000 handles)
NO_BORROW = Part("noBorrow", "checkNoBorrow system certificate", "noBorrowByIndex system callerIndex",
                 via="checkNoBorrow_of_index part_index", needs=(INDEX,))
CONNECTED = Part("connected", "checkServersConnected system", joined_by="connected_of_all",
                 rules=(("all", "checkServersConnectedAll system"),))
OPENS = Part("opens", "checkOpen system certificate", joined_by="checkOpen_of_index part_index", needs=(INDEX,),
             rules=(("all", Chunked("opensByIndex callerIndex", ("certificate.capGroups", "certificate.handleGroups"),
                                    "opensByIndex_of_take_drop")),))
RELIED = Part("relied", "checkRelied system certificate", joined_by="relied_of_all", rules=(
    ("all", "checkUntamperedAll certificate (system.comps.filter fun c => isPolicy c || trusts system.policy c.sid)"),))
FLOW = Part("flow", "checkFlowClosed system certificate")
# (id, theorem, statement, the library theorem assembling it and its first arguments, its parts
# in the order `SMOS/Thm/Parts.lean` takes them)
THEOREMS = (
    ("P1", "p1_complete_mediation", "CompleteMediation system", "complete_mediation_of_parts system certificate",
     (KERNEL, CONNECTED, UNTAMPERED, CALLERS)),
    ("P2", "p2_tamper_proof", "TamperProof system", "tamper_proof_of_parts system certificate",
     (KERNEL, RELIED)),
    ("P3", "p3_authority_conformance", "AuthorityConformance system", "authority_conformance_of_parts system certificate",
     (KERNEL, CONFORMS, NO_BORROW)),
    ("P4", "p4_policy_correct", "PolicyCorrect system", "policy_correct_of_parts system",
     (Part("decisions", "checkDecisions system"), Part("sane", "checkPolicySane system.policy"))),
    ("P5", "p5_flow_security", "FlowSecurity system", "flow_security_of_parts system certificate", (KERNEL, FLOW)),
    ("P6", "p6_leakage_bounded", "LeakageBounded system.policy network", "leakage_bounded_of_check system.policy network cuts",
     (Part("leakage", "checkLeakageBounded system.policy network cuts"),)),
    ("P7", "p7_dynamic_safety", "DynamicSafety system", "dynamic_safety_of_parts system certificate",
     (KERNEL, Part("spawn", "checkSpawn system certificate"), Part("connect", "checkConnect system certificate"),
      OPENS, Part("pass", "checkPass system certificate"), Part("declared", "checkDeclared system certificate"),
      UNTAMPERED, CALLERS, RELIED, CONFORMS, NO_BORROW, Part("flowPart", "checkFlowPart system certificate"))),
)
RESERVED = {"Type", "Prop", "Sort", "Example"}  # Lean's sorts, and the hand-written example instance


@dataclass(frozen=True)
class Claim:
    property: str
    theorem: str
    claimed: bool
    reason: str  # why not claimed (empty when claimed)
    parts: tuple[str, ...] = ()  # the part theorems its proof cites, directly or not: an error in one fails it


@dataclass(frozen=True)
class LeanModule:
    name: str  # the module, `Instances.<name>`
    path: str  # relative to the Lake project: `Instances/<name>.lean`
    text: str
    claims: tuple[Claim, ...]
    data: dict  # the Lean-shaped values the text was rendered from (tests read them)
    definitions: str  # the data part of the text (`comp<i>` ... `cuts`), without namespace or theorems
    printer: LeanText  # prints further terms over the same numbering (tests state checks on changed data)


def module_name(system_name: str) -> str:
    """UpperCamelCase from the name's ASCII letters and digits (`pink-file` → `PinkFile`)."""
    words = re.findall(r"[A-Za-z0-9]+", system_name)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or name[0].isdigit():
        name = "System" + name
    return name + "System" if name in RESERVED else name


def lean_module(system: System, report: Report | None = None, chunk: int = CHUNK_HOLDERS) -> LeanModule:
    """The instance module of `system`; `report` is `check_system(system)` when already known;
    `chunk` holders per chunk of a rule over the certificate's holder groups."""
    report = report or check_system(system)
    results = {r.id: r for r in report.results}
    final = results["P7"].certificate
    terms = Terms(final.system, numbering(system, final.summaries()))
    comps = sorted((terms.comp(c) for c in system.components), key=comp_order)
    summaries = [terms.comp(s) for s in final.summaries()]
    sys = {
        "policy": lean_policy(system, terms),
        "objects": [terms.obj(f"{o.server}.{o.name}") for o in system.objects()],
        "comps": comps,
        "caps": sorted(initial_cap_terms(system, terms), key=cap_order),
        "handles": [],
        "covers": lean_covers(system, terms),
        "clients": lean_clients(system, terms),
        "decisions": lean_decisions(system, terms),
    }
    dynamic = _certificate(sys, comps + summaries, closure_caps(final.system, final.closure, terms), state_handles(final, terms))
    kernel = _certificate(sys, comps, closure_caps(system, results["P3"].certificate, terms), [])
    intrinsic = _intrinsic(sys["policy"]["kernelAllow"], dynamic, kernel)
    sys["policy"]["kernelAllow"] = sys["policy"]["kernelAllow"] + intrinsic
    net, cuts = _leakage(results["P6"], terms)
    claims = {"P7": _claim("P7", results, sys, dynamic, net, cuts)}
    cert = dynamic if claims["P7"].claimed else kernel
    for pid, *_ in THEOREMS[:6]:
        claims[pid] = _claim(pid, results, sys, cert, net, cuts)
    data = {"system": sys, "certificate": cert, "index": caller_index(sys, cert), "network": net, "cuts": cuts,
            "intrinsic": len(intrinsic),
            "dynamicCertificate": None if claims["P7"].claimed else dynamic}
    name = module_name(system.name)
    printer = LeanText(terms)
    definitions = _template("definitions.lean.j2").render(lean=printer, data=data)
    objects = [printer.obj(o) for o in sys["objects"]]
    holders = len(LeanText.holders(cert))
    proofs = {pid: [d for part in parts for d in _declarations(part, objects, holders, chunk)] for pid, _, _, _, parts in THEOREMS}
    ordered = tuple(replace(claims[pid], parts=tuple(d[0] for d in proofs[pid])) if claims[pid].claimed else claims[pid]
                    for pid, *_ in THEOREMS)
    shared = list({d[0]: d for c in ordered if c.claimed for d in proofs[c.property]}.values())
    assert len({d[0] for d in shared}) == len(set(shared)), "two different parts of one name"
    text = _render(name, system, printer, definitions, ordered, shared)
    return LeanModule(name, f"Instances/{name}.lean", text, ordered, data, definitions, printer)


def write_lean_module(module: LeanModule, out_dir: str | Path) -> Path:
    path = Path(out_dir) / module.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(module.text.encode("utf-8"))
    return path


def _holder_order(cap: tuple) -> tuple:
    return comp_order(cap[0])


def _certificate(sys: dict, comps: list[tuple], caps: list[tuple], handles: list[tuple]) -> dict:
    """The certificate's lists. Its caps and handles are grouped by holder (Lean lists them as
    `capGroups` and `handleGroups`), holders in the components' order (`comp_order`). The caps are
    in one order (`cap_order`), as the system's are, so that `checkInit` finds the initial caps as
    one subsequence, and a holder's caps are a subsequence of another's whenever the other holds
    them all (`includedB`: the closure rules compare holders in one walk)."""
    cert = {"comps": sorted(comps, key=comp_order), "caps": sorted(caps, key=cap_order),
            "handles": sorted(handles, key=_holder_order)}
    return cert | flow_certificate(sys, cert)


def _intrinsic(kernel_allow: list[tuple], *certs: dict) -> list[tuple]:
    """`kernelAllow` entries for a component's authority over its own objects, which the policy
    language leaves implicit (P3 does not check it) but `CertConforms` checks like any cap."""
    own = {(c[0][1], c[0][1], c[1][2], right) for cert in certs for c in cert["caps"]
           if c[1][0] == "own" and c[1][1] == c[0] and not c[0][3] for right in c[2]}
    return sorted(own - set(kernel_allow), key=kperm_order)


def _leakage(p6, terms: Terms) -> tuple[dict, list]:
    if p6.status not in (Status.HOLDS, Status.VIOLATED):
        return {"arcs": [], "labels": [], "names": []}, []
    network = lean_network(p6.certificate[0].network.graph, terms)
    return network, lean_cuts(tuple(r for r in p6.certificate if r.holds), network, terms)


def _claim(pid: str, results: dict, sys: dict, cert: dict, net: dict, cuts: list) -> Claim:
    theorem = next(t for p, t, *_ in THEOREMS if p == pid)
    result = results[pid]
    if result.status in (Status.SKIPPED, Status.NOT_APPLICABLE):
        return Claim(pid, theorem, False, f"the analysis found it {result.status.value}: {_one_line(result.message)}")
    if result.status is not Status.HOLDS:
        return Claim(pid, theorem, False, f"the analysis found it {result.status.value} (smosverify check shows why)")
    found = lean_check.problems(pid, sys, cert, net, cuts)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return Claim(pid, theorem, False, "holds in the Python analysis, but the emitted data fails the Lean "
                     f"checker's condition (the Lean model differs, docs/lean.md): {_one_line(found[0])}{more}")
    return Claim(pid, theorem, True, "")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@cache
def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("smosverify.emit", "templates"), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    return env.get_template(name)


def _render(name: str, system: System, printer: LeanText, definitions: str, claims: tuple[Claim, ...],
            parts: list[tuple[str, str, str]]) -> str:
    return _template("instance.lean.j2").render(
        name=name, version=__version__, system_name=printer.comment(system.name), source=printer.comment(Path(system.file).name),
        names=printer.name_lines(), lean=printer, definitions=definitions, parts=parts,
        theorems=[(c, stmt, proof, [_part_name(p.name) for p in parts]) for c, (_, _, stmt, proof, parts) in zip(claims, THEOREMS)],
    )


def _rule(name: str, checker: str | Chunked, holders: int, chunk: int) -> list[tuple[str, str, str]]:
    """One rule's theorems: by `decide +kernel`, or chunk by chunk when it is `Chunked` and the
    groups are more than one chunk (chunk k is `chunk` holders of the groups after k `drop`s, the
    last the rest; each join `joined_by chunk first rest` proves the rule on one more chunk)."""
    if not isinstance(checker, Chunked) or holders <= chunk:
        return [(name, f"{checker} = true", "by decide +kernel")]
    chunked = checker
    count = -(-holders // chunk)
    rests = [chunked.groups]
    for _ in range(count - 1):
        rests.append(tuple(f"({rest}.drop {chunk})" for rest in rests[-1]))
    pieces = [(f"{name}_{k}", " ".join((chunked.function, *(f"({g}.take {chunk})" for g in rest))) + " = true")
              for k, rest in enumerate(rests[:-1])]
    pieces.append((f"{name}_{count - 1}", " ".join((chunked.function, *rests[-1])) + " = true"))
    proof = pieces[-1][0]
    for first, _ in reversed(pieces[:-1]):
        proof = f"{chunked.joined_by} {chunk} {first} {f'({proof})' if ' ' in proof else proof}"
    return [(n, stmt, "by decide +kernel") for n, stmt in pieces] + [(name, f"{checker} = true", proof)]


def _part_name(name: str) -> str:
    return f"part_{name}"


def _declarations(part: Part, objects: list[str], holders: int, chunk: int) -> list[tuple[str, str, str]]:
    """The theorems proving one part: (name, statement, proof), the part's own last (it cites the
    others). Per-object checks follow the order of `system.objects`; a `Chunked` rule over
    `holders` holder groups is checked `chunk` holders at a time."""
    whole = (_part_name(part.name), f"{part.checker} = true")
    if part.rules:
        needed = [d for need in part.needs for d in _declarations(need, objects, holders, chunk)]
        names = [_part_name(f"{part.name}_{rule[0]}") for rule in part.rules]
        rules = [d for n, (_, checker) in zip(names, part.rules) for d in _rule(n, checker, holders, chunk)]
        return needed + rules + [(*whole, " ".join([part.joined_by, *names]))]
    if part.per_object and (len(objects) > 1 or (part.via and objects)):
        names = [_part_name(f"{part.name}_{k}") for k in range(len(objects))]
        joined = "".join(f"all_cons_of {n} <| " for n in names) + "all_nil_of"
        checks = [(n, f"{part.per_object} {o} = true", "by decide +kernel") for n, o in zip(names, objects)]
        if not part.via:
            return checks + [(*whole, joined)]
        needed = [d for need in part.needs for d in _declarations(need, objects, holders, chunk)]
        return needed + checks + [(*whole, f"{part.via} ({joined})")]
    return [(*whole, "by decide +kernel")]
