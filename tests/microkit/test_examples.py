"""The Microkit examples: what check finds in them, and that sddf-net.system is what its
generator builds (sdfgen's sDDF API with the example's own device tree)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import EXAMPLES

ECHO = EXAMPLES / "microkit-echo"
SDDF = EXAMPLES / "sddf-net"


def report(run_cli, *args):
    result = run_cli("check", *args, "--format", "json")
    return result.exit_code, {p["id"]: p for p in json.loads(result.stdout)["properties"]}


def test_echo_holds_trusting_the_server(run_cli):
    code, props = report(run_cli, ECHO / "system.yaml")
    assert code == 0
    trust = [e for e in props["P5"]["evidence"] if e["kind"] == "trust-assumption"]
    assert sorted(e["data"]["rule"] for e in trust) == ["trusted echo_t for alice -> bob;", "trusted echo_t for bob -> alice;"]


def test_echo_leak_flows_through_the_shared_buffer(run_cli):
    code, props = report(run_cli, ECHO / "echo-leak.system", "--policy", ECHO / "echo.pol", "--labels", ECHO / "labels.yaml")
    assert code == 1 and props["P5"]["status"] == "violated"
    assert props["P3"]["status"] == "holds"  # the access rules allow the map: only the flow policy catches it
    (flow,) = [e for e in props["P5"]["evidence"] if e["kind"] == "forbidden-flow"]
    assert (flow["data"]["source"], flow["data"]["sink"]) == ("alice", "bob")
    assert [hop.split(":")[0] for hop in flow["data"]["path"]] == ["alice -> buf_alice", "buf_alice -> bob"]
    assert any(loc["line"] == 24 for loc in flow["locations"])  # bob's <map> of buf_alice


@pytest.mark.parametrize("variant,code,through", [
    ("untrusted.yaml", 1, "net_virt_tx"),
    ("virtualisers-only.yaml", 1, "alice_net_copier"),
    ("system.yaml", 0, None),
])
def test_sddf_net_with_and_without_trusted_virtualisers(variant, code, through, run_cli):
    exit_code, props = report(run_cli, SDDF / variant)
    assert exit_code == code
    flows = [e for e in props["P5"]["evidence"] if e["kind"] == "forbidden-flow"]
    trust = {(e["data"]["component"], e["data"]["rule"]) for e in props["P5"]["evidence"] if e["kind"] == "trust-assumption"}
    if through is None:
        assert props["P5"]["status"] == "holds" and not flows
        assert {c for c, _ in trust} == {"alice_net_copier", "bob_net_copier", "net_virt_tx", "serial_virt_rx", "serial_virt_tx"}
    else:
        assert {(f["data"]["source"], f["data"]["sink"]) for f in flows} == {("alice", "bob.notification"), ("bob", "alice.notification")}
        assert any(hop.startswith(through) or f" -> {through}:" in hop for f in flows for hop in f["data"]["path"])
    for prop in ("P3", "P4"):
        assert props[prop]["status"] == "holds", prop
    assert props["P1"]["status"] == "not_applicable"  # no PD of sddf-net implements objects: nothing to mediate


@pytest.mark.skipif(shutil.which("dtc") is None, reason="needs dtc (Debian package device-tree-compiler)")
def test_the_generator_builds_the_committed_sdf(tmp_path):
    out = tmp_path / "sddf-net.system"
    subprocess.run([sys.executable, SDDF / "generate.py", "--out", out], check=True, capture_output=True)
    assert out.read_text() == (SDDF / "sddf-net.system").read_text()
