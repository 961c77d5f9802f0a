"""Reading input files safely: missing files, directories, binary and non-UTF-8 input are errors."""

from __future__ import annotations

from pathlib import Path

from smosverify.errors import InputError, Span

MAX_INPUT_BYTES = 64 * 1024 * 1024


def read_text(path: str | Path, referenced_at: Span | None = None) -> str:
    """The file's text, or an InputError saying why it cannot be read (at the reference, if any)."""
    p = Path(path)
    where = f"'{p}'"
    if not p.exists():
        raise InputError(f"no such file {where}", referenced_at)
    if p.is_dir():
        raise InputError(f"{where} is a directory, expected a file", referenced_at)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {where}: {err.strerror}", referenced_at) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{where} is larger than {MAX_INPUT_BYTES} bytes", referenced_at)
    nul = data.find(b"\0")
    if nul != -1:
        raise InputError("binary file (NUL byte), expected UTF-8 text", _span_at(str(p), data, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"invalid UTF-8 (byte 0x{data[err.start]:02x}), expected UTF-8 text",
            _span_at(str(p), data, err.start),
        ) from None


def _span_at(file: str, data: bytes, offset: int) -> Span:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return Span(file, line, col)
