"""What the generated SMOS programs did at run time, read from a boot log and checked (docs/programs.md).

The programs print three kinds of line (`smos auth`, `smos call`, `smos done`). The policy
server's lines are its decisions; a client's lines say what it asked, what it was told and what
happened. Three checks, each naming the client, the operation and the policy rule:
- BEHAVIOUR-DECISIONS: every decision made is the policy's (`Policy.allows`, P4's table);
- BEHAVIOUR-MEDIATION: every call was decided by the policy server, about the calling client;
- BEHAVIOUR-OUTCOMES: a forbidden operation never succeeds, an allowed one on an object the
  model lets the client reach does, every client ran its whole script, no call used a cap the
  model does not give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smosverify.analyses.result import Evidence, PropertyResult, Report, Status
from smosverify.emit.capdl import cnode_caps
from smosverify.errors import InputError, Span, quote
from smosverify.image.programs import CLIENT, Step, client_script, program_kind
from smosverify.image.readback import Line, clean_lines
from smosverify.model.policy import RuleKind
from smosverify.model.system import System

PREFIX = "smos "
UNKNOWN = "?"  # what the programs print for a badge or number they cannot name
FIELDS = {
    "auth": ("server", "subject", "object", "class", "op", "tag", "decision"),
    "call": ("client", "server", "object", "class", "op", "tag", "decision", "outcome"),
    "done": ("client", "calls"),
}
DONE_LINE = PREFIX + "done client="  # how a client's last line starts: `image boot` waits for each
DECISIONS = {"permit": True, "deny": False}
OUTCOMES = ("ok", "denied", "error")
_TAG = re.compile(r"\d+\.\d+")
_SHOWN = 5  # missing calls named in one finding


@dataclass(frozen=True)
class AuthLine:
    """The policy server decided `decision` on (subject, object sid, class, op) for `server`."""

    server: str
    subject: str
    object_sid: str
    cls: str
    op: str
    tag: str
    decision: bool
    span: Span


@dataclass(frozen=True)
class CallLine:
    """A client called `server` for `op` on `object` and was told `decision` and `outcome`."""

    client: str
    server: str
    object: str
    cls: str
    op: str
    tag: str
    decision: bool
    outcome: str
    span: Span


@dataclass(frozen=True)
class DoneLine:
    client: str
    calls: int
    span: Span


@dataclass(frozen=True)
class BehaviourLog:
    path: str
    auths: tuple[AuthLine, ...]
    calls: tuple[CallLine, ...]
    dones: tuple[DoneLine, ...]


def read_behaviour_log(path: str | Path) -> BehaviourLog:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise InputError(f"cannot read the boot log: {err.strerror}", Span(str(path), 1, 1)) from None
    return parse_behaviour_log(text, str(path))


def parse_behaviour_log(text: str, name: str = "<boot log>") -> BehaviourLog:
    """The `smos` lines of a boot log; anything else in the log is the kernel's or the loader's."""
    auths, calls, dones = [], [], []
    for line in clean_lines(text):
        if not line.text.startswith(PREFIX):
            continue
        kind, values = _fields(line, name)
        span = Span(name, line.number, 1)
        if kind == "auth":
            auths.append(AuthLine(values["server"], values["subject"], values["object"], values["class"], values["op"],
                                  values["tag"], DECISIONS[values["decision"]], span))
        elif kind == "call":
            calls.append(CallLine(values["client"], values["server"], values["object"], values["class"], values["op"],
                                  values["tag"], DECISIONS[values["decision"]], values["outcome"], span))
        else:
            dones.append(DoneLine(values["client"], int(values["calls"]), span))
    if not (auths or calls or dones):
        raise InputError("no `smos` lines: the log is not of an image built with `image build --programs`",
                         Span(name, 1, 1))
    return BehaviourLog(name, tuple(auths), tuple(calls), tuple(dones))


def _fields(line: Line, name: str) -> tuple[str, dict[str, str]]:
    words = [(m.group(), m.start() + 1) for m in re.finditer(r"\S+", line.text)]
    kind, kind_col = words[1] if len(words) > 1 else ("", len(line.text) + 1)
    if kind not in FIELDS:
        raise InputError(f"expected `smos auth`, `smos call` or `smos done`, found {quote(kind)}",
                         Span(name, line.number, kind_col))
    values: dict[str, str] = {}
    for word, col in words[2:]:
        key, eq, value = word.partition("=")
        if not eq or key not in FIELDS[kind] or key in values or not value:
            raise InputError(f"expected one of {', '.join(k + '=' for k in FIELDS[kind] if k not in values)} "
                             f"in a `smos {kind}` line, found {quote(word)}", Span(name, line.number, col))
        problem = _bad_value(key, value)
        if problem:
            raise InputError(f"expected {problem} after {key}=, found {quote(value)}",
                             Span(name, line.number, col + len(key) + 1))
        values[key] = value
    missing = [k for k in FIELDS[kind] if k not in values]
    if missing:
        raise InputError(f"a `smos {kind}` line needs {', '.join(k + '=' for k in missing)}",
                         Span(name, line.number, len(line.text) + 1))
    return kind, values


def _bad_value(key: str, value: str) -> str | None:
    if key == "decision" and value not in DECISIONS:
        return "permit or deny"
    if key == "outcome" and value not in OUTCOMES:
        return " or ".join(OUTCOMES)
    if key == "tag" and not _TAG.fullmatch(value):
        return "CLIENT.SEQUENCE (two numbers)"
    if key == "calls" and not value.isdigit():
        return "a number"
    return None


def conform_behaviour(system: System, log: BehaviourLog) -> Report:
    """The three BEHAVIOUR-* results of a boot log of the system's generated programs."""
    check = _Check(system, log)
    return Report(system.name, (system.file, log.path), (check.decisions(), check.mediation(), check.outcomes()))


class _Check:
    def __init__(self, system: System, log: BehaviourLog):
        self.system, self.log, self.policy = system, log, system.policy
        slots = cnode_caps(system)
        self.scripts: dict[str, tuple[Step, ...]] = {c: client_script(system, c, slots[c]) for c in system.components
                                                     if program_kind(system, c, slots) == CLIENT}
        for call in log.calls:
            self._known(call)
            if call.client not in self.scripts:
                raise InputError(f"{call.client} runs no client program in {system.name}", call.span)
        for done in log.dones:
            self._component(done.client, done.span)
        for auth in log.auths:
            for sid in (auth.subject, auth.object_sid):
                if sid != UNKNOWN and sid not in self.policy.sids:
                    raise InputError(f"the log names a sid {quote(sid)} the policy of {system.name} does not declare",
                                     auth.span)
        # Lines of one call share (server, tag); indexed so a long log is read in linear time.
        self.asked: dict[tuple[str, str], AuthLine] = {(a.server, a.tag): a for a in log.auths}
        self.answered: dict[tuple[str, str], CallLine] = {(c.server, c.tag): c for c in log.calls}
        self.scripted = {(client, s.server, s.object_name, s.op_name) for client, script in self.scripts.items()
                         for s in script}

    def _component(self, name: str, span: Span):
        if name not in self.system.components:
            raise InputError(f"the log names a component {quote(name)} that {self.system.name} does not have "
                             "(a log of another system?)", span)
        return self.system.components[name]

    def _known(self, call: CallLine) -> None:
        self._component(call.client, call.span)
        server = self._component(call.server, call.span)
        obj = next((o for o in server.objects if o.name == call.object), None)
        if obj is None or obj.cls != call.cls or call.op not in self.policy.classes[obj.cls].operations:
            raise InputError(f"{call.server} has no {call.cls} object {quote(call.object)} with an operation "
                             f"{quote(call.op)} in {self.system.name} (a log of another system?)", call.span)

    def _sid(self, call: CallLine) -> str:
        return self.system.components[call.client].sid

    def _object_sid(self, call: CallLine) -> str:
        return next(o.sid for o in self.system.components[call.server].objects if o.name == call.object)

    def _rule(self, subject: str, obj: str, cls: str, op: str) -> tuple[str, tuple[Span, ...]]:
        """What the policy says about a request, with the rule that says it."""
        allow = self.policy.matching(RuleKind.ALLOW, subject, obj, cls, op)
        deny = self.policy.matching(RuleKind.DENY, subject, obj, cls, op)
        if allow is None:
            return "denies it: no allow rule covers it", ()
        if deny is not None:
            return f"denies it: `{deny.text}` overrides `{allow.text}`", (deny.span, allow.span)
        return f"permits it by `{allow.text}`", (allow.span,)

    def _auth_differs(self, auth: AuthLine) -> bool:
        if UNKNOWN in (auth.subject, auth.object_sid):
            return auth.decision
        return auth.decision != self.policy.allows(auth.subject, auth.object_sid, auth.cls, auth.op)

    def decisions(self) -> PropertyResult:
        found = []
        for auth in self.log.auths:
            if not self._auth_differs(auth):
                continue
            call = self.answered.get((auth.server, auth.tag))
            who = f"{call.client}'s {call.op} of {call.object} at {call.server}" if call else f"a call of {auth.server}"
            request = f"{auth.subject} {auth.object_sid} : {auth.cls} {auth.op}"
            said, spans = (("denies requests it cannot name", ()) if UNKNOWN in (auth.subject, auth.object_sid)
                           else self._rule(auth.subject, auth.object_sid, auth.cls, auth.op))
            found.append(Evidence("decision-differs", f"{who}: the policy server decided {_word(auth.decision)} for "
                                  f"{request}; the policy {said}", (auth.span,) + spans,
                                  {"client": call.client if call else None, "request": request,
                                   "decided": _word(auth.decision)}))
        for call in self.log.calls:
            expected = self.policy.allows(self._sid(call), self._object_sid(call), call.cls, call.op)
            auth = self.asked.get((call.server, call.tag))
            if call.decision == expected or (auth is not None and self._auth_differs(auth)):
                continue
            said, spans = self._rule(self._sid(call), self._object_sid(call), call.cls, call.op)
            found.append(Evidence("decision-differs", f"{call.client} ({self._sid(call)}) was told {_word(call.decision)} "
                                  f"for {call.op} of {call.object} at {call.server}; the policy {said}",
                                  (call.span,) + spans, _call_data(call)))
        decided = len(self.log.auths) + len(self.log.calls)
        return _result("BEHAVIOUR-DECISIONS", "The running system decides as the policy does", found,
                       f"{len(self.log.auths)} decision(s) of the policy server and {len(self.log.calls)} told to "
                       f"clients, all the policy's" if decided else "no decisions in the log")

    def mediation(self) -> PropertyResult:
        found = []
        for call in self.log.calls:
            auth = self.asked.get((call.server, call.tag))
            what = f"{call.client}'s {call.op} of {call.object}"
            if auth is None:
                found.append(Evidence("not-asked", f"{call.server} answered {what} ({call.outcome}) without asking "
                                      "the policy server", (call.span,), _call_data(call)))
                continue
            if auth.subject != self._sid(call):
                found.append(Evidence("wrong-subject", f"{call.server} asked about {auth.subject} for {what}, but "
                                      f"{call.client} is {self._sid(call)}: the badge {call.client} called with names "
                                      "another client", (call.span, auth.span), _call_data(call)))
            elif (auth.object_sid, auth.cls, auth.op) != (self._object_sid(call), call.cls, call.op):
                found.append(Evidence("wrong-request", f"{call.server} asked about {auth.object_sid} : {auth.cls} "
                                      f"{auth.op} for {what}", (call.span, auth.span), _call_data(call)))
            if auth.decision != call.decision:
                found.append(Evidence("decision-changed", f"{call.server} told {call.client} {_word(call.decision)} "
                                      f"for {call.op} of {call.object}; the policy server decided "
                                      f"{_word(auth.decision)}", (call.span, auth.span), _call_data(call)))
        return _result("BEHAVIOUR-MEDIATION", "Every operation is decided by the policy server, about its caller",
                       found, f"all {len(self.log.calls)} call(s) were decided by the policy server about their caller")

    def outcomes(self) -> PropertyResult:
        found = []
        for call in self.log.calls:
            scripted = (call.client, call.server, call.object, call.op) in self.scripted
            allowed = self.policy.allows(self._sid(call), self._object_sid(call), call.cls, call.op)
            said, spans = self._rule(self._sid(call), self._object_sid(call), call.cls, call.op)
            what = f"{call.client}'s {call.op} of {call.object} at {call.server}"
            if not scripted:
                found.append(Evidence("call-outside-model", f"{call.client} called {call.server}, which the model "
                                      f"gives it no connection to: it holds a cap outside the model",
                                      (call.span, self.system.components[call.client].span), _call_data(call)))
            if call.outcome == "ok" and not allowed:
                found.append(Evidence("forbidden-succeeded", f"{what} succeeded; the policy {said}",
                                      (call.span,) + spans, _call_data(call)))
            elif scripted and allowed and call.outcome != "ok":
                found.append(Evidence("allowed-failed", f"{what} ended {call.outcome}; the policy {said}",
                                      (call.span,) + spans, _call_data(call)))
        found += self._unfinished()
        return _result("BEHAVIOUR-OUTCOMES", "Outcomes are those the policy and the model give", found,
                       f"{len(self.log.calls)} call(s) of {len(self.log.dones)} finished client script(s) ended as "
                       "the policy and the model say")

    def _unfinished(self) -> list[Evidence]:
        found = []
        for client, script in self.scripts.items():
            comp = self.system.components[client]
            if not script:
                continue
            made = {(c.server, c.object, c.op) for c in self.log.calls if c.client == client}
            missing = [s for s in script if (s.server, s.object_name, s.op_name) not in made]
            done = any(d.client == client for d in self.log.dones)
            if missing or not done:
                shown = "; ".join(f"{s.op_name} of {s.object_name} at {s.server}" for s in missing[:_SHOWN])
                more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
                lack = f"{len(missing)} of its {len(script)} call(s) are missing from the log ({shown}{more})" \
                    if missing else "it never said it was done"
                found.append(Evidence("script-unfinished", f"{client} did not run its whole script: {lack}",
                                      (comp.span,), {"client": client, "missing": len(missing)}))
        return found


def _call_data(call: CallLine) -> dict:
    return {"client": call.client, "server": call.server, "object": call.object, "class": call.cls, "op": call.op,
            "decision": _word(call.decision), "outcome": call.outcome}


def _word(decision: bool) -> str:
    return "permit" if decision else "deny"


def _result(rid: str, name: str, found: list[Evidence], holds: str) -> PropertyResult:
    if found:
        return PropertyResult(rid, name, Status.VIOLATED, f"{len(found)} finding(s)", tuple(found))
    return PropertyResult(rid, name, Status.HOLDS, holds)
