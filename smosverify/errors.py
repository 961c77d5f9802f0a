"""The one exception type for bad input, and the source span every element carries."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """A place in a source file; lines and columns count from 1."""

    file: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to_json(self) -> dict:
        out = {"file": self.file, "line": self.line, "col": self.col}
        if self.end_line is not None:
            out["end_line"] = self.end_line
            out["end_col"] = self.end_col
        return out


QUOTE_LIMIT = 40


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """At most `limit` characters of `text` (then "..."), unprintable ones escaped. An error
    message names the offending token, never more: the file may be a secret that a system points
    at by mistake (or on purpose), and a token may be a megabyte long."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` shortened, in single quotes: how error messages show what they found."""
    return "'" + shorten(text, limit) + "'"


LONGEST_WORD = 200
_LONG_WORD = re.compile(r"\S{%d,}" % (LONGEST_WORD + 1))


def bounded(message: str) -> str:
    """`message` on one line (unprintable characters escaped) with no word longer than
    LONGEST_WORD: whatever a reader quotes from a file, an error never prints more of it."""
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return _LONG_WORD.sub(lambda m: m.group()[:LONGEST_WORD] + "...", printable)


class InputError(Exception):
    """Bad input: the CLI prints `file:line:col: message` and exits with code 2. The message is
    bounded here, once for every reader (messages quote tokens with `quote`, which cuts sooner)."""

    def __init__(self, message: str, span: Span | None = None):
        message = bounded(message)
        super().__init__(message)
        self.message = message
        self.span = span

    def __str__(self) -> str:
        return f"{self.span}: {self.message}" if self.span else self.message


class EnvironmentProblem(Exception):
    """A missing tool or toolchain: the CLI prints the message and exits with code 3."""
