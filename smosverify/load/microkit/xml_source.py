"""Positioned, safe XML for Microkit SDFs: every element with its span, none of XML's traps.

expat (C, streaming) with the DTD refused outright, so no entity can be declared and no
billion-laughs expansion or external entity can happen; UTF-8 only; stray text and processing
instructions are errors (an SDF carries its data in attributes); nesting is bounded.
"""

from __future__ import annotations

import bisect
import re
import xml.parsers.expat as expat
from pathlib import Path
from typing import NamedTuple

from smosverify.errors import InputError, Span
from smosverify.load.source import read_text

MAX_DEPTH = 64


class XmlSource:
    """The bytes of one file and where its lines start, to turn byte offsets into spans."""

    def __init__(self, data: bytes, file: str):
        self.data = data
        self.file = file
        self._starts: list[int] | None = None

    def span_at(self, offset: int) -> Span:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer(rb"\n", self.data)]
        line = bisect.bisect_right(self._starts, offset) - 1
        col = len(self.data[self._starts[line]:offset].decode("utf-8", errors="replace")) + 1
        return Span(self.file, line + 1, col)

    def attribute_span(self, tag_offset: int, name: str) -> Span | None:
        """Where attribute `name` is written in the start tag beginning at `tag_offset`."""
        end = self.data.find(b">", tag_offset)
        tag = self.data[tag_offset:end if end != -1 else len(self.data)]
        match = re.search(rb"\s" + re.escape(name.encode()) + rb"\s*=", tag)
        return self.span_at(tag_offset + match.start() + 1) if match else None


class XmlElement(NamedTuple):
    """One element (a tuple: an SDF has ~10^5 of them, and tuples are cheap to make)."""

    tag: str
    attrs: dict[str, str]
    children: tuple[XmlElement, ...]
    span: Span
    offset: int  # byte offset of the start tag's '<'
    source: XmlSource

    def attr_span(self, name: str) -> Span:
        return self.source.attribute_span(self.offset, name) or self.span


def parse_xml(path: str | Path, referenced_at: Span | None = None) -> XmlElement:
    """The document element of a UTF-8 XML file, or an InputError at the offending place."""
    file = str(path)
    data = read_text(path, referenced_at).encode("utf-8")
    return _Builder(XmlSource(data, file)).parse()


class _Builder:
    def __init__(self, source: XmlSource):
        self.source = source
        self.file = source.file
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.stack: list[tuple[str, dict[str, str], list[XmlElement], Span, int]] = []
        self.root: XmlElement | None = None
        p = self.parser
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._text
        p.XmlDeclHandler = self._declaration
        p.StartDoctypeDeclHandler = lambda *args: self._refuse_dtd(b"<!DOCTYPE")
        p.EntityDeclHandler = lambda *args: self._refuse_dtd(b"<!ENTITY")
        p.ProcessingInstructionHandler = self._instruction

    def here(self) -> Span:
        return Span(self.source.file, self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1)

    def parse(self) -> XmlElement:
        try:
            self.parser.Parse(self.source.data, True)
        except expat.ExpatError as err:
            message = expat.ErrorString(err.code)
            raise InputError(f"malformed XML: {message}", Span(self.source.file, err.lineno, err.offset + 1)) from None
        assert self.root is not None
        return self.root

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise InputError(f"elements nested deeper than {MAX_DEPTH} levels", self.here())
        p = self.parser
        self.stack.append((tag, attrs, [], Span(self.file, p.CurrentLineNumber, p.CurrentColumnNumber + 1), p.CurrentByteIndex))

    def _end(self, tag: str) -> None:
        tag, attrs, children, span, offset = self.stack.pop()
        element = XmlElement(tag, attrs, tuple(children), span, offset, self.source)
        if self.stack:
            self.stack[-1][2].append(element)
        else:
            self.root = element

    def _text(self, text: str) -> None:
        if text.isspace():
            return
        stripped = text.lstrip()
        if stripped:
            at = self.parser.CurrentByteIndex + len(text[:len(text) - len(stripped)].encode("utf-8"))
            shown = stripped.rstrip()[:40]
            raise InputError(f"unexpected text '{shown}': SDF elements carry their data in attributes", self.source.span_at(at))

    def _declaration(self, version, encoding, standalone) -> None:
        if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise InputError(f"the XML declaration names encoding '{encoding}'; SDF files must be UTF-8", self.here())

    def _refuse_dtd(self, keyword: bytes) -> None:
        start = self.source.data.rfind(keyword, 0, self.parser.CurrentByteIndex + 1)
        raise InputError("DTDs and entity declarations are not allowed in an SDF (they can expand without bound)",
                         self.source.span_at(start) if start != -1 else self.here())

    def _instruction(self, target: str, data: str) -> None:
        raise InputError(f"unexpected processing instruction <?{target} ...?>: an SDF has only elements and comments", self.here())
