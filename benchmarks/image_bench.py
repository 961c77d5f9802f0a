"""Time the image steps: build (cold, then warm), boot and conform, for a spec of one thread, a
generated spec of N threads, a generated system of N components, and every example system; with
--programs, for every example system with its SMOS programs built in and running (pink-file
twice: the second run is the warm one), conform being `conform --behaviour`, plus the whole run.

    python benchmarks/image_bench.py --sel4 WORKSPACE [--threads 100] [--arch x86_64] [--programs]

Needs the seL4 toolchain and QEMU (.ci/install-sel4-deps). The first build in a fresh build folder
is the cold one (CMake configure, the kernel, the libraries); every later one reuses the folder.
Prints one line per spec: seconds to build, boot (QEMU until the read-back ends) and conform
(capDL-tool's reading of the spec, the log parsed, BOOT-* and for systems BOOT-CONFORM-*), the
boot log's size and the verdict. Example systems for another arch are emitted for --arch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from smosverify.errors import InputError
from smosverify.image.behaviour import conform_behaviour, read_behaviour_log
from smosverify.image.boot import boot_image
from smosverify.image.build import build_image
from smosverify.image.capdl_tool import find_parse_capdl
from smosverify.image.program_image import build_program_image
from smosverify.image.programs import CLIENT, generate_programs
from smosverify.image.run import conform_log, spec_source, system_source
from smosverify.image.workspace import find_workspace
from smosverify.load.any import SdfOptions, load_any

BENCHMARKS = Path(__file__).resolve().parent
EXAMPLES = sorted((BENCHMARKS.parent / "examples").glob("*/system.yaml"))
_VSPACE = {"x86_64": ("pml4", "pdpt", "pd", "pt"), "aarch64": ("pgd", "pud", "pd", "pt")}


def threads_spec(n: int, arch: str) -> str:
    """N threads, each with its own CNode, VSpace and IPC buffer and a badged cap to one server."""
    levels = _VSPACE[arch]
    objects, caps = ["  server_ep = ep"], []
    for i in range(n):
        t = f"t{i}"
        objects += [f"  {t}_tcb = tcb (addr: 0x10000, ip: 0x400000, sp: 0x20000, prio: 100, max_prio: 100, "
                    "affinity: 0, dom: 0, resume: False)",
                    f"  {t}_cnode = cnode (4 bits)", f"  {t}_ipc = frame (4k)"]
        objects += [f"  {t}_{level} = {level}" for level in levels]
        caps += [f"  {t}_cnode {{ 0x1: server_ep (W, badge: {i + 1}) }}",
                 f"  {t}_tcb {{ cspace: {t}_cnode (guard: 0, guard_size: 60) "
                 f"vspace: {t}_{levels[0]} ipc_buffer_slot: {t}_ipc (RW) }}"]
        caps += [f"  {t}_{a} {{ 0: {t}_{b} }}" for a, b in zip(levels, levels[1:])]
        caps.append(f"  {t}_{levels[-1]} {{ 0x10: {t}_ipc (RW) }}")
    return f"arch {arch}\n\nobjects {{\n" + "\n".join(objects) + "\n}\n\ncaps {\n" + "\n".join(caps) + "\n}\n"


def _seconds(action) -> tuple[float, object]:
    started = time.monotonic()
    result = action()
    return time.monotonic() - started, result


def run(label: str, path: Path, workspace, arch: str, out: Path, timeout: float) -> None:
    source = spec_source(str(path), arch)
    build, result = _seconds(lambda: build_image(source.text, source.file, workspace, arch, out))
    log = out / f"{label}.log"
    boot, _ = _seconds(lambda: boot_image(out, log, timeout))
    conform, report = _seconds(lambda: conform_log(str(path), str(log), str(workspace.root)))
    kind = "cold" if result.configured else "warm"
    print(f"{label:<24} {kind:>4} {build:7.2f} {boot:7.2f} {conform:8.2f} {log.stat().st_size / 1e6:7.2f}  "
          f"{report.verdict.value}", flush=True)


def run_programs(label: str, path: Path, workspace, arch: str, out: Path, timeout: float) -> None:
    try:
        system = system_source(load_any(str(path), SdfOptions()), arch).system
        clients = [p for p in generate_programs(system) if p.kind == CLIENT]
    except InputError as err:
        print(f"{label:<24} no programs: {err}", flush=True)
        return
    if not clients:
        print(f"{label:<24} no programs: no client can name an object", flush=True)
        return
    build, built = _seconds(lambda: build_program_image(system, workspace, out))
    log = out / f"{label}.log"
    boot, _ = _seconds(lambda: boot_image(out, log, timeout))
    conform, report = _seconds(lambda: conform_behaviour(system, read_behaviour_log(log)))
    kind = "cold" if built.result.configured else "warm"
    print(f"{label:<24} {kind:>4} {build:7.2f} {boot:7.2f} {conform:8.2f} {log.stat().st_size / 1e6:7.2f}  "
          f"{report.verdict.value:<8} {build + boot + conform:6.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sel4", help="seL4 workspace (default: $SMOSVERIFY_SEL4)")
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--arch", default="x86_64", choices=sorted(_VSPACE))
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds a boot may take.")
    parser.add_argument("--programs", action="store_true", help="The examples with their SMOS programs running.")
    args = parser.parse_args()
    workspace = find_workspace(args.sel4)
    seconds, tool = _seconds(lambda: find_parse_capdl(workspace, print))
    print(f"capDL-tool: {tool} ({seconds:.1f} s to find or build)")
    sys.path.insert(0, str(BENCHMARKS))
    from generate_system import generate

    with tempfile.TemporaryDirectory(prefix="smosverify-image-bench-") as tmp:
        out = Path(tmp) / "build"
        if args.programs:
            pink = next(p for p in EXAMPLES if p.parent.name == "pink-file")
            print(f"{'system':<24} {'':>4} {'build s':>7} {'boot s':>7} {'conform s':>8} {'log MB':>7}  "
                  f"{'verdict':<8} {'all s':>6}")
            for path in [pink, pink] + [p for p in EXAMPLES if p != pink]:
                run_programs(path.parent.name, path, workspace, args.arch, out, args.timeout)
            return
        specs = [("threads-1", Path(tmp) / "threads-1.cdl"), (f"threads-{args.threads}", Path(tmp) / "threads-n.cdl")]
        specs[0][1].write_text(threads_spec(1, args.arch))
        specs[1][1].write_text(threads_spec(args.threads, args.arch))
        specs.append((f"system-{args.threads}", generate(args.threads, Path(tmp) / "system")))
        specs += [(p.parent.name, p) for p in EXAMPLES]
        print(f"{'spec':<24} {'':>4} {'build s':>7} {'boot s':>7} {'conform s':>8} {'log MB':>7}  verdict")
        for label, path in specs:
            run(label, path, workspace, args.arch, out, args.timeout)


if __name__ == "__main__":
    main()
