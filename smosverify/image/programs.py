"""One small C program per component, generated from the model and the policy (docs/programs.md).

The policy server answers smos_auth from P4's decision table (`decision_table`), numbered as
the Lean instance numbers sids, classes and operations; every object server asks it before each
operation; every client runs a script: each operation of each object of every server it holds
a connection to, allowed and forbidden alike. Caps are named by the CNode slots `emit_capdl`
gives them, so the programs fit the emitted capDL spec. A component with nothing to run (a client
that can name no object) gets no program. One writer per artifact; templates in
extract/image/programs/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from smosverify.analyses.policy.sanity import decision_table
from smosverify.emit.capdl import cnode_caps
from smosverify.emit.lean_data import Numbering, numbering
from smosverify.errors import InputError
from smosverify.model.authority import Cap
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import Component, Role, System, Target

TEMPLATES = Path(__file__).resolve().parents[2] / "extract" / "image" / "programs"
HEADER, START = "smos.h", "smos_start.c"  # the wire format; where every program starts
SERVER_PRIORITY = 254  # the servers'; clients run below, one priority each
POLICY_SERVER, OBJECT_SERVER, CLIENT = "policy_server", "object_server", "client"  # the three programs


@dataclass(frozen=True)
class Step:
    """One call of a client's script."""

    slot: int
    server: str
    object: int
    object_name: str
    cls: str
    op: int
    op_name: str


@dataclass(frozen=True)
class Program:
    component: str
    kind: str  # POLICY_SERVER, OBJECT_SERVER or CLIENT
    text: str


def program_kind(system: System, component: str, slots: dict[str, tuple[Cap, ...]]) -> str:
    """A policy server or a server with objects that has an endpoint to serve runs that server's
    program; every other component runs a client's script (empty without a server to call)."""
    comp = system.components[component]
    if _slot(slots[component], Target(ObjectKind.ENDPOINT, component), Right.RECEIVE) is None:
        return CLIENT
    if comp.role is Role.POLICY:
        return POLICY_SERVER
    return OBJECT_SERVER if comp.objects else CLIENT


def generate_programs(system: System) -> tuple[Program, ...]:
    """The C program of every component that has something to run, in declaration order
    (deterministic text): every server, and every client with a non-empty script."""
    num = numbering(system, ())
    slots = cnode_caps(system)
    programs = []
    for number, comp in enumerate(system.components.values()):
        kind = program_kind(system, comp.name, slots)
        serve = _slot(slots[comp.name], Target(ObjectKind.ENDPOINT, comp.name), Right.RECEIVE)
        if kind == POLICY_SERVER:
            text = policy_server_c(system, comp, serve, num)
        elif kind == OBJECT_SERVER:
            text = object_server_c(system, comp, serve, slots, num)
        elif client_script(system, comp.name, slots[comp.name]):
            text = client_c(system, comp, number, slots)
        else:
            continue
        programs.append(Program(comp.name, kind, text))
    return tuple(programs)


def program_files(system: System) -> dict[str, str]:
    """The files of the programs by name: `smos.h` (the wire format), `smos_start.c` (where each
    program starts) and `<component>.c` each."""
    files = {name: (TEMPLATES / name).read_text() for name in (HEADER, START)}
    files.update((f"{program.component}.c", program.text) for program in generate_programs(system))
    return files


def priorities(system: System, programs: tuple[Program, ...]) -> dict[str, int]:
    """The priority each program runs at: the servers above every client, the clients one below
    the other in declaration order, so one client runs at a time (its calls go through servers
    that preempt every other client) and log lines never interleave; all below the capDL
    loader (255), which starts them and must finish first."""
    clients = [p.component for p in programs if p.kind == CLIENT]
    if len(clients) > SERVER_PRIORITY - 1:
        raise InputError(f"{len(clients)} clients run programs; at most {SERVER_PRIORITY - 1} have a priority of their "
                         "own", system.components[clients[0]].span)
    ranks = {name: SERVER_PRIORITY - 1 - i for i, name in enumerate(clients)}
    return {p.component: ranks.get(p.component, SERVER_PRIORITY) for p in programs}


def policy_server_c(system: System, comp: Component, serve: int, num: Numbering) -> str:
    sid = {name: i for i, name in enumerate(num.names["sid"])}
    cls = {name: i for i, name in enumerate(num.names["class"])}
    table = [{"subject": sid[s], "object": sid[o], "cls": cls[c], "op": num.ops[c].index(op),
              "decision": "SMOS_PERMIT" if allowed else "SMOS_DENY", "comment": f"{s} {o} : {c} {op}"}
             for (s, o, c, op), allowed in decision_table(system).items()]
    askers = sorted((conn.badge, conn.client) for conn in system.connections if conn.server == comp.name)
    return _render("policy_server.c.j2", system, comp, serve_slot=serve, sids=num.names["sid"], table=table,
                   classes=[{"name": c, "ops": num.ops[c]} for c in num.names["class"]], askers=askers)


def object_server_c(system: System, comp: Component, serve: int, slots: dict[str, tuple[Cap, ...]],
                    num: Numbering) -> str:
    policy = next(((i, cap.target.name) for i, cap in enumerate(slots[comp.name], start=1)
                   if cap.target.kind is ObjectKind.ENDPOINT and Right.SEND in cap.rights
                   and system.components[cap.target.name].role is Role.POLICY), None)
    if policy is None:
        raise InputError(f"{comp.name} implements objects but holds no connection to a policy server: its "
                         "generated stub could not ask before an operation (P1 server-not-mediated)", comp.span)
    sid = {name: i for i, name in enumerate(num.names["sid"])}
    objects = [{"sid": sid[o.sid], "cls": num.names["class"].index(o.cls), "ops": len(num.ops[o.cls]),
                "comment": f"{o.name}: {o.cls}, {o.sid}"} for o in comp.objects]
    return _render("object_server.c.j2", system, comp, serve_slot=serve, policy_slot=policy[0], policy=policy[1],
                   objects=objects, callers=_callers(system, comp, sid),
                   most_ops=max(len(num.ops[o.cls]) for o in comp.objects))


def client_c(system: System, comp: Component, number: int, slots: dict[str, tuple[Cap, ...]]) -> str:
    script = client_script(system, comp.name, slots[comp.name])
    servers = sorted({step.server for step in script})
    note = (f"every operation of every object of {', '.join(servers)}" if servers
            else "empty: it holds no connection to a server with objects")
    return _render("client.c.j2", system, comp, number=number, script=script, script_note=note)


def client_script(system: System, client: str, caps: tuple[Cap, ...]) -> tuple[Step, ...]:
    """Every (object, operation) the client can name: those of each server with objects it holds a
    cap with `send` to, in slot order, each object's operations in their class's order."""
    classes = system.policy.classes
    steps = []
    for slot, cap in enumerate(caps, start=1):
        if cap.target.kind is not ObjectKind.ENDPOINT or Right.SEND not in cap.rights:
            continue
        server = system.components[cap.target.name]
        if server.role is Role.POLICY or server.name == client:
            continue
        for index, obj in enumerate(server.objects):
            steps += [Step(slot, server.name, index, obj.name, obj.cls, op_index, op)
                      for op_index, op in enumerate(classes[obj.cls].operations)]
    return tuple(steps)


def _callers(system: System, server: Component, sid: dict[str, int]) -> list[tuple[int, int, str]]:
    """(badge, sid number, comment) of each badge of the server's declared connections. A badge two
    clients of different sids share would make the server ask about the wrong one: an error."""
    seen: dict[int, tuple[str, str]] = {}
    for conn in system.connections:
        if conn.server != server.name:
            continue
        client_sid = system.components[conn.client].sid
        first = seen.setdefault(conn.badge, (conn.client, client_sid))
        if first[1] != client_sid:
            raise InputError(f"{first[0]} ({first[1]}) and {conn.client} ({client_sid}) call {server.name} with badge "
                             f"{conn.badge}: its generated stub could not tell whose request to ask about "
                             "(give them distinct badges)", conn.span)
    return [(badge, sid[s], f"{who}, {s}") for badge, (who, s) in sorted(seen.items())]


def _slot(caps: tuple[Cap, ...], target: Target, right: Right) -> int | None:
    return next((i for i, cap in enumerate(caps, start=1) if cap.target == target and right in cap.rights), None)


def _render(template: str, system: System, comp: Component, **values) -> str:
    return _environment().get_template(template).render(system=system.name, name=comp.name, sid=comp.sid, **values)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False)
    # Names come from the user's files: a C string literal escapes them (JSON's escapes are C's
    # too), and a comment must not end early.
    env.filters["cstr"] = lambda text: json.dumps(str(text))
    env.filters["comment"] = lambda text: str(text).replace("*/", "* /")
    return env
