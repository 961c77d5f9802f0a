"""One renderer per report format: text for people, JSON for programs, SARIF for code scanning."""

from __future__ import annotations

from smosverify.analyses.result import Report
from smosverify.report.json_report import render_json
from smosverify.report.sarif import render_sarif
from smosverify.report.text import render_text

RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
