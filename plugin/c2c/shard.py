"""`c2c run --shard I/N`: N replicas share one config set, each collecting a disjoint, stable part of it.

A source belongs to shard 1 + (sha256(name) mod N): the same on every machine and Python version (unlike
hash()), and independent of the order of the config files. Renaming a source may move it to another
shard; its state (kept by name) starts anew either way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from c2c.errors import UsageError


class Named(Protocol):
    @property
    def name(self) -> str: ...


S = TypeVar("S", bound=Named)


def parse(text: str) -> tuple[int, int]:
    """"I/N" with 1 <= I <= N, or a UsageError saying what is expected."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if m is None or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard (or $C2C_SHARD) must be I/N with 1 <= I <= N (e.g. 1/3), not {text!r}")
    return int(m.group(1)), int(m.group(2))


def shard_of(name: str, count: int) -> int:
    """The shard (1..count) a source named `name` belongs to."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def select(sources: Sequence[S], spec: str) -> list[S]:
    """The sources of shard `spec` ("I/N"), in their config order."""
    index, count = parse(spec)
    return [s for s in sources if shard_of(s.name, count) == index]
