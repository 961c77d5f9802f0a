"""Pausing Python's cycle collector around work that allocates millions of small objects.

Reading a 10k-thread capDL spec, or closing the authority of a large system, creates millions of
tuples, sets and small records, none of them in reference cycles. The cycle collector would scan
the whole growing heap again and again while they are made (it doubles the time to read such a
spec and more than doubles `conform`'s); reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
