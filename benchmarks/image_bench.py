"""Time the image steps: build (cold and warm), boot and conform, for a generated spec of N threads
and for the examples (when the capDL emitter is available).

    python benchmarks/image_bench.py --sel4 WORKSPACE [--threads 100] [--arch x86_64]

Needs the seL4 toolchain and QEMU (.ci/install-sel4-deps). Prints one line per step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from smosverify.errors import EnvironmentProblem, InputError
from smosverify.image.boot import boot_image
from smosverify.image.build import build_image
from smosverify.image.run import conform_log, spec_source
from smosverify.image.workspace import find_workspace

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*/system.yaml"))
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


def _timed(label: str, action):
    started = time.monotonic()
    result = action()
    print(f"{label:<40} {time.monotonic() - started:7.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sel4", help="seL4 workspace (default: $SMOSVERIFY_SEL4)")
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--arch", default="x86_64", choices=sorted(_VSPACE))
    args = parser.parse_args()
    workspace = find_workspace(args.sel4)
    with tempfile.TemporaryDirectory(prefix="smosverify-image-bench-") as tmp:
        out = Path(tmp) / "build"
        specs = [(Path(tmp) / "one.cdl", threads_spec(1, args.arch)),
                 (Path(tmp) / f"threads{args.threads}.cdl", threads_spec(args.threads, args.arch))]
        for path, text in specs:
            path.write_text(text)
        first = True
        for path, text in specs:
            kind = "cold" if first else "warm"
            _timed(f"build {kind} {path.name}", lambda: build_image(text, str(path), workspace, args.arch, out))
            log = out / f"{path.stem}.log"
            _timed(f"boot {path.name}", lambda: boot_image(out, log, timeout=300))
            report = _timed(f"conform {path.name}", lambda: conform_log(str(path), str(log), str(workspace.root)))
            print(f"{'  verdict':<40} {report.verdict.value}")
            first = False
        for system in EXAMPLES:
            try:
                text, _ = spec_source(str(system))
            except (EnvironmentProblem, InputError) as err:  # e.g. no capDL emitter: say so, go on
                print(f"example {system.parent.name}: skipped ({err})")
                continue
            name = system.parent.name
            _timed(f"build warm {name}", lambda: build_image(text, str(system), workspace, args.arch, out))
            log = out / f"{name}.log"
            _timed(f"boot {name}", lambda: boot_image(out, log, timeout=300))
            report = _timed(f"conform {name}", lambda: conform_log(str(system), str(log), str(workspace.root)))
            print(f"{'  verdict':<40} {report.verdict.value}")


if __name__ == "__main__":
    main()
