"""`c2c parse {cef,syslog} [FILE]`: inSync lines saved by Druva's script workflow -> c2c records.

Druva's own SIEM recipe saves each Events API response to a folder. This turns such files (or stdin)
into exactly the records the `Druva inSync` source emits: Druva's JSON attribute names, `_dataType`
`insyncEvents`, `_time` from the line's timestamp. A line that does not parse is emitted raw with
`_parseError` and counted on stderr. When most lines do not parse, the format asked is likely the
wrong one: stderr says so (naming the other format when it reads them) and the exit code is 2.
"""

from __future__ import annotations

import fcntl
import gc
import io
import logging
import os
import stat
import sys
from collections.abc import Callable, Iterator
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from c2c import logs
from c2c.errors import UsageError
from c2c.formats.blocks import Table
from c2c.formats.insync import BLOCK_PARSERS, PARSERS
from c2c.output import Emitter, RecordMaker

log = logging.getLogger(__name__)

FORMATS = {"cef": "CEF", "syslog": "Syslog"}
BATCH = 500  # lines per write+flush
BLOCK_BYTES = 1 << 18  # bytes read at a time
SAMPLE = 100  # failed lines kept to try in the other format
PIPE_BYTES = 1 << 20  # stdout's pipe buffer, when it is a pipe: pipe-max-size's default
EXIT_WRONG_FORMAT = 2  # a usage error: the format argument does not match the lines


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


def widen_pipe(stream: TextIO, size: int = PIPE_BYTES) -> None:
    """Give `stream`, when it is a pipe (a shipper's exec), a buffer of `size` bytes if it has less: its reader
    then takes up to a megabyte per wake-up instead of 64 KiB. That saves ~1,500 context switches and ~3% of
    the CPU of 200,000 lines. Left as it is where that cannot be done (not Linux, not a pipe, over the limit in
    /proc/sys/fs/pipe-max-size)."""
    getsize, setsize = getattr(fcntl, "F_GETPIPE_SZ", None), getattr(fcntl, "F_SETPIPE_SZ", None)
    if getsize is None or setsize is None:
        return
    try:
        fd = stream.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, getsize) < size:
            fcntl.fcntl(fd, setsize, size)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def read_lines(stream: BinaryIO) -> Iterator[list[str]]:
    """The stream's lines a block at a time, decoded as UTF-8 (bad bytes replaced), without their line ends:
    the lines iterating the stream gives, each `.decode("utf-8", "replace").rstrip("\\r\\n")`. A block ends
    at a "\\n", so no character is cut; `read1` hands on what a pipe has without waiting for a full block. Each
    line is decoded on its own, into the narrowest string that holds it (a block decoded whole is as wide as its
    widest character, and every line split from it would be narrowed again)."""
    read = getattr(stream, "read1", stream.read)
    pending = bytearray()
    while data := read(BLOCK_BYTES):
        lines = data.split(b"\n")  # the block's own bytes, split once: no copy of the block
        if len(lines) == 1:
            pending += data  # a line longer than a block
            continue
        tail = lines.pop()  # what follows the last "\n": the start of the next block's first line
        if pending:
            lines[0] = bytes(pending) + lines[0]
        if b"\r" in data or b"\r" in pending:
            lines = [line.rstrip(b"\r") for line in lines]  # "\r" is one byte: the same as after decoding
        pending[:] = tail
        yield list(map(bytes.decode, lines, repeat("utf-8"), repeat("replace")))
    if pending:
        yield [pending.decode("utf-8", "replace").rstrip("\r\n")]


def parse_stream(stream: BinaryIO, fmt: str, maker: RecordMaker, emitter: Emitter,
                 failed: list[str] | None = None) -> tuple[int, int]:
    """Parse and write every non-blank line; return (lines, lines that did not parse). The first SAMPLE lines
    that did not parse are appended to `failed`."""
    collecting = gc.isenabled()
    # Records and blocks hold no reference cycles: the cyclic collector would only walk each block's lists and
    # dicts, again and again as they are made (~3% of the CPU of a parse).
    gc.disable()
    try:
        return _parse_blocks(stream, BLOCK_PARSERS[FORMATS[fmt]], maker, emitter, failed)
    finally:
        if collecting:
            gc.enable()


def _parse_blocks(stream: BinaryIO, parse: Callable[[list[str], Table], tuple[list[Any], list[str | None], list[int]]],
                  maker: RecordMaker, emitter: Emitter, failed: list[str] | None) -> tuple[int, int]:
    total = bad = 0
    for lines in read_lines(stream):
        if total == 0:  # a BOM some editors and scripts write, before the first line
            for i, line in enumerate(lines):
                lines[i] = line = line.removeprefix("\ufeff")
                if line.strip():
                    break
        lines = list(filter(str.strip, lines))
        # The hot path: the lines of a shape at once, column by column, into finished records.
        records, times, slow = parse(lines, maker.table)
        for i in slow:  # the lines the line parser read, the only ones that can have failed
            record = records[i]
            if "_parseError" in record:
                bad += 1
                log.debug("line %d: %s", total + i + 1, record["_parseError"])
                if failed is not None and len(failed) < SAMPLE:
                    failed.append(lines[i])
            records[i] = maker.finish(record, times[i])
        total += len(records)
        for i in range(0, len(records), BATCH):
            batch = records[i : i + BATCH]
            emitter.write_block(maker.encode(batch), len(batch))
    return total, bad


def run_parse(fmt: str, file: str | None, name: str | None = None, category: str | None = None,
              out: BinaryIO | None = None, err: TextIO | None = None, output_format: str = "raw") -> int:
    stream, label = open_input(file)
    maker = RecordMaker(name or label, category, {}, "insyncEvents", output_format=output_format)
    failed: list[str] = []
    if out is None:
        widen_pipe(sys.stdout)
    try:
        total, bad = parse_stream(stream, fmt, maker, Emitter(out), failed)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    messages = [f"parse: {label}: {total} line(s), {bad} not parsed (emitted raw with _parseError)"]
    wrong = 2 * bad > total
    if wrong:
        messages.append(f"parse: {label}: {_wrong_format(fmt, failed)}")
    for message in messages:
        if err is None:
            logs.say(message, "error" if message is not messages[0] else "info")  # in the chosen log format
        else:
            print(f"c2c: {message}", file=err)
    return EXIT_WRONG_FORMAT if wrong else 0


def _wrong_format(fmt: str, failed: list[str]) -> str:
    """Say that most lines are not `fmt`, naming the other format when it reads most of those lines."""
    for other, name in FORMATS.items():
        if other != fmt and 2 * sum("_parseError" not in PARSERS[name](line) for line in failed) > len(failed):
            return f"most lines are not {FORMATS[fmt]} but {name}: try `c2c parse {other}`"
    return f"most lines are neither {' nor '.join(FORMATS.values())} (the formats of inSync's Events API)"
