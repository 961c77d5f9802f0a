"""Traces for P7 violations: the dynamic steps that reach a violation, as few as we can find.

The BFS levels of `dynamic.explore` give the first level at which a violation appears, so its
steps reach it in as few rounds as possible. Delta debugging then drops steps while the replayed
state still shows it; the result is 1-minimal (no single step can be dropped) — not necessarily
the globally shortest trace, which would need a search over subsets. Every trace is confirmed
by replaying it from the initial state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from smosverify.analyses.dynamic.state import DynamicState, Step, allowed_ops, build_state, is_enabled
from smosverify.analyses.result import Evidence
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.policy import RuleKind
from smosverify.model.system import System, Target

Findings = Callable[[DynamicState], dict]


def traced(levels: list[DynamicState], key, pid: str, findings_of: Findings,
           explain: Callable[[DynamicState, Evidence], Evidence]) -> Evidence:
    """The violation `key`, with a minimal trace from the first level at which it appears;
    `explain` adds the evidence's chain in the state the trace reaches."""
    level = next(i for i, s in enumerate(levels) if key in findings_of(s))
    if level == 0:  # no dynamic step needed: the initial state shows it
        steps, state = (), levels[0]
    else:
        holds = lambda s: key in findings_of(s)  # noqa: E731
        candidate = levels[level].steps
        named = _named(findings_of(levels[level])[key][1])
        for focused in (_focus(candidate, named, by_them=True), _focus(candidate, named)):
            if len(focused) < len(candidate) and holds(replay(levels[0].base, focused, levels[0])):
                candidate = focused
                break
        steps, state = minimal_trace(levels[0].base, candidate, holds, levels[0])
    ev = explain(state, findings_of(state)[key][1])
    where = f"after {len(steps)} dynamic step(s)" if steps else "in the initial state (through opens and cap transfers)"
    return Evidence(
        ev.kind, f"{pid} fails {where}: {ev.message}",
        tuple(dict.fromkeys(ev.spans + tuple(s.span for s in steps))),
        {**ev.data, "property": pid, "steps": [s.to_json() for s in steps],
         "chain": _story(steps, list(ev.data.get("chain", ())))},
    )


def _named(ev: Evidence) -> set[str]:
    """The components a finding is about (holder, owner of the target or object, flow ends)."""
    names = {str(ev.data.get(k)) for k in ("holder", "source", "sink") if ev.data.get(k)}
    for k in ("target", "object"):
        if ev.data.get(k):
            names.add(str(ev.data[k]).rsplit(".", 1)[0])
    return names


def _focus(steps: tuple[Step, ...], names: set[str], by_them: bool = False) -> tuple[Step, ...]:
    """The steps that touch `names` (`by_them`: that they take), with the spawns that create the
    components they involve: much smaller sets to try first (delta debugging then starts from the
    first that still reaches the violation; otherwise from all the steps of the level). A step
    taken by a named component is often enough, where thousands of others touch it."""
    kept = [s for s in steps if s.actor in names or (not by_them and s.other in names)]
    needed = {s.actor for s in kept} | {s.other for s in kept}
    spawns = {s.other: s for s in steps if s.kind == "spawn"}
    todo = [n for n in needed if n in spawns]
    while todo:
        parent = spawns[todo.pop()].actor
        if parent in spawns and parent not in needed:
            needed.add(parent)
            todo.append(parent)
    chosen = set(kept) | {spawns[n] for n in needed if n in spawns}
    return tuple(s for s in steps if s in chosen)


def _story(steps: tuple[Step, ...], chain: list[str]) -> list[str]:
    """The trace as one numbered story: steps the finding's own chain does not already tell
    (spawns, connects), then that chain, which puts opens, passes and transfers in causal order."""
    told = set(chain)
    return [d for d in (s.describe() for s in steps) if d not in told] + chain


def replay(base: System, candidate: tuple[Step, ...], start: DynamicState | None = None) -> DynamicState:
    """The state reached by taking, in rounds, every candidate step that is enabled: steps whose
    premises are missing (a parent never spawned, a handle never held) are dropped. `start` is
    the initial state when the caller has it."""
    state = start or build_state(base, ())
    remaining = list(candidate)
    while True:
        ready = {s for s in remaining if is_enabled(state, s)}
        if not ready:
            return state
        remaining = [s for s in remaining if s not in ready]
        chosen = set(state.steps) | ready
        state = build_state(base, tuple(s for s in candidate if s in chosen), state)


def minimal_trace(base: System, steps: tuple[Step, ...], holds: Callable[[DynamicState], bool],
                  start: DynamicState | None = None) -> tuple[tuple[Step, ...], DynamicState]:
    """Delta debugging: drop chunks of steps (halves, then quarters, ... single steps) while the
    replayed state still shows the violation (replays begin at `start`, the initial state)."""
    state = replay(base, steps, start)
    if not holds(state):
        raise AssertionError("a violation found at a BFS level must be reached by that level's steps")
    current = state.steps
    parts = 2
    while current:
        size = -(-len(current) // parts)
        for begin in range(0, len(current), size):
            trial = replay(base, current[:begin] + current[begin + size:], start)
            if holds(trial):
                current, state = trial.steps, trial
                parts = max(parts - 1, 2)
                break
        else:
            if size == 1:
                break
            parts = min(len(current), parts * 2)
    return current, state


class HandlePaths:
    """The shortest way each component comes to perform an operation on an object: an open by
    someone who can call the server and whose sid the policy permits, then cap transfers and
    passes. One breadth-first search per (object, operation), shared by every holder."""

    def __init__(self, state: DynamicState):
        self.state = state
        self.edges: dict[str, list[tuple[str, object]]] = {}
        for tr in state.closure.transfers:
            self.edges.setdefault(tr.source, []).append((tr.sink, tr))
        self.searched: dict[tuple[str, str], dict[str, object]] = {}

    def path(self, holder: str, obj_key: str, op: str) -> list[str]:
        if (obj_key, op) not in self.searched:
            self.searched[obj_key, op] = self._search(obj_key, op)
        parent = self.searched[obj_key, op]
        hops = []
        at = holder
        while not isinstance(parent[at], str):
            how = parent[at]
            hops.append(how.describe())
            at = how.actor if isinstance(how, Step) else how.source
        obj, policy = self.state.objects[obj_key], self.state.base.policy
        sid = parent[at]  # the sid it opens as: its own, or one its badge lets it act as
        rule = policy.matching(RuleKind.ALLOW, sid, obj.sid, obj.cls, op)
        hops.append(f"{at} can call {obj.server} and opens {obj_key}: smos_auth permits {op} for {sid} by `{rule.text}` ({rule.span})")
        if sid != self.state.system.components[at].sid:  # how it came to call with that sid's badge
            hops.extend(reversed(self.state.closure.explain(at, Target(ObjectKind.ENDPOINT, obj.server), Right.SEND)))
        return hops[::-1]

    def _search(self, obj_key: str, op: str) -> dict[str, object]:
        """Parent of each component on a shortest way to the operation; a root maps to the sid it opens as."""
        state = self.state
        obj = state.objects[obj_key]
        endpoint = Target(ObjectKind.ENDPOINT, obj.server)
        parent: dict[str, object] = {}
        queue: deque[str] = deque()
        permitted: dict[str, bool] = {}
        callers = state.closure.acting_sids.get(obj.server, {})
        for name, sids in callers.items():  # own sid, and any its badges let it act as
            for sid in sids:
                if sid not in permitted:
                    permitted[sid] = op in allowed_ops(state.base.policy, sid, obj)
            own = state.system.components[name].sid
            usable = sorted(sid for sid in sids if permitted[sid])
            if usable:
                parent[name] = own if own in usable else usable[0]  # a root: the sid it opens as
                queue.append(name)
        passes = [(s.actor, s.other, s) for s in state.steps if s.kind == "pass" and s.obj == obj_key]
        edges = {**self.edges}
        for actor, other, step in passes:
            edges[actor] = edges.get(actor, []) + [(other, step)]
        while queue:
            here = queue.popleft()
            for sink, how in edges.get(here, ()):
                if sink not in parent:
                    parent[sink] = how
                    queue.append(sink)
        return parent
