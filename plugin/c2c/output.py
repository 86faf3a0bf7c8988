"""The only writer of stdout: one compact JSON object per line, flushed per page."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any, BinaryIO

from c2c import jsoncodec, timefmt
from c2c.errors import OutputClosed


def _first_encode(obj: Any) -> str:
    """Picks the codec on first use (so an idle run never imports the fast extra), then steps aside."""
    global _encode
    _encode = jsoncodec.encoder()
    return _encode(obj)


def _first_encode_lines(objs: list[Any]) -> bytes:
    global _encode_lines
    _encode_lines = jsoncodec.lines_encoder()
    return _encode_lines(objs)


# Compact UTF-8 JSON text of a record (jsoncodec: the stdlib's C encoder, or msgspec with the fast extra).
_encode: Callable[[Any], str] = _first_encode
# The same for a batch of records: their JSON lines as UTF-8 bytes.
_encode_lines: Callable[[list[Any]], bytes] = _first_encode_lines

# The longest line c2c writes, newline included. Fluent Bit's exec input reads with fgets(buf, buf_size) and
# silently drops an event longer than buf_size - 1, so its buf_size must be at least this + 1 (the shipped
# configs use 2M); Vector's framing.newline_delimited.max_length must be at least this. An event that would
# be longer is written with its biggest fields truncated (listed in `_truncated`) and a health warning.
MAX_LINE_BYTES = 1024 * 1024
MIN_LINE_BYTES = 4096  # below this the metadata alone might not fit
MAX_LINE_ENV = "C2C_MAX_LINE_BYTES"
# Added keys that truncation never touches (the shipper needs them to time and route the record).
_PROTECTED = ("_source", "_sourceCategory", "_dataType", "_time", "_truncated")
_MAX_CUT_FIELDS = 16
# A source's outputFormat (schemas/common.json has the same enum; a test keeps them equal).
OUTPUT_FORMATS = ("raw", "ocsf", "ecs")
_ID_KEYS = ("id", "eventId", "event_id", "eventID", "alertId", "auditEventId", "uuid", "EventID")


def max_line_bytes() -> int:
    """MAX_LINE_BYTES, or C2C_MAX_LINE_BYTES when set (at least MIN_LINE_BYTES)."""
    raw = os.environ.get(MAX_LINE_ENV, "").strip()
    if not raw:
        return MAX_LINE_BYTES
    try:
        value = int(raw)
    except ValueError:
        return MAX_LINE_BYTES
    return max(MIN_LINE_BYTES, value)


def stdout_closed(exc: BaseException) -> OutputClosed:
    """The one line an operator reads when stdout goes away mid-run (exit 6)."""
    why = "its reader closed it" if isinstance(exc, BrokenPipeError) else "it is closed or failing"
    return OutputClosed(f"cannot write to stdout: {why} ({exc.__class__.__name__}); nothing more is written "
                        "this run, and the checkpoint stays at the last page written")


class Emitter:
    """Writes lines made by `RecordMaker` to stdout (or `stream`), flushed per call: the only stdout writer."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout.buffer

    def write_block(self, data: bytes, lines: int | None = None) -> int:
        """Write UTF-8 lines already joined (`RecordMaker.encode`, a page's spool block, one health line) and
        flush; return how many (`lines` when the caller knows, else counted). A page reaches here in blocks,
        never as one string."""
        if not data:
            return 0
        self._write(data)
        try:
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise stdout_closed(exc) from exc
        return data.count(b"\n") if lines is None else lines

    def _write(self, data: bytes) -> None:
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
        except (BrokenPipeError, ValueError, OSError) as exc:
            # The reader went away: nothing after this can be delivered, and the checkpoint must not move.
            raise stdout_closed(exc) from exc


class RecordMaker:
    """Builds output lines for one source and data type; the per-event hot path.

    A record is the vendor event with its own keys, plus the `_`-prefixed metadata of DESIGN §3 and the
    config's custom fields. Vendor keys win over custom fields of the same name; metadata keys win
    over vendor keys (a vendor key that starts with `_` and collides is kept as `_vendor<key>`).
    """

    def __init__(self, name: str, category: str | None, fields: Mapping[str, Any], data_type: str,
                 max_line: int | None = None, output_format: str = "raw") -> None:
        self.fields = dict(fields)
        # outputFormat ocsf / ecs: the event is mapped first (c2c.normalize, never imported for raw).
        self.mapper: Callable[[Mapping[str, Any], str], dict[str, Any]] | None = None
        self.text_line: Callable[[Mapping[str, Any], str], str | None] | None = None
        meta: dict[str, Any] = {"_source": name}
        if category:
            meta["_sourceCategory"] = category
        meta["_dataType"] = data_type
        self.meta = meta
        self._added = frozenset((*meta, "_time"))  # the keys `line` adds to an event
        if output_format != "raw" and data_type != "health":
            from c2c.normalize import mapper_for, text_line_for

            self.mapper = mapper_for(output_format, data_type)
            # The standard library encoder's text without the dict (msgspec encodes a dict for less).
            if jsoncodec.fast_backend() is None:
                self.text_line = text_line_for(output_format, data_type, meta, self.fields)
        self.max_line = max_line or max_line_bytes()
        # Characters, not bytes: a text this short cannot exceed the limit even at 4 bytes per character.
        self._safe_chars = (self.max_line - 1) // 4
        # One message per truncated event; the runner turns them into health warnings after the page.
        self.notices: list[str] = []

    def line(self, event: Mapping[str, Any], time_text: str | None) -> str:
        if self.mapper is not None and "_parseError" not in event:  # a line that did not parse stays as it is
            time_text = time_text or timefmt.now()
            if self.text_line is not None:
                text = self.text_line(event, time_text)
                if text is not None and len(text) <= self._safe_chars:  # else the dict, to note or to fit
                    return text
            record = self.mapper(event, time_text)  # a new dict
            if self.fields:  # no table writes a key of c2c's metadata (the engine checks): only these can clash
                return self._fitted(self._record(record, time_text))
            record.update(self.meta)
            record["_time"] = time_text
            return self._fitted(record)
        return self._fitted(self._record(event, time_text))

    def _record(self, event: Mapping[str, Any], time_text: str | None) -> dict[str, Any]:
        """A new dict: the event's fields after the custom fields, then the metadata (a vendor key of the
        metadata's kept as `_vendor<key>`)."""
        record = {**self.fields, **event} if self.fields else dict(event)
        for key in self.meta:
            if key in record:
                record["_vendor" + key] = record.pop(key)
        if "_time" in record:
            record["_vendor_time"] = record.pop("_time")
        record.update(self.meta)
        record["_time"] = time_text or timefmt.now()
        return record

    def table(self, names: Sequence[str], columns: Sequence[Sequence[Any]], times: Sequence[str | None]) -> list[Any]:
        """For `c2c parse`: the finished records (as `finish` makes them) of events of one shape given by column,
        `names` and a column per name, and each event's time. Metadata and times are columns too, so no dict is
        made per event; with the fast extra no dict at all (`jsoncodec.row_type`)."""
        if None in times:
            times = [t or timefmt.now() for t in times]
        if self.mapper is not None or self.fields or not self._added.isdisjoint(names):
            return list(map(self.finish, map(dict, map(zip, repeat(names), zip(*columns, strict=True))), times))
        every_name = (*names, *self.meta, "_time")
        every_column = (*columns, *map(repeat, self.meta.values()), times)
        row = jsoncodec.row_type(every_name)
        if row is None:
            return list(map(dict, map(zip, repeat(every_name), zip(*every_column, strict=False))))  # repeat()s
        return list(map(row, *every_column))

    def finish(self, event: Mapping[str, Any], time_text: str | None) -> Any:
        """An event with its metadata, for `encode`: the record `line` writes, or the text of its line when the
        event is mapped (OCSF, ECS)."""
        if self.mapper is not None:
            return self.line(event, time_text)
        return self._record(event, time_text)

    def encode(self, records: list[Any]) -> bytes:
        """The lines of records `finish` and `table` made, as UTF-8: the bytes `line` gives for each event, in one
        encoder call."""
        if self.mapper is not None:
            return "".join(records).encode("utf-8")
        data = _encode_lines(records)
        if len(data) > self.max_line and max(map(len, data.split(b"\n"))) > self.max_line - 1:
            # A line too long: each record as `line` would have made it.
            return "".join([self._fitted(jsoncodec.plain(record)) for record in records]).encode("utf-8")
        return data

    def _fitted(self, record: dict[str, Any]) -> str:
        """A record's line, its biggest fields cut when it is longer than the limit."""
        text = _encode(record)
        if len(text) > self._safe_chars:
            size = len(text.encode("utf-8"))
            if size > self.max_line - 1:
                text = self._oversized(record, size)
        return text + "\n"

    def take_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    def _oversized(self, record: dict[str, Any], size: int) -> str:
        text, truncated = fit(record, self.max_line - 1)
        event_id = next((record[k] for k in _ID_KEYS if k in record and record[k] is not None), None)
        fields = ", ".join(f"{k} ({n} bytes)" for k, n in truncated.items())
        shown = f"id {_encode(event_id)}" if event_id is not None else "without an id"
        self.notices.append(
            f"event {shown} truncated to fit the {self.max_line}-byte line limit: the {self.meta['_dataType']} "
            f"event at {record.get('_time')} was {size} bytes; cut fields {fields} (listed in its _truncated)"
        )
        return text


def _measure(record: Mapping[str, Any]) -> int:
    return len(_encode(record).encode("utf-8"))


def fit(record: dict[str, Any], limit: int) -> tuple[str, dict[str, int]]:
    """Encode `record` in at most `limit` bytes by cutting its biggest fields, biggest first.

    A cut field becomes a string prefix (of the value, or of its JSON text for an object or array), and
    `_truncated` maps each cut field to its original encoded size, so nothing is cut without a trace.
    """
    out = dict(record)
    if "_truncated" in out:  # never overwrite a vendor key of that name
        out["_vendor_truncated"] = out.pop("_truncated")
    sizes = {k: len(_encode(v).encode("utf-8")) for k, v in out.items() if k not in _PROTECTED}
    truncated: dict[str, int] = {}
    # Only the biggest few: an event made of thousands of small fields goes to the fallback below at once.
    for key in sorted(sizes, key=sizes.__getitem__, reverse=True)[:_MAX_CUT_FIELDS]:
        value = out[key]
        text = value if isinstance(value, str) else _encode(value)
        raw = text.encode("utf-8")
        # Escapes (\" \\ \n) make the encoded string longer than its raw bytes: cut raw bytes by this ratio.
        ratio = max(1.0, len(_encode(text).encode("utf-8")) / max(1, len(raw)))
        truncated[key] = sizes[key]
        out["_truncated"] = truncated
        keep = len(raw)
        while True:
            over = _measure(out) - limit
            if over <= 0:
                return _encode(out), truncated
            if keep == 0:
                break
            keep = max(0, keep - int(over / ratio) - 16)
            out[key] = raw[:keep].decode("utf-8", "ignore")
    # Thousands of small fields: keep the metadata and the start of the event's JSON text.
    keep_meta = {k: out[k] for k in _PROTECTED if k in out and k != "_truncated"}
    body = _encode({k: v for k, v in record.items() if k not in _PROTECTED}).encode("utf-8")
    slim = {**keep_meta, "_truncated": {"*": len(body)}, "_raw": ""}
    room = max(0, limit - _measure(slim) - 16)
    while True:
        slim["_raw"] = body[:room].decode("utf-8", "ignore")
        over = _measure(slim) - limit
        if over <= 0 or room == 0:  # room 0: the metadata alone is the smallest record there is
            return _encode(slim), slim["_truncated"]
        room = max(0, room - over - 16)


def broken_pipe_safe_exit() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
