"""A boot checked against a system: what the kernel holds against the spec emitted from the
system (BOOT-OBJECTS, BOOT-CAPS, BOOT-EXTRA), and the kernel's own authority against the model
(BOOT-CONFORM-MAP, -AUTHORITY, -CONNECTIONS).

The second part is the capDL conformance check (smosverify.analyses.capdl.conformance) run on
the kernel's view written as capDL (smosverify.image.kernel_view): every right any thread holds
in the kernel, closed under seL4's transfer rules, must be one the model's closure gives its
component, and every cap the model starts a component with must be in the kernel. The model's
closure is what P1-P7 were decided on, so a kernel within it has the properties `check` found.
Findings point at the system's elements and at the boot log lines they come from.
"""

from __future__ import annotations

from dataclasses import replace

from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.analyses.result import PropertyResult, Report
from smosverify.emit.capdl import emitted_names
from smosverify.errors import Span
from smosverify.image.conform import boot_results
from smosverify.image.kernel_view import KernelView, kernel_view
from smosverify.image.naming import name_kernel_objects
from smosverify.image.readback import BootLog
from smosverify.image.spec import Spec, with_spans
from smosverify.load.capdl.reader import parse_capdl
from smosverify.model.authority import kernel_objects
from smosverify.model.system import System

_NAMES = {"CONFORM-MAP": "Kernel objects map to the model",
          "CONFORM-AUTHORITY": "The kernel's authority is within the model's",
          "CONFORM-CONNECTIONS": "The model's caps are in the kernel"}


def conform_system_boot(system: System, spec: Spec, boot: BootLog) -> Report:
    """The BOOT-* results of `boot` against `spec` (emitted from `system`) and against the model."""
    spec = with_spans(spec, system_spans(system))
    names = name_kernel_objects(boot, spec)
    view = kernel_view(spec, boot, names)
    model = conform_capdl(system, parse_capdl(view.text, view.file))
    results = boot_results(spec, boot, names) + tuple(_in_kernel(r, view) for r in model.results)
    return Report(system.name, (system.file, *system.policy.files, boot.path), results)


def system_spans(system: System):
    """capDL name (an array element by its array) -> the span of the system element it stands for."""
    objects = kernel_objects(system)
    spans = {name: objects[target].span for name, target in emitted_names(system).items()}
    fallback = Span(system.file, 1, 1)
    return lambda name: spans.get(name.partition("[")[0], fallback)


def _in_kernel(result: PropertyResult, view: KernelView) -> PropertyResult:
    """A conformance result about the kernel's view: its own id, spans into the boot log, and
    "the spec" (as the capDL check calls what it reads) said as what it is here: the kernel."""
    evidence = tuple(replace(e, message=_kernel_words(e.message), spans=_located(e.spans, view))
                     for e in result.evidence)
    return replace(result, id=f"BOOT-{result.id}", name=_NAMES.get(result.id, result.name),
                   message=_kernel_words(result.message), evidence=evidence)


def _kernel_words(message: str) -> str:
    return message.replace("the spec's", "the kernel's").replace("the spec", "the kernel")


def _located(spans: tuple[Span, ...], view: KernelView) -> tuple[Span, ...]:
    out: list[Span] = []
    for span in spans:
        for where in (view.origins.get(span.line, ()) if span.file == view.file else (span,)):
            if where not in out:
                out.append(where)
    return tuple(out)
