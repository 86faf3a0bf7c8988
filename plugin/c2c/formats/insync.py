"""Druva inSync records: a CEF or Syslog line as a record, and where a record's time is.

Outside `c2c.sources` so that `c2c parse` does not import requests (the sources package loads it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from c2c import timefmt
from c2c.formats.cef import parse_cef
from c2c.formats.syslog import parse_syslog

PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {"CEF": parse_cef, "Syslog": parse_syslog}
TIME_KEYS = ("Timestamp", "timestamp", "timeStamp")  # parsed v1 records, then v2 as sent (both spellings)


def parse_line(line: str, fmt: str = "CEF") -> dict[str, Any]:
    """One CEF or Syslog line -> a record. The line's own shape wins over the requested format."""
    if "CEF:" in line:
        return parse_cef(line)
    if line.startswith("<"):
        return parse_syslog(line)
    return PARSERS.get(fmt, parse_cef)(line)


def event_time(record: dict[str, Any]) -> str | None:
    # The parsers' Timestamp, UTC: what timefmt.event_time returns for it, without its general walk.
    value = record.get("Timestamp")
    if value.__class__ is str and (text := timefmt.from_utc_iso(value)) is not None:
        return text
    return timefmt.event_time(record, TIME_KEYS)
