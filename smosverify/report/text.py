"""The report for people: one block per property, what holds, what is violated, why and where."""

from __future__ import annotations

from smosverify.analyses.result import Report, Status

MARK = {Status.HOLDS: "holds", Status.VIOLATED: "VIOLATED", Status.UNKNOWN: "unknown", Status.SKIPPED: "skipped",
        Status.NOT_APPLICABLE: "not applicable"}
MAX_SHOWN = 20


def render_text(report: Report) -> str:
    lines = [f"{report.system}: {_verdict(report)}", f"  files: {', '.join(report.files)}"]
    lines += [f"  note: {note}" for note in report.notes] + [""]
    for r in report.results:
        lines.append(f"{r.id} {r.name}: {MARK[r.status]}")
        lines.append(f"    {r.message}")
        if r.status in (Status.HOLDS, Status.NOT_APPLICABLE):
            continue
        for ev in r.evidence[:MAX_SHOWN]:
            lines.append(f"  - {ev.message}")
            for span in ev.spans:
                lines.append(f"      at {span}")
            for i, step in enumerate(ev.data.get("chain", ()), 1):
                lines.append(f"      {i}. {step}")
            for i, step in enumerate(ev.data.get("path", ()), 1):
                lines.append(f"      {i}. {step}")
        if len(r.evidence) > MAX_SHOWN:
            lines.append(f"  ... and {len(r.evidence) - MAX_SHOWN} more (all of them in --format json)")
    return "\n".join(lines) + "\n"


def _verdict(report: Report) -> str:
    violated = [r.id for r in report.results if r.status is Status.VIOLATED]
    if violated:
        return f"VIOLATED ({', '.join(violated)})"
    unknown = [r.id for r in report.results if r.status is Status.UNKNOWN]
    skipped = [r.id for r in report.results if r.status is Status.SKIPPED]
    if unknown or skipped:
        parts = ([f"undecided: {', '.join(unknown)}"] if unknown else []) + (
            [f"not checked: {', '.join(skipped)}"] if skipped else [])
        return f"NOT ESTABLISHED ({'; '.join(parts)})"
    held = [r.id for r in report.results if r.status is Status.HOLDS]
    absent = [r.id for r in report.results if r.status is Status.NOT_APPLICABLE]
    if not held:
        return "nothing to check (every property is not applicable)"
    if absent:
        return f"{', '.join(held)} hold; not applicable: {', '.join(absent)}"
    return "all properties hold"

