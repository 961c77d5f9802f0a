"""SARIF 2.1.0: one rule per property, one result per piece of evidence of a violated property."""

from __future__ import annotations

import json
import os
from pathlib import Path

from smosverify import __version__
from smosverify.analyses.result import Report, Status
from smosverify.errors import Span
from smosverify.properties import info

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Status.VIOLATED: "error", Status.UNKNOWN: "warning"}


def _uri(file: str) -> str:
    path = Path(file)
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_uri()


def _location(span: Span) -> dict:
    region = {"startLine": span.line, "startColumn": span.col}
    if span.end_line is not None:
        region.update(endLine=span.end_line, endColumn=span.end_col)
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(span.file)}, "region": region}}


def report_to_sarif(report: Report) -> dict:
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
                "locations": [_location(s) for s in ev.spans[:1]],
                "relatedLocations": [dict(_location(s), id=i) for i, s in enumerate(ev.spans[1:], 1)],
                "properties": {"kind": ev.kind, **ev.data},
            })
        if not findings:
            results.append({"ruleId": result.id, "ruleIndex": index, "level": LEVEL[result.status], "message": {"text": result.message}})
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "smosverify", "version": __version__, "informationUri": "https://smosverify.dev", "rules": rules}},
            "artifacts": [{"location": {"uri": _uri(f)}} for f in report.files],
            "results": results,
        }],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(report_to_sarif(report), indent=2, ensure_ascii=False) + "\n"
