"""The YAML writer and reader agree: every example written out and read back is the same model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smosverify.emit.system_yaml import system_to_yaml
from smosverify.errors import Span
from smosverify.load.system import load_system

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/system.yaml"))


def without_spans(value):
    """The model with every span (and the file it was read from) removed."""
    if isinstance(value, Span):
        return None
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(without_spans(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple((f.name, without_spans(getattr(value, f.name))) for f in dataclasses.fields(value)
                     if f.compare and f.name not in ("file", "policy"))
    if isinstance(value, dict):
        return {k: without_spans(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, frozenset, set)):
        return type(value)(without_spans(v) for v in value)
    return value


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_write_then_read_gives_the_same_model(example, tmp_path):
    system = load_system(example / "system.yaml")  # for a Microkit example, written with `sdf:` and every label
    out = tmp_path / "system.yaml"
    text = system_to_yaml(system, out)
    out.write_text(text)
    again = load_system(out)
    assert without_spans(again) == without_spans(system)
    assert again.policy.files == system.policy.files
    assert system_to_yaml(again, out) == text  # a fixed point: writing is canonical


def test_the_written_file_spells_out_defaults(tmp_path, write_system):
    path = write_system(tmp_path, """
system: s
policy: policy.pol
components:
  fs: {sid: fs_t, role: server}
  c: {sid: c_t, role: client}
connections:
  - {from: c, to: fs, rights: [grant_reply, send]}
regions:
  buf: {sid: buf_t, map: {c: [write, read]}}
""", "sid fs_t, c_t, buf_t;\n")
    text = system_to_yaml(load_system(path), path)
    assert "{from: c, to: fs, rights: [send, grant_reply], badge: 1}" in text
    assert "buf: {sid: buf_t, size: 4096, map: {c: [read, write]}}" in text
    assert "arch: x86_64" in text


def test_badges_keeps_and_untyped_survive_the_round_trip(tmp_path, write_system):
    """What the soundness release added to the format is written back, not dropped."""
    path = write_system(tmp_path, """
system: s
policy: policy.pol
components:
  fs: {sid: fs_t, role: server}
  c: {sid: c_t, role: client, caps: [{to: fs.endpoint, rights: [send], badge: 9}, {to: pool, rights: [control]}]}
  boot: {sid: c_t, role: root, caps: [{to: fs.tcb, rights: [control]}], keeps: []}
connections:
  - {from: c, to: fs, rights: [send]}
untyped:
  pool: {sid: fs_t, covers: [fs.tcb, fs.frames]}
""", "sid fs_t, c_t;\n")
    system = load_system(path)
    out = tmp_path / "again.yaml"
    text = system_to_yaml(system, out)
    assert "{to: fs.endpoint, rights: [send], badge: 9}" in text
    assert "keeps: []" in text
    assert "pool: {sid: fs_t, covers: [fs.tcb, fs.frames]}" in text
    out.write_text(text)
    again = load_system(out)
    assert without_spans(again) == without_spans(system)
    assert system_to_yaml(again, out) == text
