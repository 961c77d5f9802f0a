"""The policy language: parse `.pol` files (following imports) and resolve them into a Policy.

Loading runs in two passes so that, as in SELinux, a name may be used before the statement
that declares it: first every file is parsed and every declaration collected, then every rule
is resolved against the declarations and its sets expanded.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from smosverify.errors import InputError, Span, quote
from smosverify.load.source import read_source
from smosverify.model.kernel import KERNEL_CLASSES
from smosverify.model.policy import (
    AccessRule,
    Attribute,
    Budget,
    CapacityDefault,
    ClassDecl,
    ConnectRule,
    FlowRule,
    LabelBinding,
    OperationFlow,
    OrderEdge,
    PassRule,
    Policy,
    RuleKind,
    SidDecl,
    SpawnRule,
    TrustRule,
)
from smosverify.model.system import Role

CHANNEL_KINDS = ("endpoint", "memory", "notification", "object", "decision")
MAX_NUMBER = 2**64 - 1  # budgets and capacities fit a 64-bit word, as every number in capDL does
MAX_ATTRIBUTE_NESTING = 64  # attributes defined through attributes; resolution recurses per level


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("policy.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_policy_text(text: str, file: str) -> Tree:
    """The syntax tree of one policy file, or an InputError at the first syntax error."""
    try:
        return _parser().parse(text)
    except UnexpectedInput as err:
        raise InputError(_syntax_message(err), _error_span(err, file)) from None


def _error_span(err: UnexpectedInput, file: str) -> Span:
    token = getattr(err, "token", None)
    if token is not None and token.type == "$END" and token.end_line is not None:
        return Span(file, token.end_line, token.end_column)  # just after the last token, not on it
    return Span(file, err.line, err.column)


def _syntax_message(err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedEOF):
        return f"unexpected end of file, expected {_expected(err.expected)}"
    if isinstance(err, UnexpectedCharacters):
        return f"unexpected character {quote(err.char)}, expected {_expected(err.allowed)}"
    assert isinstance(err, UnexpectedToken)
    what = "end of file" if err.token.type == "$END" else quote(err.token.value)
    return f"unexpected {what}, expected {_expected(err.accepts or err.expected)}"


def _expected(names) -> str:
    parser = _parser()
    shown = []
    for name in sorted(names):
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            shown.append(name)
            continue
        shown.append(repr(pattern.value) if pattern.type == "str" else name.lower())
    return "one of " + ", ".join(shown) if len(shown) > 1 else (shown[0] if shown else "nothing")


def _number(tok: Token, f: str) -> int:
    digits = tok.value.lstrip("0")
    # Python refuses to convert thousands of digits: the length is checked before the value.
    if len(digits) > len(str(MAX_NUMBER)) or int(tok.value) > MAX_NUMBER:
        raise InputError(f"number {quote(tok.value)} does not fit in 64 bits (at most {MAX_NUMBER})", _span(f, tok))
    return int(tok.value)


def _span(file: str, node: Tree | Token) -> Span:
    if isinstance(node, Token):
        return Span(file, node.line, node.column, node.end_line, node.end_column)
    m = node.meta
    return Span(file, m.line, m.column, m.end_line, m.end_column)


class _Statement:
    """A statement with the file it came from."""

    __slots__ = ("tree", "file", "text")

    def __init__(self, tree: Tree, file: str, text: str):
        self.tree = tree
        self.file = file
        self.text = " ".join(text.split())  # as written, on one line


def _collect(paths: list[tuple[Path, Span | None]]) -> tuple[list[str], list[_Statement]]:
    """Every statement of every file reachable by import, each file once, in load order.

    A file is known by its identity (device, inode), not its name: a symlink or another spelling
    of a path neither loads a file twice nor hides a cycle, and a symlink loop is a read error."""
    files: list[str] = []
    statements: list[_Statement] = []
    loaded: set[tuple[int, int]] = set()

    def visit(path: Path, referenced_at: Span | None, chain: tuple[tuple[tuple[int, int], Path], ...]) -> None:
        source = read_source(path, referenced_at)
        identities = [identity for identity, _ in chain]
        if source.identity in identities:
            names = [str(name) for _, name in chain[identities.index(source.identity):]] + [str(path)]
            raise InputError(f"import cycle: {' -> '.join(names)}", referenced_at)
        if source.identity in loaded:
            return
        tree = parse_policy_text(source.text, str(path))
        loaded.add(source.identity)
        files.append(str(path))
        for stmt in tree.children:
            if stmt.data == "import_stmt":
                token = stmt.children[0]
                target = Path(os.path.normpath(path.parent / token.value[1:-1]))
                visit(target, _span(str(path), token), chain + ((source.identity, path),))
            else:
                statements.append(_Statement(stmt, str(path), source.text[stmt.meta.start_pos : stmt.meta.end_pos]))

    for path, referenced_at in paths:
        visit(path, referenced_at, ())
    return files, statements


def load_policy(paths: list[tuple[Path, Span | None]]) -> Policy:
    """Load the policy made of these files (each with where it was named, for errors)."""
    files, statements = _collect(paths)
    policy = _Resolver(statements).policy(tuple(files))
    return replace(policy, roots=tuple(str(path) for path, _ in paths))


class _Resolver:
    """Turns collected statements into a Policy; every name is checked against its declaration."""

    def __init__(self, statements: list[_Statement]):
        self.statements = statements
        self.sids: dict[str, SidDecl] = {}
        self.attribute_trees: dict[str, tuple[Tree, str, Span]] = {}
        self.attributes: dict[str, Attribute] = {}
        self.classes: dict[str, ClassDecl] = {
            name: ClassDecl(name, tuple(r.value for r in ops), None, builtin=True)
            for name, ops in KERNEL_CLASSES.items()
        }
        self.labels: dict[str, Span] = {}
        self.order: list[OrderEdge] = []
        self._declare()

    # -- pass 1: declarations -------------------------------------------------------------
    def _declare(self) -> None:
        for st in self.statements:
            t, f = st.tree, st.file
            if t.data == "sid_stmt":
                for tok in t.children:
                    self._unique(tok.value, _span(f, tok), "sid")
                    self.sids[tok.value] = SidDecl(tok.value, _span(f, tok))
            elif t.data == "attribute_stmt":
                name = t.children[0]
                self._unique(name.value, _span(f, name), "attribute")
                self.attribute_trees[name.value] = (t.children[1], f, _span(f, name))
            elif t.data == "class_stmt":
                self._declare_class(t, f)
            elif t.data == "lattice_stmt":
                self._declare_lattice(t, f)
        for name in self.attribute_trees:
            self._attribute(name, ())
        self._check_order_acyclic()

    def _check_order_acyclic(self) -> None:
        """A lattice is a partial order: `a < b` and `b < a` (directly or by a chain) is an error."""
        above: dict[str, list[OrderEdge]] = {}
        for edge in self.order:
            above.setdefault(edge.lower, []).append(edge)
        done: set[str] = set()
        for start in self.labels:
            if start in done:
                continue
            path: list[str] = [start]
            on_path = {start}
            stack = [iter(above.get(start, ()))]
            while stack:
                edge = next(stack[-1], None)
                if edge is None:
                    stack.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    continue
                if edge.higher in on_path:
                    cycle = " < ".join(path[path.index(edge.higher):] + [edge.higher])
                    raise InputError(f"the label order has a cycle: {cycle}", edge.span)
                if edge.higher not in done:
                    path.append(edge.higher)
                    on_path.add(edge.higher)
                    stack.append(iter(above.get(edge.higher, ())))

    def _unique(self, name: str, span: Span, what: str) -> None:
        for kind, table in (("sid", self.sids), ("attribute", self.attribute_trees)):
            if name in table:
                first = table[name].span if kind == "sid" else table[name][2]
                raise InputError(f"duplicate {what} {quote(name)} (already declared as {kind} at {first})", span)

    def _declare_class(self, t: Tree, f: str) -> None:
        name, *ops = t.children
        span = _span(f, name)
        if name.value in self.classes:
            first = self.classes[name.value]
            where = "a built-in kernel class" if first.builtin else f"declared at {first.span}"
            raise InputError(f"duplicate class {quote(name.value)} ({where})", span)
        seen: set[str] = set()
        for op in ops:
            if op.value in seen:
                raise InputError(f"operation {quote(op.value)} listed twice in class {quote(name.value)}", _span(f, op))
            seen.add(op.value)
        self.classes[name.value] = ClassDecl(name.value, tuple(o.value for o in ops), span)

    def _declare_lattice(self, t: Tree, f: str) -> None:
        for chain in t.children:
            names = chain.children
            for tok in names:
                self.labels.setdefault(tok.value, _span(f, tok))
            for lower, higher in zip(names, names[1:]):
                if lower.value == higher.value:
                    raise InputError(f"label {quote(lower.value)} cannot be below itself", _span(f, higher))
                self.order.append(OrderEdge(lower.value, higher.value, _span(f, higher)))

    def _attribute(self, name: str, resolving: tuple[str, ...]) -> frozenset[str]:
        if name in self.attributes:
            return self.attributes[name].members
        tree, f, span = self.attribute_trees[name]
        if name in resolving:
            raise InputError(f"attribute {quote(name)} is defined in terms of itself", span)
        if len(resolving) >= MAX_ATTRIBUTE_NESTING:
            raise InputError(f"attributes nested more than {MAX_ATTRIBUTE_NESTING} deep", span)
        members = self._sid_set(tree, f, resolving + (name,))
        self.attributes[name] = Attribute(name, members, span)
        return members

    # -- pass 2: rules ---------------------------------------------------------------------
    def _sid_set(self, t: Tree, f: str, resolving: tuple[str, ...] = ()) -> frozenset[str]:
        kind = t.data
        if kind == "set_all":
            return frozenset(self.sids)
        if kind == "set_complement":
            negations = 0
            while t.data == "set_complement":  # a loop, not recursion: `~~~~x` may nest arbitrarily
                t, negations = t.children[0], negations + 1
            inner = self._sid_set(t, f, resolving)
            return frozenset(self.sids) - inner if negations % 2 else inner
        if kind == "set_name":
            return self._name(t.children[0], f, resolving)
        included: set[str] = set()
        excluded: set[str] = set()
        for item in t.children:
            names = self._name(item.children[0], f, resolving)
            (included if item.data == "item_include" else excluded).update(names)
        return frozenset(included - excluded)

    def _name(self, tok: Token, f: str, resolving: tuple[str, ...]) -> frozenset[str]:
        if tok.value in self.sids:
            return frozenset({tok.value})
        if tok.value in self.attribute_trees:
            return self._attribute(tok.value, resolving)
        raise InputError(f"unknown sid or attribute {quote(tok.value)}", _span(f, tok))

    def _classes(self, t: Tree, f: str) -> list[str]:
        out = []
        for tok in t.children:
            if tok.value not in self.classes:
                raise InputError(f"unknown class {quote(tok.value)} (declare it with `class NAME {{ operations }}`)", _span(f, tok))
            out.append(tok.value)
        return out

    def _permissions(self, classes: list[str], ops: Tree, f: str) -> frozenset[tuple[str, str]]:
        perms: set[tuple[str, str]] = set()
        for cls in classes:
            known = self.classes[cls].operations
            if ops.data == "ops_all":
                perms.update((cls, op) for op in known)
                continue
            for tok in ops.children:
                if tok.value not in known:
                    raise InputError(
                        f"class {quote(cls)} has no operation {quote(tok.value)} (it has: {' '.join(known)})", _span(f, tok)
                    )
                perms.add((cls, tok.value))
        return frozenset(perms)

    def _label(self, tok: Token, f: str) -> str:
        if tok.value not in self.labels:
            raise InputError(f"unknown label {quote(tok.value)} (declare labels in a `lattice {{ ... }}`)", _span(f, tok))
        return tok.value

    def policy(self, files: tuple[str, ...]) -> Policy:
        rules: list[AccessRule] = []
        flows: list[FlowRule] = []
        label_of: dict[str, LabelBinding] = {}
        budgets: list[Budget] = []
        capacities: dict[str, CapacityDefault] = {}
        operation_flows: list[OperationFlow] = []
        spawns: list[SpawnRule] = []
        connects: list[ConnectRule] = []
        passes: list[PassRule] = []
        trusted: list[TrustRule] = []
        for st in self.statements:
            t, f = st.tree, st.file
            span = _span(f, t)
            c = t.children
            if t.data == "access_rule":
                kind = RuleKind(c[0].value)
                subjects = self._sid_set(c[1], f)
                side = c[2].children[0]
                self_target = isinstance(side, Token) and side.type == "SELF"
                objects = frozenset() if self_target else self._sid_set(side, f)
                perms = self._permissions(self._classes(c[3], f), c[4], f)
                rules.append(AccessRule(kind, subjects, objects, self_target, perms, st.text, span))
            elif t.data == "label_stmt":
                label = self._label(c[1], f)
                for sid in sorted(self._sid_set(c[0], f)):
                    if sid in label_of and label_of[sid].label != label:
                        raise InputError(
                            f"sid {quote(sid)} already has label {quote(label_of[sid].label)} (at {label_of[sid].span})", span
                        )
                    label_of[sid] = LabelBinding(sid, label, span)
            elif t.data == "flow_stmt":
                flows.append(FlowRule(self._label(c[0], f), self._label(c[1], f), span))
            elif t.data == "trusted_stmt":
                source, sink = self._label(c[1], f), self._label(c[2], f)
                if source == sink:
                    raise InputError(f"a trust declaration needs two different labels, got {quote(source)} twice", _span(f, c[2]))
                trusted.append(TrustRule(self._sid_set(c[0], f), source, sink, st.text, span))
            elif t.data == "budget_stmt":
                budgets.append(Budget(self._label(c[0], f), self._label(c[1], f), _number(c[2], f), span))
            elif t.data == "capacity_stmt":
                kind = c[0].value
                if kind not in CHANNEL_KINDS:
                    raise InputError(f"unknown channel kind {quote(kind)}, expected one of {', '.join(CHANNEL_KINDS)}", _span(f, c[0]))
                if kind in capacities:
                    raise InputError(f"capacity of {quote(kind)} already set at {capacities[kind].span}", span)
                capacities[kind] = CapacityDefault(kind, _number(c[1], f), span)
            elif t.data == "operation_flow_stmt":
                (cls,) = self._classes(Tree("class_set", [c[1]]), f)
                ops = frozenset(op for _, op in self._permissions([cls], c[2], f))
                operation_flows.append(OperationFlow(c[0].value, cls, ops, span))
            elif t.data == "spawn_stmt":
                role = None
                if len(c) == 3:
                    role = c[2].value
                    if role not in {r.value for r in Role}:
                        raise InputError(f"unknown role {quote(role)}, expected client, server, policy or root", _span(f, c[2]))
                spawns.append(SpawnRule(self._sid_set(c[0], f), self._sid_set(c[1], f), role, st.text, span))
            elif t.data == "connect_stmt":
                connects.append(ConnectRule(self._sid_set(c[0], f), self._sid_set(c[1], f), st.text, span))
            elif t.data == "pass_stmt":
                classes = frozenset(self._classes(c[2], f))
                passes.append(PassRule(self._sid_set(c[0], f), self._sid_set(c[1], f), classes, st.text, span))
        return Policy(
            files=files,
            sids=self.sids,
            attributes=dict(sorted(self.attributes.items())),
            classes=self.classes,
            rules=tuple(rules),
            labels=self.labels,
            order=tuple(self.order),
            flows=tuple(flows),
            label_of=label_of,
            budgets=tuple(budgets),
            capacities=capacities,
            operation_flows=tuple(operation_flows),
            spawn_rules=tuple(spawns),
            connect_rules=tuple(connects),
            pass_rules=tuple(passes),
            trusted=tuple(trusted),
        )

