"""Reading input files: the one place a file named by a user or by another file is read.

Only regular files are read (a device such as /dev/zero or a FIFO never ends or never starts),
at most MAX_INPUT_BYTES of them, as UTF-8 text whose line breaks are \\n whatever the file used
(\\r\\n and a lone \\r end a line too, so a comment cannot swallow what an editor shows on the
next line). Every failure, whatever the path looks like, is an InputError.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import InputError, Span, quote

MAX_INPUT_BYTES = 64 * 1024 * 1024
PATH_QUOTE_LIMIT = 200
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class SourceFile:
    """A file's text, and its identity (device, inode): the same file under any name."""

    text: str
    identity: tuple[int, int]


def read_text(path: str | Path, referenced_at: Span | None = None) -> str:
    """The file's text, or an InputError saying why it cannot be read (at the reference, if any)."""
    return read_source(path, referenced_at).text


def read_source(path: str | Path, referenced_at: Span | None = None) -> SourceFile:
    name = str(path)
    where = quote(name, PATH_QUOTE_LIMIT)
    try:
        # stat first, so that a device is never opened (opening some has effects); the checks are
        # repeated on the open file, which is what is read, in case the name changed meanwhile.
        _check_kind(os.stat(name), where, referenced_at)
        fd = os.open(name, _OPEN_FLAGS)
    except OSError as err:
        raise InputError(_os_problem(err, name, where), referenced_at) from None
    except ValueError:  # a NUL character, or one that cannot be encoded for the file system
        raise InputError(f"{where} cannot be a file name (it holds a NUL or an unencodable character)", referenced_at) from None
    with open(fd, "rb") as file:
        info = os.fstat(fd)
        _check_kind(info, where, referenced_at)
        data = file.read(MAX_INPUT_BYTES + 1)  # bounded even where st_size says 0 (/proc)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{where} is larger than {MAX_INPUT_BYTES} bytes", referenced_at)
    return SourceFile(_decode(data, name), (info.st_dev, info.st_ino))


def _check_kind(info: os.stat_result, where: str, referenced_at: Span | None) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{where} is a directory, expected a file", referenced_at)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{where} is not a regular file (a device, FIFO or socket), expected a file", referenced_at)
    if info.st_size > MAX_INPUT_BYTES:
        raise InputError(f"{where} is larger than {MAX_INPUT_BYTES} bytes", referenced_at)


def _os_problem(err: OSError, name: str, where: str) -> str:
    if err.errno == errno.ENOENT:
        return f"no such file {where}"
    if err.errno == errno.ENAMETOOLONG:
        return f"path too long for this system ({len(name)} characters): {where}"
    if err.errno == errno.ELOOP:
        return f"symlink loop (too many levels of symbolic links) at {where}"
    return f"cannot read {where}: {err.strerror}"


def _decode(data: bytes, file: str) -> str:
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # ASCII: never inside a UTF-8 sequence
    nul = data.find(b"\0")
    if nul != -1:
        raise InputError("binary file (NUL byte), expected UTF-8 text", _span_at(file, data, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"invalid UTF-8 (byte 0x{data[err.start]:02x}), expected UTF-8 text",
            _span_at(file, data, err.start),
        ) from None


def _span_at(file: str, data: bytes, offset: int) -> Span:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return Span(file, line, col)
