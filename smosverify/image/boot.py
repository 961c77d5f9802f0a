"""Boot a built image headless in QEMU and keep the whole serial log.

QEMU is stopped as soon as the read-back is complete (the loader is done) and, in an image with
the SMOS programs, every client has said it is done; when the system halts or the loader faults;
or at the timeout. A boot that does not finish is an error that says why and where the log is.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import EnvironmentProblem, InputError, Span
from smosverify.image.build import MANIFEST
from smosverify.image.behaviour import DONE_LINE
from smosverify.image.readback import READBACK_END
from smosverify.image.targets import QEMU_PACKAGES, TARGETS, Target

# Serial output after which nothing more will happen.
_DEAD_ENDS = (b"Debug halt syscall", b"halting", b"Kernel panic", b'"rootserver" at address')


@dataclass(frozen=True)
class BootResult:
    log: Path
    seconds: float


class BootFailed(EnvironmentProblem):
    """The image booted but did not reach the end of the read-back (exit 3, with the reason)."""


def read_manifest(image_dir: Path) -> dict:
    manifest_path = image_dir / MANIFEST
    if not manifest_path.is_file():
        raise InputError(f"{image_dir} is not an image build folder (no {MANIFEST}); "
                         "run `smosverify image build` first", Span(str(image_dir), 1, 1))
    return json.loads(manifest_path.read_text())


def qemu_command(image_dir: Path) -> list[str]:
    """The QEMU command line for the image built in `image_dir` (from its manifest)."""
    manifest = read_manifest(image_dir)
    target = TARGETS[manifest["arch"]]
    qemu = check_qemu(target)
    images = {role: str(image_dir / rel) for role, rel in manifest["images"].items()}
    command = [qemu, *target.qemu_args, "-kernel", images["kernel"]]
    if "initrd" in images:
        command += ["-initrd", images["initrd"]]
    return command


def check_qemu(target: Target) -> str:
    """The QEMU that boots `target`, or EnvironmentProblem naming the package to install."""
    qemu = shutil.which(target.qemu)
    if qemu is None:
        raise EnvironmentProblem(f"{target.qemu} is not installed (Debian: {QEMU_PACKAGES[target.qemu]}; "
                                 "or run .ci/install-sel4-deps)")
    return qemu


def boot_image(image_dir: Path, log: Path, timeout: float = 60.0) -> BootResult:
    """Run QEMU until the read-back ends; the serial log goes to `log` as it arrives."""
    command = qemu_command(image_dir)
    ends = [READBACK_END] + [f"{DONE_LINE}{client} " for client in read_manifest(image_dir).get("clients", ())]
    started = time.monotonic()
    with open(log, "wb") as out:
        reason = _run_until_done(command, out, started + timeout, [end.encode() for end in ends])
    seconds = time.monotonic() - started
    if reason != "done":
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
        raise BootFailed(f"the boot did not finish ({reason} after {seconds:.1f} s); "
                         f"the serial log is in {log}; its last lines:\n{tail}")
    return BootResult(log, seconds)


def _run_until_done(command: list[str], out, deadline: float, ends: list[bytes]) -> str:
    """Run until every line in `ends` was on the serial line; or why not."""
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    window = b""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = ", ".join(end.decode().strip() for end in ends)
                    return f"timed out waiting for: {missing}"
                if not sel.select(timeout=min(left, 1.0)):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    return f"QEMU exited with status {proc.wait()}"
                out.write(chunk)
                window = (window + chunk)[-4096:]
                ends = [end for end in ends if not _line_seen(end, window)]
                if not ends:
                    return "done"
                dead = next((d for d in _DEAD_ENDS if d in window), None)
                if dead is not None:
                    return f"the system stopped: {dead.decode()!r} on the serial line"
    finally:
        proc.kill()
        proc.wait()
        out.flush()


def _line_seen(start: bytes, window: bytes) -> bool:
    """Whether a whole line beginning with `start` is in `window` (QEMU is stopped at once after)."""
    at = window.find(start)
    return at >= 0 and b"\n" in window[at:]
