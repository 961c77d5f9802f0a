"""Proof-carrying release bundles: everything a release ships as evidence, and its re-check.

A bundle directory holds
    inputs/...                 the system description and every policy (and SDF, labels) file it
                               loads, at their paths relative to the files' common directory
    report.json                the JSON report of `check` run on those inputs
    lean/Instances/<Mod>.lean  the emitted Lean instance, with the Lean library beside it
                               (lean/SMOS/..., lakefile.lean, lean-toolchain) so `lake build` runs there
    smt/*.smt2                 every SMT-LIB query `smosverify emit smt` writes (P6 budgets, P4 rules)
    capdl/<system>.cdl         the capDL spec
    manifest.json              the tool version, what each part is, and the SHA-256 of every file;
                               for an SDF, the --policy/--labels/--default-sid it was read with
Everything derived is computed from the bundle's own copy of the inputs, with paths relative to
the bundle, so the same inputs give a byte-identical bundle wherever it is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
import z3

from smosverify import __version__
from smosverify.analyses.check import check_system
from smosverify.emit.capdl import emit_capdl
from smosverify.emit.lean import lean_module
from smosverify.emit.smt import smt_queries
from smosverify.errors import InputError, Span
from smosverify.lean_runner import ProveResult, default_project, find_lean, prove, runs_unasked
from smosverify.load.any import SdfOptions, is_sdf, load_any
from smosverify.model.microkit import MicrokitBoard
from smosverify.model.system import System
from smosverify.report.json_report import render_json

MANIFEST = "manifest.json"
FORMAT = "smosverify-bundle/1"


@dataclass(frozen=True)
class Derived:
    files: dict[str, bytes]
    entry: dict  # manifest entries describing the derived parts


def write_bundle(system_path: str | Path, out_dir: str | Path, options: SdfOptions = SdfOptions()) -> dict:
    """Write the bundle of a system (an SDF read with `options`) into `out_dir` (new or empty);
    returns the manifest."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"bundle directory '{out}' exists and is not empty")
    inputs, entry, bundled = _inputs(Path(system_path), options)
    _write(out, inputs)
    derived = derive(out, entry, bundled)
    library = _lean_library()
    _write(out, derived.files)
    _write(out, library)
    files = {**inputs, **derived.files, **library}
    manifest = {
        "format": FORMAT,
        "tool": {"name": "smosverify", "version": __version__},
        "entry": entry,
        **({"sdf_options": _options_entry(bundled)} if is_sdf(entry) else {}),
        **derived.entry,
        "files": [{"path": p, "sha256": _sha256(files[p]), "bytes": len(files[p])} for p in sorted(files)],
    }
    (out / MANIFEST).write_bytes(_json_bytes(manifest))
    return manifest


def derive(bundle: Path, entry: str, options: SdfOptions) -> Derived:
    """Everything computed from the inputs: report, Lean instance, SMT queries, capDL spec."""
    with contextlib.chdir(bundle):  # spans and the report name files relative to the bundle
        system = load_any(entry, options)
        report = check_system(system)
        module = lean_module(system, report)
        capdl = emit_capdl(system)
    queries = smt_queries(system)
    files = {
        "report.json": render_json(report).encode("utf-8"),
        f"lean/{module.path}": module.text.encode("utf-8"),
        f"capdl/{system.name}.cdl": capdl.encode("utf-8"),
        **{f"smt/{q.file}": q.text.encode("utf-8") for q in queries},
    }
    return Derived(files, {
        "system": system.name,
        "verdict": report.verdict.value,
        "lean": {
            "module": f"Instances.{module.name}", "path": f"lean/{module.path}", "checked_when_bundled": False,
            "claimed": [c.property for c in module.claims if c.claimed],
            "not_claimed": {c.property: c.reason for c in module.claims if not c.claimed},
        },
        "smt": [{"path": f"smt/{q.file}", "expected": q.answer, "what": q.about, "means": q.means} for q in queries],
    })


@dataclass(frozen=True)
class Verification:
    differences: tuple[str, ...]
    notes: tuple[str, ...]
    lean: ProveResult | None


def verify_bundle(bundle: str | Path, lean: str = "auto") -> Verification:
    """Re-check a bundle: hashes, a fresh run of the analyses and emitters on its inputs, the
    Z3 answers, and (`lean` auto with a toolchain, or on) `lake build` of its Lean instance."""
    bundle = Path(bundle)
    manifest = _read_manifest(bundle)
    differences, notes = [], []
    if manifest["tool"].get("version") != __version__:
        notes.append(f"made by smosverify {manifest['tool'].get('version')}, re-checked with {__version__}")
    listed = {f["path"]: f for f in manifest["files"]}
    for path, f in listed.items():
        data = _read(bundle, path)
        if data is None:
            differences.append(f"missing file {path}")
        elif _sha256(data) != f["sha256"]:
            differences.append(f"{path}: SHA-256 differs from the manifest (the file was changed)")
    for path in _present(bundle):
        if path not in listed and path != MANIFEST:
            differences.append(f"{path}: not listed in the manifest")
    if differences:
        return Verification(tuple(differences), tuple(notes), None)
    derived = derive(bundle, manifest["entry"], _sdf_options(manifest))
    for path, data in sorted(derived.files.items()):
        if path not in listed:
            differences.append(f"{path}: a fresh run produces it, but the bundle does not have it")
        elif _read(bundle, path) != data:
            differences.append(f"{path}: differs from a fresh run on the bundle's inputs ({_first_difference(_read(bundle, path), data)})")
    for path in listed:
        if _is_derived(path) and path not in derived.files:
            differences.append(f"{path}: in the bundle, but a fresh run does not produce it")
    for key in ("system", "verdict", "lean", "smt"):
        if manifest.get(key) != derived.entry[key]:
            differences.append(f"manifest `{key}` differs from a fresh run")
    for query in manifest["smt"]:
        if query["path"] not in listed:
            differences.append(f"{query['path']}: an SMT query the manifest names but does not list")
            continue
        said = z3_answer(_read(bundle, query["path"]).decode("utf-8"))
        if said != query["expected"]:
            differences.append(f"{query['path']}: Z3 answers {said}, the bundle expects {query['expected']}")
    return Verification(tuple(differences), tuple(notes), _run_lean(bundle, manifest, lean))


def _run_lean(bundle: Path, manifest: dict, mode: str) -> ProveResult | None:
    if mode == "off" or (mode == "auto" and not runs_unasked(find_lean())):
        return None
    with contextlib.chdir(bundle):
        module = lean_module(load_any(manifest["entry"], _sdf_options(manifest)))
    with tempfile.TemporaryDirectory() as tmp:  # build outside the bundle, which stays as it is
        project = Path(tmp) / "lean"
        shutil.copytree(bundle / "lean", project)
        return prove(module, project)


def _inputs(system_path: Path, options: SdfOptions) -> tuple[dict[str, bytes], str, SdfOptions]:
    """The input files by bundle path (under inputs/), the system's own bundle path, and the SDF
    options with their files' and folders' bundle paths."""
    system = load_any(system_path, options)
    paths = [Path(system.file), *(Path(p) for p in system.policy.files)]
    if is_sdf(system_path):
        paths += [Path(options.labels)] if options.labels else []
    else:
        data = yaml.safe_load(Path(system.file).read_text(encoding="utf-8"))
        paths += [Path(system.file).parent / data[k] for k in ("sdf", "labels") if isinstance(data.get(k), str)]
    prefills, searched = _prefill_files(system, options.search_path or ())
    resolved = [p.resolve() for p in paths + prefills]
    root = Path(os.path.commonpath([p.parent for p in resolved] + [d.resolve() for d in searched]))

    def bundled(path: str | Path | None) -> str | None:
        return None if path is None else f"inputs/{Path(path).resolve().relative_to(root).as_posix()}"

    files = {bundled(p): p.read_bytes() for p in resolved}
    kept = SdfOptions(bundled(options.policy), bundled(options.labels), options.default_sid,
                      tuple(bundled(d) for d in searched) or None, options.board)
    return files, bundled(system.file), kept


def _prefill_files(system: System, search_path: tuple[str, ...]) -> tuple[list[Path], list[Path]]:
    """The files an SDF's memory regions are prefilled from, found where the SDF reader finds them
    (the SDF's folder, then the search path), and the search-path folders they were found in."""
    if system.microkit is None:
        return [], []
    folders = [Path(system.microkit.span.file).parent, *(Path(d) for d in search_path)]
    files, searched = [], []
    for mr in system.microkit.memory_regions:
        if mr.prefill_path is not None:
            folder = next(f for f in folders if (f / mr.prefill_path).exists())
            files.append(folder / mr.prefill_path)
            if folder != folders[0] and folder not in searched:
                searched.append(folder)
    return files, searched


def _options_entry(options: SdfOptions) -> dict:
    """The SDF options as the manifest records them: only what is set, the board as its changes."""
    entry = {k: v for k, v in (("policy", options.policy), ("labels", options.labels), ("default_sid", options.default_sid))
             if v is not None}
    if options.search_path:
        entry["search_path"] = list(options.search_path)
    if options.board is not None and options.board.changed():
        entry["board"] = {name: getattr(options.board, name) for name in options.board.changed()}
    return entry


def _lean_library() -> dict[str, bytes]:
    """The Lean library the instance imports, so the bundle builds on its own."""
    project = default_project()
    if not (project / "lakefile.lean").exists():
        return {}
    paths = [project / "lakefile.lean", project / "lean-toolchain", project / "SMOS.lean", *sorted((project / "SMOS").rglob("*.lean"))]
    return {f"lean/{p.relative_to(project).as_posix()}": p.read_bytes() for p in paths if p.exists()}


def z3_answer(text: str) -> str:
    """Z3's answer to a standalone SMT-LIB query, whatever its logic."""
    solver = z3.Solver()
    solver.from_string(text)
    return str(solver.check())


def _sdf_options(manifest: dict) -> SdfOptions:
    given = manifest.get("sdf_options", {})
    board = MicrokitBoard(**given["board"]) if "board" in given else None
    return SdfOptions(given.get("policy"), given.get("labels"), given.get("default_sid"),
                      tuple(given["search_path"]) if "search_path" in given else None, board)


def _is_derived(path: str) -> bool:
    return path == "report.json" or path.startswith(("lean/Instances/", "smt/", "capdl/"))


def _read_manifest(bundle: Path) -> dict:
    path = bundle / MANIFEST
    if not path.is_file():
        raise InputError(f"'{bundle}' is not a bundle: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        line = getattr(err, "lineno", 1)
        raise InputError(f"{MANIFEST} is not valid JSON: {err}", Span(str(path), line, getattr(err, "colno", 1))) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{MANIFEST} is not a {FORMAT} manifest", Span(str(path), 1, 1))
    for key in ("tool", "entry", "files", "smt", "lean"):
        if key not in manifest:
            raise InputError(f"{MANIFEST} has no `{key}`", Span(str(path), 1, 1))
    entries = manifest["files"] if isinstance(manifest["files"], list) else [None]
    smt = manifest["smt"] if isinstance(manifest["smt"], list) else [None]
    if not all(isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str) for f in entries) \
            or not all(isinstance(q, dict) and isinstance(q.get("path"), str) and isinstance(q.get("expected"), str) for q in smt) \
            or not isinstance(manifest["entry"], str) or not isinstance(manifest["tool"], dict):
        raise InputError(f"{MANIFEST}: `files` must list {{path, sha256}}, `smt` {{path, expected}}, `entry` be a path",
                         Span(str(path), 1, 1))
    if not _valid_options_entry(manifest.get("sdf_options", {})):
        raise InputError(f"{MANIFEST}: `sdf_options` maps policy, labels, default_sid to strings, search_path to a "
                         "list of strings and board to the board parameters", Span(str(path), 1, 1))
    return manifest


def _valid_options_entry(entry) -> bool:
    if not isinstance(entry, dict) or not set(entry) <= {"policy", "labels", "default_sid", "search_path", "board"}:
        return False
    board, search_path = entry.get("board", {}), entry.get("search_path", [])
    parameters = {f.name for f in dataclasses.fields(MicrokitBoard)}
    return (all(isinstance(entry[k], str) for k in ("policy", "labels", "default_sid") if k in entry)
            and isinstance(search_path, list) and all(isinstance(d, str) for d in search_path)
            and isinstance(board, dict) and set(board) <= parameters and all(isinstance(v, int) for v in board.values()))


def _present(bundle: Path) -> list[str]:
    return sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())


def _read(bundle: Path, path: str) -> bytes | None:
    target = (bundle / path).resolve()
    if bundle.resolve() not in target.parents or not target.is_file():
        return None
    return target.read_bytes()


def _write(out: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(value) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _first_difference(old: bytes, new: bytes) -> str:
    a, b = old.decode("utf-8", "replace").splitlines(), new.decode("utf-8", "replace").splitlines()
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"first at line {i}: bundle has {x.strip()[:80]!r}, fresh run {y.strip()[:80]!r}"
    return f"bundle has {len(a)} line(s), fresh run {len(b)}"
