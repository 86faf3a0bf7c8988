"""`c2c parse {cef,syslog} [FILE]`: inSync lines saved by Druva's script workflow -> c2c records.

Druva's own SIEM recipe saves each Events API response to a folder. This turns such files (or stdin)
into exactly the records the `Druva inSync` source emits: Druva's JSON attribute names, `_dataType`
`insyncEvents`, `_time` from the line's timestamp. A line that does not parse is emitted raw with
`_parseError` and counted on stderr; it never fails the command.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

from c2c import logs
from c2c.errors import UsageError
from c2c.output import Emitter, RecordMaker
from c2c.sources.druva_insync import PARSERS, event_time

log = logging.getLogger(__name__)

FORMATS = {"cef": "CEF", "syslog": "Syslog"}
BATCH = 500  # lines per write+flush


def open_input(file: str | None) -> tuple[BinaryIO, str]:
    if file is None or file == "-":
        return sys.stdin.buffer, "stdin"
    try:
        return open(file, "rb"), Path(file).name  # closed by run_parse
    except FileNotFoundError:
        reason = "file not found"
    except IsADirectoryError:
        reason = "is a directory"
    except PermissionError:
        reason = "permission denied"
    except OSError as exc:
        reason = f"cannot read ({exc.strerror})"
    raise UsageError(f"parse: {file}: {reason}")


def parse_stream(lines: Iterable[bytes], fmt: str, maker: RecordMaker, emitter: Emitter) -> tuple[int, int]:
    """Parse and write every non-blank line; return (lines, lines that did not parse)."""
    parse = PARSERS[FORMATS[fmt]]
    total = bad = 0
    batch: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if total == 0:
            line = line.removeprefix("\ufeff")  # a BOM some editors and scripts write
        if not line.strip():
            continue
        total += 1
        record = parse(line)
        if "_parseError" in record:
            bad += 1
            log.debug("line %d: %s", total, record["_parseError"])
        batch.append(maker.line(record, event_time(record)))
        if len(batch) >= BATCH:
            emitter.write_lines(batch)
            batch.clear()
    emitter.write_lines(batch)
    return total, bad


def run_parse(fmt: str, file: str | None, name: str | None = None, category: str | None = None,
              out: BinaryIO | None = None, err: TextIO | None = None, output_format: str = "raw") -> int:
    stream, label = open_input(file)
    maker = RecordMaker(name or label, category, {}, "insyncEvents", output_format=output_format)
    try:
        total, bad = parse_stream(stream, fmt, maker, Emitter(out))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    summary = f"parse: {label}: {total} line(s), {bad} not parsed (emitted raw with _parseError)"
    if err is None:
        logs.say(summary)  # in the chosen log format: one JSON object per line with --log-format json
    else:
        print(f"c2c: {summary}", file=err)
    return 0
