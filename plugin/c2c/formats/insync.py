"""Druva inSync records: a CEF or Syslog line as a record, and where a record's time is.

Outside `c2c.sources` so that `c2c parse` does not import requests (the sources package loads it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from c2c.formats.blocks import Table
from c2c.formats.cef import parse_cef, parse_cef_lines
from c2c.formats.insync_fields import TIME_KEYS, event_time
from c2c.formats.syslog import parse_syslog, parse_syslog_lines

__all__ = ["BLOCK_PARSERS", "PARSERS", "TIME_KEYS", "event_time", "parse_line"]

PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {"CEF": parse_cef, "Syslog": parse_syslog}
# Many lines at once: each line's record (as PARSERS gives it, or as the Table makes it from the columns of lines
# of one shape), its event time (as event_time gives it), and the lines PARSERS read.
BLOCK_PARSERS: dict[str, Callable[[list[str], Table], tuple[list[Any], list[str | None], list[int]]]] = {
    "CEF": parse_cef_lines, "Syslog": parse_syslog_lines}


def parse_line(line: str, fmt: str = "CEF") -> dict[str, Any]:
    """One CEF or Syslog line -> a record. The line's own shape wins over the requested format."""
    if "CEF:" in line:
        return parse_cef(line)
    if line.startswith("<"):
        return parse_syslog(line)
    return PARSERS.get(fmt, parse_cef)(line)
