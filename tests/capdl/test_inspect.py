"""`capdl inspect`'s authority: listed once per class of threads whose CSpaces merge, so the JSON
grows with the spec, not with threads x objects; each thread's own edges on request."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smosverify.analyses.capdl.authority import spec_authority
from smosverify.cli import main
from smosverify.load.capdl.reader import parse_capdl
from smosverify.report.capdl_inspect import inspect_summary, thread_authority

from .conftest import ALL_CONSTRUCTS, SPECS
from .test_capdl_rules import POOL


def hub_spec(n: int) -> str:
    """n threads whose CNodes each hold send, receive and grant on one endpoint: by the grant rule
    every CNode passes its caps to every other, so every thread can come to hold every cap."""
    objects = ["  hub = ep"] + [f"  t{i} = tcb\n  cn{i} = cnode (4 bits)\n  ep{i} = ep\n  f{i} = frame (4k)" for i in range(n)]
    caps = [f"  t{i} {{ cspace: cn{i}  ipc_buffer_slot: f{i} (RW) }}\n  cn{i} {{ 0: hub (RWG)  1: ep{i} (R) }}" for i in range(n)]
    return "\n".join(["arch x86_64", "objects {", *objects, "}", "caps {", *caps, "}", ""])


def united(*edge_lists) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for edges in edge_lists:
        for e in edges:
            out.setdefault(e["object"], set()).update(e["rights"])
    return out


def test_merged_threads_share_one_class():
    n = 30
    spec = parse_capdl(hub_spec(n), "hub.cdl")
    summary = inspect_summary(spec, spec_authority(spec))
    [one] = summary["authority"]["classes"]
    assert one["threads"] == n and {t["class"] for t in summary["authority"]["threads"]} == {0}
    # The class holds the hub and every thread's endpoint: n + 1 objects, listed once, not n times.
    assert {e["object"] for e in one["authority"]} == {"hub"} | {f"ep{i}" for i in range(n)}
    assert all(t["uses"] == [{"object": f"f{i}", "type": "frame", "rights": ["read", "write"]}]
               for i, t in enumerate(summary["authority"]["threads"]))
    # Each thread obtains receive on every other thread's endpoint: n * (n - 1) edges a thread-by-thread list would repeat.
    mine = {e["object"]: e for e in thread_authority(spec, spec_authority(spec), "t0")["authority"]}
    assert mine["ep1"]["obtained"] == ["receive"] and mine["ep0"]["obtained"] == []


def test_json_grows_with_the_spec_not_with_threads_times_objects():
    sizes = [len(json.dumps(inspect_summary(spec, spec_authority(spec))))
             for spec in (parse_capdl(hub_spec(n), "hub.cdl") for n in (50, 200))]
    assert sizes[1] < 5 * sizes[0]  # 4x the threads: 16x the edges, thread by thread


@pytest.mark.parametrize("text", [POOL, hub_spec(5), *(p.read_text() for p in [*ALL_CONSTRUCTS.values(), SPECS / "camkes_style.cdl"])],
                         ids=["pool", "hub", *ALL_CONSTRUCTS, "camkes"])
def test_class_and_uses_give_each_threads_closed_authority(text):
    """What the summary says of a thread (its class's authority united with what it uses, and the
    CNodes of its CSpace) is its closed authority and its CSpace, object by object and right by right."""
    spec = parse_capdl(text, "t.cdl")
    auth = spec_authority(spec)
    summary = inspect_summary(spec, auth)
    classes = summary["authority"]["classes"]
    assert sum(c["threads"] for c in classes) == sum(t["class"] is not None for t in summary["authority"]["threads"])
    for t in summary["authority"]["threads"]:
        shared = classes[t["class"]]["authority"] if t["class"] is not None else []
        assert united(shared, t["uses"]) == {obj: {r.value for r in rights} for obj, rights in auth.final[t["thread"]].items()}
        assert t["cspace"] == list(auth.cspaces[t["thread"]])
        one = thread_authority(spec, auth, t["thread"])
        assert united(one["authority"]) == united(shared, t["uses"]) and one["class"] == t["class"]


def test_text_summary_is_short_and_one_thread_is_listed_in_full(tmp_path):
    path = tmp_path / "hub.cdl"
    path.write_text(hub_spec(200))
    summary = CliRunner().invoke(main, ["capdl", "inspect", str(path)])
    assert summary.exit_code == 0
    assert "authority: 200 threads in 1 class" in summary.output and "... and 150 more threads" in summary.output
    assert len(summary.output.splitlines()) < 200
    one = CliRunner().invoke(main, ["capdl", "inspect", str(path), "--thread", "t7"])
    assert one.exit_code == 0 and "t7 -> ep8: receive*" in one.output and "t7 -> ep7: receive\n" in one.output
    assert len(one.output.splitlines()) == 1 + 202  # the hub, 200 endpoints, its frame

