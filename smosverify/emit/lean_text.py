"""Printing Lean-shaped tuples (`lean_data`) as Lean terms, and names as safe comment text.

No name of the system ever becomes a Lean identifier: helpers are numbered (`comp3`,
`summary0`, `obj2`) and names appear only in comments, where newlines, control characters and
the comment delimiters `/-` and `-/` are neutralised.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from smosverify.emit.lean_data import Terms, comp_order, kperm_key
from smosverify.emit.lean_index import component_key, ktree

# Characters of Lean per command at most when a list is split (`LeanText.split`): Lean's parser takes
# time superlinear in a command's length (10,000 caps took 350 s more as one list than as 100 lists
# of 100, and at 300 components parsing the data took 251 s of 369)
CHUNK = 8000
INTRINSIC = "-- intrinsic: a component's authority over its own objects (the policy language leaves it implicit)"


@dataclass(frozen=True)
class Split:
    """A list as Lean text: the definitions of its pieces (none for a short list) and the term."""

    defs: str
    term: str


class LeanText:
    def __init__(self, terms: Terms):
        self.terms = terms
        self.summary_index = {v: i for i, v in enumerate(terms.summary_values.values())}

    @staticmethod
    def comment(text: str) -> str:
        """`text` on one line, safe inside `--` and `/- -/` comments."""
        shown = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in str(text))
        return shown.replace("/-", "/ -").replace("-/", "- /")

    def name_lines(self) -> list[str]:
        """The numbering, one line per kind, for the module docstring."""
        num = self.terms.num
        lines = []
        for kind, title in (("sid", "sids"), ("class", "classes"), ("label", "labels"), ("comp", "components"),
                            ("summary", "summaries (spawned sid:role)"), ("obj", "objects"),
                            ("region", "regions"), ("notification", "notifications"), ("untyped", "untyped")):
            names = num.names[kind]
            if names:
                lines.append(f"* {title}: " + ", ".join(f"{i} = `{self.comment(n)}`" for i, n in enumerate(names)))
        for cls, ops in num.ops.items():
            lines.append(f"* operations of `{self.comment(cls)}`: " + ", ".join(f"{i} = `{self.comment(o)}`" for i, o in enumerate(ops)))
        return lines

    def comp(self, c: tuple) -> str:
        return f"summary{self.summary_index[c]}" if c[3] else f"comp{c[0]}"

    def component_value(self, c: tuple) -> str:
        return f"⟨{c[0]}, {c[1]}, .{c[2]}, false⟩"

    def summary_value(self, c: tuple) -> str:
        return f"summary {c[1]} .{c[2]}"

    def target(self, t: tuple) -> str:
        if t[0] == "own":
            return f".own {self.comp(t[1])} .{t[2]}"
        return f".chan .{t[1]} {t[2]} {t[3]}"

    def _unheld(self, c: tuple) -> str:
        rights = ", ".join(f".{r}" for r in c[2])
        return f"{self.target(c[1])}, [{rights}], {c[3]}"

    def slot(self, c: tuple) -> str:
        """What cap `c` is apart from its holder: `⟨target, [rights], badge⟩`."""
        return f"⟨{self._unheld(c)}⟩"

    def cap(self, c: tuple) -> str:
        return f"⟨{self.comp(c[0])}, {self._unheld(c)}⟩"

    def group(self, holder: tuple, caps: list) -> str:
        """One entry of `Groups Slot`: `holder` and its `caps`, one per line."""
        return self._group(holder, [self.slot(c) for c in caps])

    @staticmethod
    def holders(cert: dict) -> list[tuple]:
        """The holders of a certificate's caps and handles: `capGroups` and `handleGroups` list the
        same holders in this order (`checkOpen` walks the two side by side), empty where one holds
        nothing of the kind."""
        return sorted({c[0] for c in cert["caps"]} | {h[0] for h in cert["handles"]}, key=comp_order)

    def groups(self, cert: dict) -> list[str]:
        """A certificate's caps as the entries of a Lean `Groups Slot`, one per holder (`holders`)."""
        caps = _by_holder(cert["caps"])
        return [self.group(holder, caps.get(holder, [])) for holder in self.holders(cert)]

    def handle_groups(self, cert: dict) -> list[str]:
        """A certificate's handles as the entries of a Lean `Groups Held`, one per holder (`holders`)."""
        handles = _by_holder(cert["handles"])
        return [self._group(holder, [f"⟨obj{h[1][0]}, {h[2]}⟩" for h in handles.get(holder, [])])
                for holder in self.holders(cert)]

    def _group(self, holder: tuple, members: list[str]) -> str:
        return f"({self.comp(holder)}, [" + ",".join(f"\n      {m}" for m in members) + "])"

    def cover(self, pair: tuple) -> str:
        return f"({self.target(pair[0])}, {self.target(pair[1])})"

    def obj_value(self, o: tuple) -> str:
        return f"⟨{o[0]}, {o[1]}, {o[2]}, {self.comp(o[3])}⟩"

    @staticmethod
    def obj(o: tuple) -> str:
        return f"obj{o[0]}"

    def node(self, v: tuple) -> str:
        if v[0] == "comp":
            return f".comp {self.comp(v[1])}"
        if v[0] == "obj":
            return f".obj obj{v[1][0]}"
        return f".chan ({self.target(v[1])})"

    def edges(self, entry: tuple) -> str:
        return f"({self.node(entry[0])}, [{', '.join(self.node(v) for v in entry[1])}])"

    def facts(self, entry: tuple) -> str:
        shown = ", ".join(f"({src}, [{', '.join(str(l) for l in labels)}])" for src, labels in entry[1])
        return f"({self.node(entry[0])}, [{shown}])"

    def client(self, d: tuple) -> str:
        return f"⟨{self.comp(d[0])}, {d[1]}, {d[2]}⟩"

    def decision(self, d: tuple) -> str:
        return f"⟨{self.anon(d[0])}, {'true' if d[1] else 'false'}⟩"

    @staticmethod
    def sids_tree(by_badge: dict[int, list]) -> str:
        """A `KTree (List Nat)` of sids by badge, or of operations by sid."""
        return ktree([(b, "[" + ", ".join(str(s) for s in sids) + "]") for b, sids in by_badge.items()])

    def servers_tree(self, servers: list) -> str:
        """The `KTree ServerIndex` of the `index_callers<k>` and `index_clients<k>` definitions."""
        return ktree([(component_key(s[0]), f"⟨index_callers{k}, index_clients{k}, [{', '.join(self.obj(o) for o in s[3])}]⟩")
                      for k, s in enumerate(servers)])

    @staticmethod
    def opens_tree(opens: list) -> str:
        """The `KTree (KTree (List OpId))` of the `index_opens<id>` definitions."""
        return ktree([(oid, f"index_opens{oid}") for oid, _ in opens])

    @staticmethod
    def keys_tree(keys: list[int]) -> str:
        """A `KTree Unit` of `keys`."""
        return ktree([(k, "()") for k in keys])

    @staticmethod
    def numbers(values: list) -> str:
        return "[" + ", ".join(str(v) for v in values) + "]"

    @staticmethod
    def anon(t: tuple) -> str:
        """A structure of numbers and constructor names: `⟨1, 2, .endpoint, .send⟩`."""
        return "⟨" + ", ".join(str(x) if isinstance(x, int) else f".{x}" for x in t) + "⟩"

    @staticmethod
    def pair(p: tuple) -> str:
        return f"({p[0]}, {p[1]})"

    def cut(self, c: tuple) -> str:
        return f"({self.anon(c[0])}, [{', '.join(str(v) for v in c[1])}])"

    def perm_set(self, perms: list) -> str:
        """`allow` as a Lean `PermSet` term: `⟨classes, ops, rows⟩` (`perm_sizes`, `perm_rows`)."""
        return f"⟨{self.perm_sizes()}, {self.items(self.perm_rows(perms), str)}⟩"

    def perm_sizes(self) -> str:
        """The numbers of classes and of operations (the most any class has) of a `PermSet`."""
        return f"{len(self.terms.num.names['class'])}, {self._ops()}"

    def perm_rows(self, perms: list) -> list[str]:
        """The rows of `allow` as a `PermSet`: one numeral per run of a subject, bit
        `(object * classes + class) * ops + op` set for each of its permissions."""
        classes, ops = len(self.terms.num.names["class"]), self._ops()
        assert all(p[2] < classes and p[3] < ops for p in perms), "a permission outside the numbering"
        return self._rows(perms, lambda p: (p[1] * classes + p[2]) * ops + p[3])

    def _ops(self) -> int:
        return max((len(v) for v in self.terms.num.ops.values()), default=0)

    def kperm_rows(self, perms: list, intrinsic: int) -> list[str]:
        """The rows of `kernelAllow` as a Lean `KPermSet` (`KPerm.key`), the last `intrinsic`
        entries (a component's authority over its own objects) in rows of their own, the first of
        them after a comment."""
        return self._rows(perms, kperm_key, intrinsic)

    @staticmethod
    def _rows(perms: list, key, intrinsic: int = 0) -> list[str]:
        def rows(part: list) -> list[str]:
            return [f"({subject}, {hex(sum(1 << key(p) for p in group))})"
                    for subject, group in groupby(part, key=lambda p: p[0])]

        own = rows(perms[len(perms) - intrinsic:]) if intrinsic else []
        if own:
            own[0] = f"{INTRINSIC}\n    {own[0]}"
        return rows(perms[:len(perms) - intrinsic]) + own

    @staticmethod
    def _marked(perms: list, intrinsic: int, render) -> list[str]:
        """`render` of the policy's own entries, then, after a marker line, of the last `intrinsic`."""
        lines = render(perms[:len(perms) - intrinsic])
        return lines + [INTRINSIC] + render(perms[len(perms) - intrinsic:]) if intrinsic else lines

    @classmethod
    def table(cls, perms: list, intrinsic: int = 0) -> str:
        """Permissions `(subject, object, class or kind, op or right)` as a readable table (for a
        comment): runs of one subject, then of one object, then of one class grouped, one subject
        per line, the last `intrinsic` entries after a line of their own."""
        rows = cls._marked(perms, intrinsic, cls._table_rows)
        return "\n".join(f"    {row}" for row in rows) if rows else "    (none)"

    @staticmethod
    def _table_rows(perms: list) -> list[str]:
        def term(x) -> str:
            return str(x) if isinstance(x, int) else f".{x}"

        def runs(items: list) -> list[tuple]:
            """Consecutive items with one first field: (that field, the rest of each)."""
            return [(key, [p[1:] for p in group]) for key, group in groupby(items, key=lambda p: p[0])]

        def kinds(by_kind: list) -> str:
            return ", ".join(f"({term(k)}, [{', '.join(term(r[0]) for r in ops)}])" for k, ops in runs(by_kind))

        return [f"({subject}, [" + ", ".join(f"({obj}, [{kinds(by_kind)}])" for obj, by_kind in runs(by_object)) + "])"
                for subject, by_object in runs(perms)]

    def split(self, name: str, type_: str, values: list, fmt=str) -> Split:
        """The list of `values` (printed by `fmt`) as one term when short, else as definitions
        `name_0`, `name_1`, … of at most `CHUNK` characters each (one command each, so that Lean
        parses a large system's data in time linear in its size) and the term joining them."""
        terms = [fmt(v) for v in values]
        if sum(len(t) for t in terms) <= CHUNK:
            return Split("", self.items(terms, str))
        pieces: list[list[str]] = [[]]
        size = 0
        for t in terms:
            if pieces[-1] and size + len(t) > CHUNK:
                pieces.append([])
                size = 0
            pieces[-1].append(t)
            size += len(t)
        names = [f"{name}_{i}" for i in range(len(pieces))]
        defs = "".join(f"noncomputable def {n} : {type_} := {self.items(piece, str)}\n\n" for n, piece in zip(names, pieces))
        return Split(defs, f"List.flatten [{', '.join(names)}]")

    @staticmethod
    def items(values: list, fmt, indent: int = 4) -> str:
        """A Lean list, one element per line when it has any."""
        if not values:
            return "[]"
        pad = " " * indent
        return "[\n" + ",\n".join(pad + fmt(v) for v in values) + "]"


def _by_holder(items: list) -> dict[tuple, list]:
    """Caps or handles by holder, each holder's in their order."""
    out: dict[tuple, list] = {}
    for item in items:
        out.setdefault(item[0], []).append(item)
    return out
