"""Every command takes every kind of system, and `-o` means one thing in all of them (issue 13).

The expected results come from what the example systems mean, not from a run of the tool:
examples/microkit-echo/echo.system, bound by its labels, holds every property (two clients call a
trusted echo server, each with its own buffer); echo-leak.system is the same SDF where bob also
maps alice's buffer with read, so information can go alice -> buf_alice -> bob (P5 violated), and
bob holds a cap on buf_alice's frames that echo.system's model does not give him.
examples/microkit-echo/system.yaml names echo.system, echo.pol and labels.yaml itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smosverify.emit.capdl import emit_capdl
from smosverify.load.any import SdfOptions, load_any
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
ECHO = REPO / "examples" / "microkit-echo"
SDF, LEAK, WRAPPED = ECHO / "echo.system", ECHO / "echo-leak.system", ECHO / "system.yaml"
BINDING = ("--policy", ECHO / "echo.pol", "--labels", ECHO / "labels.yaml")
OPTIONS = SdfOptions(str(ECHO / "echo.pol"), str(ECHO / "labels.yaml"))
PINK = REPO / "examples" / "pink-file" / "system.yaml"
X86_LOG = REPO / "tests" / "image" / "data" / "fail-p1-frames.x86_64.log"


def statuses(result) -> dict[str, str]:
    return {p["id"]: p["status"] for p in json.loads(result.stdout)["properties"]}


@pytest.fixture(scope="module")
def echo_spec(tmp_path_factory) -> Path:
    """echo.system as capDL, for the commands that also take a spec."""
    path = tmp_path_factory.mktemp("spec") / "echo.cdl"
    path.write_text(emit_capdl(load_any(SDF, OPTIONS)), encoding="utf-8")
    return path


def invocation(command: str, system: Path, tmp_path: Path, spec: Path) -> list:
    """`command` run on `system`, writing under tmp_path; the SDF options are added by the caller."""
    return {
        "check": ["check", system],
        "graph": ["graph", system, "-o", tmp_path / "g.dot"],
        "emit capdl": ["emit", "capdl", system, "-o", tmp_path / "s.cdl"],
        "emit lean": ["emit", "lean", system, "-o", tmp_path / "S.lean"],
        "emit smt": ["emit", "smt", system, "-o", tmp_path / "smt"],
        "emit yaml": ["emit", "yaml", system, "-o", tmp_path / "s.yaml"],
        "emit microkit": ["emit", "microkit", system, "-o", tmp_path / "s.system"],
        "diff": ["diff", system, system],
        "bundle": ["bundle", system, "-o", tmp_path / "bundle"],
        "conform": ["conform", system, spec],
        "image build": ["image", "build", system, "--sel4", tmp_path / "no-workspace", "-o", tmp_path / "image"],
        "image conform": ["image", "conform", system, X86_LOG],
    }[command]


COMMANDS = ["check", "graph", "emit capdl", "emit lean", "emit smt", "emit yaml", "emit microkit", "diff", "bundle",
            "conform", "image build", "image conform"]


# -- the options, the same in every command ---------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_an_sdf_without_a_policy_is_refused_by_every_command(command, run_cli, tmp_path, echo_spec):
    result = run_cli(*invocation(command, SDF, tmp_path, echo_spec))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: {SDF}: an SDF names no policy; pass --policy POLICY\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_sdf_options_with_a_yaml_system_are_refused_by_every_command(command, run_cli, tmp_path, echo_spec):
    result = run_cli(*invocation(command, PINK, tmp_path, echo_spec), "--default-sid", "alice_t")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--default-sid goes with a Microkit SDF (.system, .xml); a YAML system names its policy and labels itself" in result.stderr
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_lists_the_sdf_options(command, run_cli):
    shown = run_cli(*command.split(), "--help").stdout
    assert all(option in shown for option in ("--policy", "--labels", "--default-sid"))


# -- each command on the SDF, as `check` reads it ---------------------------------------------------

def test_check(run_cli):
    assert run_cli("check", SDF, *BINDING, "--lean", "off").exit_code == 0
    leak = run_cli("check", LEAK, *BINDING, "--lean", "off", "--format", "json")
    assert leak.exit_code == 1 and statuses(leak)["P5"] == "violated"


def test_graph_draws_the_flow_through_bobs_extra_mapping(run_cli, tmp_path):
    for system, name in ((SDF, "echo.dot"), (LEAK, "leak.dot")):
        assert run_cli("graph", system, *BINDING, "--view", "flow", "-o", tmp_path / name).exit_code == 0
    arrow = '"region:buf_alice" -> "component:bob"'
    assert arrow not in (tmp_path / "echo.dot").read_text()
    assert arrow in (tmp_path / "leak.dot").read_text()


def test_emit_capdl_and_conform(run_cli, tmp_path):
    echo, leak = tmp_path / "echo.cdl", tmp_path / "leak.cdl"
    assert run_cli("emit", "capdl", SDF, *BINDING, "-o", echo).exit_code == 0
    assert run_cli("emit", "capdl", LEAK, *BINDING, "-o", leak).exit_code == 0
    assert echo.is_file() and leak.is_file()
    assert run_cli("conform", SDF, echo, *BINDING).exit_code == 0
    extra = run_cli("conform", SDF, leak, *BINDING, "--format", "json")  # bob's cap on buf_alice is not echo's
    assert extra.exit_code == 1 and statuses(extra)["CONFORM-AUTHORITY"] == "violated"


def test_emit_lean_claims_nothing_the_sdf_violates(run_cli, tmp_path):
    out = tmp_path / "EchoLeak.lean"
    result = run_cli("emit", "lean", LEAK, *BINDING, "-o", out)
    assert result.exit_code == 0
    assert "namespace Instances.EchoLeak" in out.read_text()
    claims = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  P")}
    assert "not claimed: the analysis found it violated" in claims["P5"]
    assert claims["P3"].endswith(": claimed")


def test_emit_smt_writes_the_queries_of_the_sdfs_policy(run_cli, tmp_path):
    """The SDF with its options and the YAML system naming the same SDF, policy and labels ask the
    same questions."""
    assert run_cli("emit", "smt", SDF, *BINDING, "-o", tmp_path / "sdf").exit_code == 0
    assert run_cli("emit", "smt", WRAPPED, "-o", tmp_path / "yaml").exit_code == 0
    written = sorted(p.name for p in (tmp_path / "sdf").iterdir())
    assert "index.txt" in written and len(written) > 1
    assert written == sorted(p.name for p in (tmp_path / "yaml").iterdir())
    for name in written:
        if name != "index.txt":
            assert (tmp_path / "sdf" / name).read_text() == (tmp_path / "yaml" / name).read_text()


def test_emit_yaml_names_the_sdf_and_binds_every_element(run_cli, tmp_path):
    out = tmp_path / "leak.yaml"
    assert run_cli("emit", "yaml", LEAK, *BINDING, "-o", out).exit_code == 0
    lines = out.read_text().splitlines()
    assert f"sdf: {os.path.relpath(LEAK, tmp_path)}" in lines and "    buf_alice: client_buf_t" in lines
    back, sdf = load_system(out), load_any(LEAK, OPTIONS)
    assert back.microkit == sdf.microkit  # the same SDF, read from the same file
    assert {n: (c.sid, c.role) for n, c in back.components.items()} == {n: (c.sid, c.role) for n, c in sdf.components.items()}
    assert {n: r.sid for n, r in back.regions.items()} == {n: r.sid for n, r in sdf.regions.items()}
    again = run_cli("check", out, "--lean", "off", "--format", "json")
    assert again.exit_code == 1 and statuses(again) == statuses(run_cli("check", LEAK, *BINDING, "--lean", "off", "--format", "json"))


def test_emit_microkit_of_an_sdf_reads_back_with_its_labels(run_cli, tmp_path):
    out, labels = tmp_path / "out.system", tmp_path / "labels.yaml"
    assert run_cli("emit", "microkit", LEAK, *BINDING, "-o", out, "--labels-out", labels).exit_code == 0
    again = run_cli("check", out, "--policy", ECHO / "echo.pol", "--labels", labels, "--lean", "off", "--format", "json")
    assert again.exit_code == 1 and statuses(again)["P5"] == "violated"


def test_diff_of_two_sdfs_and_of_a_yaml_system_and_an_sdf(run_cli):
    wider = run_cli("diff", SDF, LEAK, *BINDING, "--format", "json")
    assert wider.exit_code == 1
    assert [c["area"] for c in json.loads(wider.stdout)["changes"] if c["wider"]] == ["P5"]
    assert run_cli("diff", LEAK, SDF, *BINDING).exit_code == 0  # dropping bob's mapping permits nothing new
    mixed = run_cli("diff", WRAPPED, LEAK, *BINDING)  # the options bind the side that is an SDF
    assert mixed.exit_code == 1 and "P5 newly violated" in mixed.stdout


def test_bundle_of_an_sdf_records_its_options_and_verifies(run_cli, tmp_path):
    out = tmp_path / "bundle"
    made = run_cli("bundle", SDF, *BINDING, "-o", out)
    assert made.exit_code == 0 and "verdict: holds" in made.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["entry"] == "inputs/echo.system"
    assert manifest["sdf_options"] == {"policy": "inputs/echo.pol", "labels": "inputs/labels.yaml"}
    assert {"inputs/echo.system", "inputs/echo.pol", "inputs/labels.yaml"} <= {f["path"] for f in manifest["files"]}
    verified = run_cli("verify-bundle", out, "--lean", "off")
    assert verified.exit_code == 0, verified.output


def test_image_commands_read_the_sdf(run_cli, tmp_path):
    """No seL4 workspace or capDL-tool here: what shows the SDF was read is how far each gets."""
    build = run_cli("image", "build", SDF, *BINDING, "--sel4", tmp_path / "none", "-o", tmp_path / "image")
    assert build.exit_code == 3 and "seL4 workspace" in build.stderr
    conform = run_cli("image", "conform", SDF, X86_LOG, *BINDING)
    assert "echo is an aarch64 system; emitting its capDL for x86_64" in conform.stderr
    assert conform.exit_code != 2, conform.stderr


# -- `-o`: a file where one file is written, a directory where several are --------------------------

ONE_FILE = ["check", "graph", "emit capdl", "emit lean", "emit yaml", "emit microkit", "diff", "conform"]
SEVERAL = ["emit smt", "bundle", "image build"]


def with_output(command: str, out: Path, tmp_path: Path, spec: Path) -> list:
    args = invocation(command, PINK, tmp_path, spec)
    if "-o" in args:
        args = args[: args.index("-o")]
    return [*args, "-o", out]


@pytest.mark.parametrize("command", ONE_FILE)
def test_a_directory_as_the_one_file_is_refused(command, run_cli, tmp_path, echo_spec):
    for out in (tmp_path, f"{tmp_path / 'new'}/"):
        result = run_cli(*with_output(command, out, tmp_path, echo_spec))
        assert result.exit_code == 2 and result.stdout == ""
        assert f"'{out}' is a directory; smosverify {command} writes one file, so -o names that file" in result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", SEVERAL)
def test_a_file_as_the_directory_is_refused(command, run_cli, tmp_path, echo_spec):
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    result = run_cli(*with_output(command, taken, tmp_path, echo_spec))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"'{taken}' is a file; smosverify {command} writes several files, so -o names a directory" in result.stderr
    assert taken.read_text() == "keep me"


def test_image_boot_log_is_one_file(run_cli, tmp_path):
    result = run_cli("image", "boot", tmp_path, "-o", tmp_path)
    assert result.exit_code == 2 and "writes one file, so -o names that file" in result.stderr


@pytest.mark.parametrize("command,name", [("capdl", "pink.cdl"), ("lean", "PinkFile.lean")])
def test_emit_writes_the_file_it_is_given(command, name, run_cli, tmp_path):
    """Found: `emit capdl -o x.cdl` made a directory x.cdl/ and wrote into it."""
    out = tmp_path / name
    assert run_cli("emit", command, PINK, "-o", out).exit_code == 0
    assert out.is_file() and [p.name for p in tmp_path.iterdir()] == [name]


def test_one_file_is_not_given_missing_folders(run_cli, tmp_path):
    out = tmp_path / "no" / "such" / "pink.cdl"
    result = run_cli("emit", "capdl", PINK, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot write the capDL spec of pink-file (x86_64) to '{out}'")
    assert not (tmp_path / "no").exists()


def test_a_directory_is_made_when_missing(run_cli, tmp_path):
    out = tmp_path / "a" / "b"
    assert run_cli("emit", "smt", PINK, "-o", out).exit_code == 0
    assert (out / "index.txt").is_file()


# -- every writer says on stderr what it wrote ------------------------------------------------------

WRITERS = [
    (["check", PINK, "--lean", "off"], "report.txt", "the report"),
    (["graph", PINK], "g.dot", "the authority graph ("),
    (["emit", "capdl", PINK], "pink.cdl", "the capDL spec of pink-file (x86_64)"),
    (["emit", "lean", PINK], "PinkFile.lean", "the Lean module Instances.PinkFile"),
    (["emit", "smt", PINK], "smt", "SMT-LIB quer"),
    (["emit", "yaml", PINK], "pink.yaml", "the YAML system pink-file"),
    (["emit", "microkit", PINK], "pink.system", "the SDF of pink-file"),
    (["diff", PINK, PINK], "diff.txt", "the comparison"),
    (["bundle", PINK], "bundle", "the bundle ("),
]


@pytest.mark.parametrize("args,name,what", WRITERS, ids=[" ".join(str(a) for a in w[0][:2]) for w in WRITERS])
def test_every_writer_says_what_it_wrote(args, name, what, run_cli, tmp_path):
    out = tmp_path / name
    result = run_cli(*args, "-o", out)
    assert result.exit_code in (0, 1), result.output
    wrote = [line for line in result.stderr.splitlines() if line.startswith("wrote ")]
    assert len(wrote) == 1 and what in wrote[0] and wrote[0].endswith(f" to {out}")
    assert "wrote" not in result.stdout
    assert out.exists()


def test_bundle_of_an_sdf_carries_its_prefill_files_search_path_and_board(run_cli, tmp_path):
    """A region prefilled from a file found on --search-path, and a board with two cores: the
    bundle holds the file, records where it is looked for and the board, and re-checks."""
    sdf_dir, data = tmp_path / "sdf", tmp_path / "data"
    sdf_dir.mkdir()
    data.mkdir()
    (data / "table.bin").write_bytes(b"\x01" * 100)
    text = SDF.read_text().replace('<memory_region name="buf_bob" size="0x1000" />',
                                   '<memory_region name="buf_bob" size="0x1000" prefill_path="table.bin" />')
    (sdf_dir / "echo.system").write_text(text)
    for name in ("echo.pol", "labels.yaml"):
        (sdf_dir / name).write_text((ECHO / name).read_text())
    args = ["--policy", sdf_dir / "echo.pol", "--labels", sdf_dir / "labels.yaml", "--search-path", data, "--cores", "2"]
    assert run_cli("check", sdf_dir / "echo.system", *args[:4], "--lean", "off").exit_code == 2  # not found without it
    out = tmp_path / "bundle"
    made = run_cli("bundle", sdf_dir / "echo.system", *args, "-o", out)
    assert made.exit_code == 0, made.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sdf_options"]["search_path"] == ["inputs/data"] and manifest["sdf_options"]["board"] == {"cores": 2}
    assert (out / "inputs" / "data" / "table.bin").read_bytes() == b"\x01" * 100
    assert run_cli("verify-bundle", out, "--lean", "off").exit_code == 0
    (out / "inputs" / "data" / "table.bin").write_bytes(b"\x02" * 100)
    changed = run_cli("verify-bundle", out, "--lean", "off")
    assert changed.exit_code == 1 and "inputs/data/table.bin: SHA-256 differs" in changed.stdout


def test_board_options_reach_every_command(run_cli, tmp_path):
    """echo.system has three protection domains: a board allowing two refuses it everywhere."""
    for command in ("check", "graph", "emit capdl", "bundle"):
        result = run_cli(*invocation(command, SDF, tmp_path, SDF), *BINDING, "--max-pds", "2")
        assert result.exit_code == 2 and str(SDF) in result.stderr, (command, result.output)


def test_emit_yaml_refuses_what_the_yaml_format_cannot_say(run_cli, tmp_path):
    """A YAML system naming an SDF is read with Microkit's default board and no search path."""
    out = tmp_path / "echo.yaml"
    result = run_cli("emit", "yaml", SDF, *BINDING, "--cores", "2", "--search-path", tmp_path, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr == (f"error: {SDF}: a YAML system has no place for --search-path, --cores; keep the SDF and "
                             "pass them to each command instead\n")
