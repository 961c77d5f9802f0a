"""When `image boot` stops QEMU: after the read-back and, in an image with programs, after every
client's whole `smos done` line. A shell script stands in for QEMU, so no seL4 tool is needed."""

from __future__ import annotations

import io
import time

from smosverify.image.boot import _run_until_done

ENDS = [b"smosverify: readback end", b"smos done client=alice ", b"smos done client=bob "]


def _stop(output: str, seconds: float = 1.0) -> str:
    command = ["sh", "-c", f"printf '{output}'; sleep 30"]
    return _run_until_done(command, io.BytesIO(), time.monotonic() + seconds, list(ENDS))


def test_done_when_the_readback_and_every_clients_line_are_out():
    assert _stop("smosverify: readback end\\nsmos done client=bob calls=1\\nsmos done client=alice calls=2\\n") == "done"


def test_a_done_line_not_yet_ended_is_waited_for():
    # QEMU stopped at `client=bob ` would cut the line and lose calls=...
    reason = _stop("smosverify: readback end\\nsmos done client=alice calls=2\\nsmos done client=bob ")
    assert reason == "timed out waiting for: smos done client=bob"


def test_a_client_with_a_longer_name_is_not_taken_for_another():
    reason = _stop("smosverify: readback end\\nsmos done client=alicebob calls=2\\nsmos done client=bob calls=1\\n")
    assert reason == "timed out waiting for: smos done client=alice"
