"""What an analysis returns: a verdict per property, its evidence, and its certificate."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

from smosverify.errors import Span

if TYPE_CHECKING:
    from smosverify.analyses.authority.closure import AuthorityClosure
    from smosverify.analyses.dynamic.state import DynamicState
    from smosverify.analyses.flow.information import FlowFacts
    from smosverify.analyses.flow.leakage import BudgetResult

# What each property's checker can re-check: P2 and P3 the closed authority, P4 the decision table
# (request -> permitted), P5 the closed flow facts, P6 one result per budget (each with its cut or
# flow), P7 the last dynamic state explored.
Certificate = Union["AuthorityClosure", "dict[tuple[str, str, str, str], bool]", "FlowFacts",
                    "tuple[BudgetResult, ...]", "DynamicState", None]


class Status(str, Enum):
    """holds: checked and true; violated: checked and false (with evidence); unknown: checked but
    undecided; skipped: applies but was not checked; not_applicable: the system has nothing the
    property speaks of (e.g. P1 with no objects), so there was nothing to check."""

    HOLDS = "holds"
    VIOLATED = "violated"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Evidence:
    """One finding: what is wrong (or, for a holding property, what was established) and where.

    `data` is JSON-ready detail (paths, chains of grants, cuts); `spans` locate it in the input.
    """

    kind: str
    message: str
    spans: tuple[Span, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "locations": [s.to_json() for s in self.spans],
            **({"data": self.data} if self.data else {}),
        }


@dataclass(frozen=True)
class PropertyResult:
    id: str  # "P1" ... "P7", or a check's own id such as "CONFORM"
    name: str
    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()
    certificate: Certificate = None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "message": self.message,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class Report:
    """The results of one run over one system, in property order."""

    system: str
    files: tuple[str, ...]
    results: tuple[PropertyResult, ...]
    notes: tuple[str, ...] = ()  # what the run did not do and was not asked to (e.g. no Lean found)

    @property
    def verdict(self) -> Status:
        """violated if any property is; else unknown if any is undecided or was skipped (the run
        cannot claim what it did not check); else holds (not applicable counts as nothing to check)."""
        statuses = {r.status for r in self.results}
        if Status.VIOLATED in statuses:
            return Status.VIOLATED
        if statuses & {Status.UNKNOWN, Status.SKIPPED}:
            return Status.UNKNOWN
        return Status.HOLDS

    def exit_code(self) -> int:
        """0 when every property holds or is not applicable; 1 when one is violated, undecided or skipped."""
        return 0 if self.verdict is Status.HOLDS else 1
