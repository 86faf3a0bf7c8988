"""Keep a long backfill's memory flat: big buffers go back to the OS when freed.

glibc serves allocations above its mmap threshold (128 KiB at start) with mmap, and returns them on free;
but the first time such a block is freed it raises the threshold to that block's size. From then on every
big buffer (a text-lines page read whole, a window grown around a big event, an oversized line) comes from
the heap, whose freed space is kept and fragmented by the small objects parsed in between. Pinning the
threshold keeps RSS at what is really in use. (A page's body is read through 128 KiB windows and its lines
spooled, c2c.jsonstream and c2c.spool, so no buffer is page-sized any more.) Done once, on the first body
over 1 MiB, so a run that never sees one (an idle exec run) never loads ctypes.
"""

from __future__ import annotations

import contextlib
import sys
from functools import cache

BIG = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


@cache
def pin_mmap_threshold() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):  # not glibc (musl, ...): nothing to pin, nothing to fix
        import ctypes

        libc = ctypes.CDLL(None)
        if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version"):
            libc.mallopt(_M_MMAP_THRESHOLD, BIG)
