"""The stable JSON report (docs/report-formats.md): verdict, files, properties with evidence."""

from __future__ import annotations

import json

from smosverify import __version__
from smosverify.analyses.result import Report


def report_to_json(report: Report) -> dict:
    return {
        "tool": {"name": "smosverify", "version": __version__},
        "system": report.system,
        "verdict": report.verdict.value,
        "files": list(report.files),
        "properties": [r.to_json() for r in report.results],
        "notes": list(report.notes),
    }


def render_json(report: Report) -> str:
    return json.dumps(report_to_json(report), indent=2, ensure_ascii=False) + "\n"
