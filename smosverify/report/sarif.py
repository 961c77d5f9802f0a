"""SARIF 2.1.0: one rule per property, one result per piece of evidence of a violated property;
paths relative to the repository root under the uriBaseId %SRCROOT%, as GitHub code scanning wants."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from smosverify import __version__
from smosverify.analyses.result import Report, Status
from smosverify.errors import Span
from smosverify.properties import info

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Status.VIOLATED: "error", Status.UNKNOWN: "warning"}
SRCROOT = "%SRCROOT%"  # the uriBaseId of every path inside the repository


def repository_root() -> Path:
    """What code scanning resolves paths against: the git work tree that holds the working
    directory (found by its `.git`, a folder or, in worktrees and submodules, a file), or else
    the working directory itself."""
    cwd = Path.cwd()
    return next((p for p in (cwd, *cwd.parents) if (p / ".git").exists()), cwd)


def _artifact(file: str, root: Path) -> dict:
    """A file inside the repository as a path relative to its root under SRCROOT (GitHub's code
    scanning needs that form); any other file as an absolute file URI."""
    path = Path(os.path.abspath(file))
    try:
        relative = path.relative_to(root)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _location(span: Span, root: Path) -> dict:
    region = {"startLine": span.line, "startColumn": span.col}
    if span.end_line is not None:
        region.update(endLine=span.end_line, endColumn=span.end_col)
    return {"physicalLocation": {"artifactLocation": _artifact(span.file, root), "region": region}}


def report_to_sarif(report: Report, root: Path | None = None) -> dict:
    """The SARIF log of `report`, paths relative to `root` (default: repository_root())."""
    root = repository_root() if root is None else root
    rules = []
    results = []
    for index, result in enumerate(report.results):
        p = info(result.id, result.name)
        rules.append({
            "id": result.id,
            "name": p.name.title().replace(" ", "").replace("-", ""),
            "shortDescription": {"text": p.name},
            "fullDescription": {"text": p.definition},
            "defaultConfiguration": {"level": "error"},
        })
        if result.status not in LEVEL:
            continue
        findings = result.evidence or ()
        for ev in findings:
            results.append({
                "ruleId": result.id,
                "ruleIndex": index,
                "level": LEVEL[result.status],
                "message": {"text": ev.message},
                "locations": [_location(s, root) for s in ev.spans[:1]],
                "relatedLocations": [dict(_location(s, root), id=i) for i, s in enumerate(ev.spans[1:], 1)],
                "properties": {"kind": ev.kind, **ev.data},
            })
        if not findings:
            results.append({"ruleId": result.id, "ruleIndex": index, "level": LEVEL[result.status], "message": {"text": result.message}})
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "smosverify", "version": __version__, "informationUri": "https://smosverify.dev", "rules": rules}},
            "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
            "artifacts": [{"location": _artifact(f, root)} for f in report.files],
            "results": results,
        }],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(report_to_sarif(report), indent=2, ensure_ascii=False) + "\n"
