"""The only writer of stdout: one compact JSON object per line, flushed per page."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

from c2c import timefmt
from c2c.errors import OutputClosed

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class Emitter:
    """Turns vendor events into output records and writes them.

    A record is the vendor event with its own keys, plus the `_`-prefixed metadata of DESIGN §3 and the
    config's custom fields. Vendor keys win over custom fields of the same name; metadata keys win
    over vendor keys (a vendor key that starts with `_` and collides is kept as `_vendor<key>`).
    """

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout.buffer
        self.lines_written = 0

    def write_lines(self, lines: Iterable[str]) -> int:
        data = "".join(lines).encode("utf-8")
        if not data:
            return 0
        try:
            # A write can be short: when the reader closes the pipe while a big write is blocked, the kernel
            # returns the bytes it took (plus SIGPIPE, which Python ignores) and BufferedWriter passes the short
            # count on instead of raising. Writing the rest is what turns that into EPIPE; ignoring the count
            # would checkpoint lines that never reached stdout.
            view = memoryview(data)
            while view:
                n = self.stream.write(view)
                if n is None or n >= len(view):
                    break
                if n <= 0:
                    raise BrokenPipeError("stdout accepted no bytes")
                view = view[n:]
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            # The reader went away: nothing after this can be delivered, and the checkpoint must not move.
            raise OutputClosed(f"cannot write to stdout ({exc.__class__.__name__})") from exc
        n = data.count(b"\n")
        self.lines_written += n
        return n

    def write_record(self, record: Mapping[str, Any]) -> None:
        self.write_lines([_encode(record) + "\n"])


class RecordMaker:
    """Builds output records for one source and data type; the per-event hot path."""

    def __init__(self, name: str, category: str | None, fields: Mapping[str, Any], data_type: str) -> None:
        self.fields = dict(fields)
        meta: dict[str, Any] = {"_source": name}
        if category:
            meta["_sourceCategory"] = category
        meta["_dataType"] = data_type
        self.meta = meta

    def line(self, event: Mapping[str, Any], time_text: str | None) -> str:
        record = {**self.fields, **event} if self.fields else dict(event)
        for key in self.meta:
            if key in record:
                record["_vendor" + key] = record.pop(key)
        if "_time" in record:
            record["_vendor_time"] = record.pop("_time")
        record.update(self.meta)
        record["_time"] = time_text or timefmt.now()
        return _encode(record) + "\n"


def broken_pipe_safe_exit() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
