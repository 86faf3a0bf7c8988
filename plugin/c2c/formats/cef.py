"""Parser for Druva inSync CEF lines (ArcSight Common Event Format).

We do not use pycef: it returns None for every Druva line because Druva leaves the Signature ID
header field empty, and it also leaves escapes in place and drops empty values.

The hot path uses C-implemented primitives (``str.find``/``split``, one ``re.split`` for the
extension, ``map``/``zip`` into the dict) so that there is no per-character Python loop. Lines
with backslashes in the header take a slower regex path.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from c2c.formats.insync_fields import (
    CEF_KEY_TO_ATTR,
    CEF_LABEL_TO_VALUE_KEY,
    CEF_NAME_ATTR,
    CEF_SEVERITY_ATTR,
    CEF_SIGNATURE_ATTR,
    DEFAULT_FACILITY,
    LEADING_TEXT_ATTR,
    MONTHS,
    convert_ints,
    parse_error,
    split_pairs,
)

__all__ = ["parse_cef"]

# Optional "<PRI>", then either Druva/ArcSight "MMM dd yyyy HH:mm:ss host" or RFC 3164
# "MMM dd HH:mm:ss host". The host is optional, and a bare host is accepted too.
_PREFIX_RE = re.compile(
    r"\s*(?:<\d{1,3}>)?\s*"
    r"(?:([A-Z][a-z]{2}) +(\d{1,2}) +(?:(\d{4}) +)?"
    r"((?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60))(\.\d{1,9})?)?"
    r"(?: *([^\s<]\S*))? *"
)

# Slow path only: the 7 header fields, each ending at an unescaped "|".
_HEADER_RE = re.compile(r"((?:[^\\|]|\\.)*)\|" * 7, re.DOTALL)
_HEADER_ESCAPE_RE = re.compile(r"\\([\\|])")

# A key is the token between a space and "="; everything up to the space before it is the
# previous value. The key charset has no backslash, so an escaped "\=" can never end a key.
_EXT_KEY_RE = re.compile(r" ([A-Za-z0-9_.\-\[\]]+)=")
_EXT_ESCAPE_RE = re.compile(r"\\([\\=nr])")
_EXT_ESCAPES = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}

_MAP_GET = CEF_KEY_TO_ATTR.get


def _unescape_ext(value: str) -> str:
    # One regex pass, so "\\n" becomes backslash + "n" (unescaped exactly once), not a newline.
    return _EXT_ESCAPE_RE.sub(lambda m: _EXT_ESCAPES[m[1]], value)


def _parse_prefix(prefix: str, record: dict[str, Any]) -> None:
    m = _PREFIX_RE.fullmatch(prefix)
    if m is None:
        record["_prefix"] = prefix.strip()  # unknown layout: keep it rather than drop it
        return
    mon, day, year, clock, frac, host = m.groups()
    if mon is not None:
        month = MONTHS.get(mon)
        try:
            if month is None:
                raise ValueError(mon)
            if year is not None:
                _dt.date(int(year), int(month), int(day))  # rejects "Feb 30" and friends
                # Druva's prefix carries no zone; its API and syslog timestamps are UTC.
                record["Timestamp"] = f"{year}-{month}-{int(day):02d}T{clock}{frac or ''}Z"
            else:
                # RFC 3164 has no year, so a full timestamp would be a guess; keep the text.
                record["SyslogTimestamp"] = f"{mon} {int(day):d} {clock}{frac or ''}"
        except ValueError:
            record["_prefix"] = prefix.strip()
            return
    if host is not None:
        record["Hostname"] = host


def _parse(line: str) -> dict[str, Any]:
    if line.endswith(("\n", "\r")):
        line = line.rstrip("\r\n")  # a reader's line terminator is not part of the event
    start = line.find("CEF:")
    if start < 0:
        return parse_error(line, "no 'CEF:' marker")
    rest = line[start + 4 :]

    parts = rest.split("|", 7)
    if len(parts) < 8:
        return parse_error(line, f"CEF header has {len(parts) - 1} of 7 '|' separators")
    ext = parts[7]
    if rest.find("\\", 0, len(rest) - len(ext)) >= 0:
        # A backslash in the header: "\|" and "\\" change where fields end, so re-split.
        m = _HEADER_RE.match(rest)
        if m is None:
            return parse_error(line, "CEF header has fewer than 7 unescaped '|' separators")
        parts = [_HEADER_ESCAPE_RE.sub(r"\1", f) for f in m.groups()]
        ext = rest[m.end() :]
    version = parts[0].strip()
    if not version.isdigit():
        return parse_error(line, "CEF version is not a number")

    record: dict[str, Any] = {}
    if start:
        _parse_prefix(line[:start], record)
    record[CEF_NAME_ATTR] = parts[5]
    record[CEF_SEVERITY_ATTR] = parts[6]
    if parts[4]:
        record[CEF_SIGNATURE_ATTR] = parts[4]

    # A leading space lets the first key match the same " key=" pattern as the others, and
    # makes a leading space after the last header "|" harmless.
    leading, keys, values = split_pairs(" " + ext, _EXT_KEY_RE)
    leading = leading.strip(" ")
    if leading:
        record[LEADING_TEXT_ATTR] = leading
    if "\\" in ext:
        values = [_unescape_ext(v) if "\\" in v else v for v in values]
    fields = dict(zip(keys, values, strict=True))

    folded: list[tuple[str, str, str, str]] = []
    if "Label=" in ext:
        for key in list(fields):
            base = CEF_LABEL_TO_VALUE_KEY.get(key)
            # Fold only complete pairs with a non-empty label; anything else keeps its key.
            if base is not None and base in fields and fields[key]:
                folded.append((fields.pop(key), fields.pop(base), key, base))

    record.update(zip(map(_MAP_GET, fields, fields), fields.values(), strict=True))
    for name, value, label_key, value_key in folded:
        if name in record:
            # The label would overwrite another field: keep the pair unfolded instead.
            record[label_key] = name
            record[value_key] = value
        else:
            record[name] = value

    if "Facility" not in record:
        record["Facility"] = DEFAULT_FACILITY
    return convert_ints(record)


def parse_cef(line: str) -> dict[str, Any]:
    """Decode one Druva inSync CEF line into a flat record of Druva attribute names.

    Never raises: a line that cannot be decoded comes back as ``{"_raw", "_parseError"}``.
    """
    try:
        return _parse(line)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raise, never drop"
        return parse_error(line, f"internal error: {exc.__class__.__name__}: {exc}")
