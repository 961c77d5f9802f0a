"""seL4's capDL-tool as a reference reader: its XML output, reduced to what smosverify's spec has."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from smosverify.model.capdl import CapDLSpec, ObjectType

# capDL-tool's XML object type names (an `irq` is a CNode of size 0 there).
XML_TYPE = {
    ObjectType.EP: "Endpoint", ObjectType.NOTIFICATION: "Notification", ObjectType.TCB: "TCB",
    ObjectType.CNODE: "CNode", ObjectType.IRQ: "CNode", ObjectType.UT: "Untyped", ObjectType.ASID_POOL: "ASIDPool",
    ObjectType.PT: "PT", ObjectType.PD: "PD", ObjectType.PDPT: "PDPT", ObjectType.PML4: "PML4", ObjectType.PUD: "PUD",
    ObjectType.PGD: "PGD", ObjectType.FRAME: "Frame", ObjectType.IO_PORTS: "IOPorts", ObjectType.IO_DEVICE: "IODevice",
    ObjectType.ARM_IO_DEVICE: "ARMIODevice", ObjectType.IO_PT: "IOPT", ObjectType.VCPU: "VCPU", ObjectType.SC: "SC",
    ObjectType.RTREPLY: "RTReply", ObjectType.IOAPIC_IRQ: "IOAPICIrq", ObjectType.MSI_IRQ: "MSIIrq",
    ObjectType.ARM_IRQ: "ARMIrq", ObjectType.STREAMID: "ARMSID", ObjectType.CONTEXTBANK: "ARMCB",
    ObjectType.SMC: "ARMSMC", ObjectType.ARM_SGI_SIGNAL: "ARMSGISignal",
}


# What capDL-tool reads since release 0.5.0 (fpu_disabled, SGI signals, ASID pools holding PGDs,
# domain schedules with index_shift), as smosverify does: an older parse-capDL refuses it.
CURRENT_LANGUAGE = """arch aarch64
objects { t = tcb (addr: 0, affinity: 0, fpu_disabled: True)  s = arm_sgi_signal (irq: 1, target: 0)
          a = asid_pool  g = pgd }
caps { a { 0: g } }
domains { schedule: [(0, 1)] index_shift: 1 }
"""


def parse_capdl_tool() -> str | None:
    """parse-capDL from PATH, or a copy `smosverify image` built into its cache (the newest first),
    that reads the current language; None if there is none (an older one, such as the one built
    from a workspace pinned before 2026, would refuse what smosverify rightly reads)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "smosverify"
    built = sorted(glob.glob(str(cache / "parse-capDL-*")), key=os.path.getmtime, reverse=True)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "current.cdl"
        probe.write_text(CURRENT_LANGUAGE)
        for tool in filter(None, [shutil.which("parse-capDL"), *built]):
            if tool_accepts(tool, probe)[0]:
                return tool
    return None


def tool_accepts(tool: str, cdl: Path) -> tuple[bool, str]:
    """Does capDL-tool read and check the file (its text output needs nothing else)?"""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([tool, "-t", str(Path(tmp) / "spec.txt"), str(cdl)], capture_output=True, text=True)
    return done.returncode == 0, done.stdout + done.stderr


def tool_reading(tool: str, cdl: Path) -> dict | None:
    """capDL-tool's reading of an accepted file, from its XML: each object's type and cap fields
    by slot, the untyped covers and the cap derivation tree. None when its XML printer fails
    (it does on SMC caps, whose rights it looks for and cannot find)."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "spec.xml"
        done = subprocess.run([tool, "-x", str(xml), str(cdl)], capture_output=True, text=True)
        if done.returncode != 0 or not xml.is_file():
            return None
        root = ET.parse(xml).getroot()
    objects = {}
    for obj in root.iter("object"):
        caps = {int(c.get("slot")): _fields(c.get("type"), c.get("id"), c.get("rights"), c.get("badge"),
                                            c.get("guard"), c.get("guardSize"), c.get("cached"))
                for c in obj.iter("cap")}
        objects[obj.get("id")] = (obj.get("type"), caps)
    covers = {c.get("untyped"): tuple(i.get("id") for i in c.iter("id")) for c in root.iter("cover")}
    cdt = {r.get("child"): r.get("parent") for r in root.iter("cdtRelation")}
    return {"objects": objects, "covers": covers, "cdt": cdt}


def our_reading(spec: CapDLSpec) -> dict:
    objects = {}
    for obj in spec.objects.values():
        caps = {}
        for slot, cap in obj.slots.items():
            target = cap.target if cap.target in spec.objects else "global" + cap.type.value
            rights = "".join(x for r, x in zip("RWGP", "rwgp") if r in cap.rights)
            caps[slot] = _fields(cap.type.value, target, rights if cap.type.value in _RIGHTED else None,
                                 str(cap.badge) if cap.type.value in _BADGED else None,
                                 str(cap.guard) if cap.type.value == "CNodeCap" else None,
                                 str(cap.guard_size) if cap.type.value == "CNodeCap" else None,
                                 None if cap.cached else "False")
        objects[obj.name] = (XML_TYPE[obj.type], caps)
    cdt = {f"({c[0]}, {c[1]})": f"({p[0]}, {p[1]})" for c, p in spec.cdt.items()}
    return {"objects": objects, "covers": dict(spec.covers), "cdt": cdt}


_RIGHTED = ("EndpointCap", "NotificationCap", "FrameCap", "ARMSMCCap")
_BADGED = ("EndpointCap", "NotificationCap", "ARMSMCCap")


def _fields(*values) -> tuple:
    return values
