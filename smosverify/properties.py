"""The catalogue of properties: one id, name and definition each, shared by reports and docs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PropertyInfo:
    id: str
    name: str
    definition: str


CATALOGUE: dict[str, PropertyInfo] = {
    p.id: p
    for p in (
        PropertyInfo("P1", "complete mediation",
                     "Every way a subject can cause an operation on an object goes through the object's server, "
                     "that server consults the policy server, nobody else holds caps to its backing resources or "
                     "receives on its endpoint, and callers the policy treats differently never share a badge."),
        PropertyInfo("P2", "tamper-proofness",
                     "Nobody but the component itself holds or can obtain caps to the TCB, CNode, VSpace or frames "
                     "of the policy server or of a trusted component, or receive on its endpoint (the root task "
                     "included, unless it gives up its caps at boot)."),
        PropertyInfo("P3", "authority conformance",
                     "Every authority edge the system can ever have (initial caps closed under seL4's transfer "
                     "rules, caps one by one) is permitted by the policy, and no borrowed badge opens more than "
                     "its holder's own sid may."),
        PropertyInfo("P4", "decision correctness and policy sanity",
                     "The policy server's decisions are the policy's; no allow rule is cancelled by denies and "
                     "no neverallow is violated."),
        PropertyInfo("P5", "information-flow security",
                     "Every source-to-sink path of the flow graph derived from authority is allowed by the flow policy."),
        PropertyInfo("P6", "leakage bound",
                     "For each budget A -> B <= k bits, a cut of capacity at most k separates sources labelled A "
                     "from sinks labelled B."),
        PropertyInfo("P7", "dynamic safety",
                     "The initial state satisfies P1-P6 and every permitted dynamic step preserves them."),
        PropertyInfo("LEAN", "Lean proof",
                     "Lean checked the emitted theorems (no row when Lean was not run: the report has a note)."),
        PropertyInfo("CONFORM-MAP", "capDL objects map to the model",
                     "Every object of the capDL spec maps to a model element, by emitted name or the mapping file."),
        PropertyInfo("CONFORM-AUTHORITY", "capDL authority within the model",
                     "Every cap of the spec, closed under seL4's transfer rules one cap at a time, is one the "
                     "model's closure has (rights and badge included)."),
        PropertyInfo("CONFORM-CONNECTIONS", "model caps present in capDL",
                     "Every cap the model's components start with is present in the spec."),
        PropertyInfo("BOOT-CONFORM-MAP", "kernel objects map to the model",
                     "After boot, every object the kernel holds maps to a model element."),
        PropertyInfo("BOOT-CONFORM-AUTHORITY", "kernel authority within the model",
                     "After boot, every authority edge of what the kernel holds, closed under seL4's transfer "
                     "rules, is one the model's closure has."),
        PropertyInfo("BOOT-CONFORM-CONNECTIONS", "model caps present in the kernel",
                     "After boot, every cap the model's components start with is held in the kernel."),
        PropertyInfo("BOOT-OBJECTS", "spec objects exist in the kernel",
                     "After boot, every object of the spec exists in the kernel with its type and size."),
        PropertyInfo("BOOT-CAPS", "every slot holds the specified cap",
                     "After boot, every CNode slot holds the cap the spec gives it (type, target, rights, badge, guard)."),
        PropertyInfo("BOOT-EXTRA", "nothing extra in the kernel",
                     "After boot, the kernel holds no cap or thread the spec does not give."),
    )
}


def info(property_id: str, name: str) -> PropertyInfo:
    """The catalogue entry, or a plain one for checks outside the catalogue (e.g. conform)."""
    return CATALOGUE.get(property_id) or PropertyInfo(property_id, name, name)
