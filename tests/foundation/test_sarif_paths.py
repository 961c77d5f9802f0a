"""SARIF paths as GitHub code scanning expects them: relative to the repository root under the
uriBaseId %SRCROOT% (declared in originalUriBaseIds), wherever in the repository the command runs;
files outside the repository as absolute file URIs."""

from __future__ import annotations

import json

import pytest

from smosverify.report.sarif import SRCROOT


@pytest.fixture
def repo(tmp_path, write_system, small_yaml, base_policy, monkeypatch):
    """A git work tree with the small system (no rules: P3 is violated at each connection) in
    ci/sys/, and the command run from ci/."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    folder = tmp_path / "repo" / "ci" / "sys"
    folder.mkdir(parents=True)
    write_system(folder, small_yaml, base_policy)
    monkeypatch.chdir(tmp_path / "repo" / "ci")
    return tmp_path / "repo"


def _sarif(run_cli, system) -> dict:
    result = run_cli("check", system, "--format", "sarif", "--lean", "off")
    assert result.exit_code == 1, result.output
    (run,) = json.loads(result.stdout)["runs"]
    return run


def _locations(run) -> list[dict]:
    return [loc["physicalLocation"]["artifactLocation"] for r in run["results"]
            for loc in r.get("locations", []) + r.get("relatedLocations", [])]


def test_paths_are_relative_to_the_repository_root(run_cli, repo):
    run = _sarif(run_cli, "sys/system.yaml")
    assert run["originalUriBaseIds"] == {SRCROOT: {"uri": repo.as_uri() + "/"}}
    artifacts = [a["location"] for a in run["artifacts"]]
    assert {"uri": "ci/sys/system.yaml", "uriBaseId": SRCROOT} in artifacts
    assert {"uri": "ci/sys/policy.pol", "uriBaseId": SRCROOT} in artifacts
    locations = _locations(run)
    assert locations and all(loc == {"uri": "ci/sys/system.yaml", "uriBaseId": SRCROOT} for loc in locations
                             if loc["uri"].endswith("system.yaml"))
    assert {loc["uri"] for loc in locations} <= {"ci/sys/system.yaml", "ci/sys/policy.pol"}


def test_the_same_paths_from_anywhere_in_the_repository(run_cli, repo, monkeypatch):
    def paths(run):
        return run["originalUriBaseIds"], run["artifacts"], _locations(run)

    from_ci = paths(_sarif(run_cli, "sys/system.yaml"))
    monkeypatch.chdir(repo)
    assert paths(_sarif(run_cli, "ci/sys/system.yaml")) == from_ci
    monkeypatch.chdir(repo / "ci" / "sys")
    assert paths(_sarif(run_cli, "system.yaml")) == from_ci


def test_a_file_outside_the_repository_is_an_absolute_uri(run_cli, repo, base_policy):
    outside = repo.parent / "shared.pol"
    outside.write_text("sid extra_t;\n", encoding="utf-8")
    policy = repo / "ci" / "sys" / "policy.pol"
    policy.write_text(base_policy + 'import "../../../shared.pol";\n', encoding="utf-8")
    artifacts = [a["location"] for a in _sarif(run_cli, "sys/system.yaml")["artifacts"]]
    assert {"uri": outside.as_uri()} in artifacts


def test_names_are_uri_encoded(run_cli, repo):
    spaced = repo / "ci" / "my system"
    (repo / "ci" / "sys").rename(spaced)
    locations = _locations(_sarif(run_cli, "my system/system.yaml"))
    assert {loc["uri"] for loc in locations} <= {"ci/my%20system/system.yaml", "ci/my%20system/policy.pol"}


def test_outside_any_repository_paths_are_relative_to_the_working_directory(tmp_path, run_cli, write_system,
                                                                             small_yaml, base_policy, monkeypatch):
    write_system(tmp_path, small_yaml, base_policy)
    monkeypatch.chdir(tmp_path)
    run = _sarif(run_cli, "system.yaml")
    assert {"uri": "system.yaml", "uriBaseId": SRCROOT} in [a["location"] for a in run["artifacts"]]
    assert run["originalUriBaseIds"][SRCROOT]["uri"] == tmp_path.as_uri() + "/"
