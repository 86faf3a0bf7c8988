"""Tolerant RFC 5424 parser for Druva inSync syslog lines.

Druva's lines are not valid RFC 5424: APP-NAME is ``Druva inSync`` (it contains a space) and
STRUCTURED-DATA is missing (a double space before MSG). A strict parser shifts every field after
APP-NAME (``appname="Druva"``, ``procid="inSync"``). We match PRI/VERSION/TIMESTAMP/HOSTNAME
strictly, then recognise known multi-word app names, then read PROCID, MSGID and an optional SD.
The MSG body is ``key=value`` pairs whose values may contain spaces and are not escaped. Many lines
at once (``parse_syslog_lines``, what ``c2c parse`` calls) are read a shape at a time, column by
column (c2c.formats.blocks).
"""

from __future__ import annotations

import datetime as _dt
import operator
import re
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any

from c2c import timefmt
from c2c.formats import blocks
from c2c.formats.insync_fields import (
    INT_ATTRS,
    LEADING_TEXT_ATTR,
    SYSLOG_DEFAULT_APP_NAME,
    SYSLOG_FREE_TEXT_KEYS,
    SYSLOG_KNOWN_KEYS,
    SYSLOG_MULTIWORD_APP_NAMES,
    convert_ints,
    int_converter,
    never_raises,
    parse_error,
    split_pairs,
)

__all__ = ["parse_syslog", "parse_syslog_lines"]

# PRI, VERSION, TIMESTAMP (RFC 3339 subset of RFC 5424, or "-"), HOSTNAME: matched strictly.
_HEADER_RE = re.compile(
    r"<(\d{1,3})>(\d{1,2}) "
    r"(?:-|(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60))(\.\d{1,6})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)) "
    r"(\S+)\s"
)

# For the block parser: the header of a Druva line up to its body, as the text before the line's first " key="
# (which takes one space): app name "Druva inSync", a UTC timestamp, a host other than "-", PROCID, MSGID, an
# optional nil SD, no leading text. A line it matches reads as _parse reads it; the groups: PRI, TIMESTAMP,
# HOSTNAME, PROCID, MSGID.
_BLOCK_HEAD_RE = re.compile(
    r"<(\d{1,3})>\d{1,2} "
    r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{1,6})?Z) "
    r"(?!-\s)(\S+)\sDruva inSync\s+(\S+)\s+(\S+)(?:\s+-)?\s*"
)
_VALID_DAYS: dict[str, bool] = {}  # "YYYY-MM-DD" of a day past the 28th -> whether it exists; bounded
_MAX_DAYS = 4096

# SD-ELEMENT: [SD-ID *(SP PARAM-NAME="PARAM-VALUE")]; '"', '\' and ']' are escaped in values.
_SD_ELEMENT_RE = re.compile(r'\[([^\s=\]"]+)((?:\s+[^\s=\]"]+="(?:[^"\\]|\\.)*")*)\s*\]', re.DOTALL)
_SD_PARAM_RE = re.compile(r'([^\s=\]"]+)="((?:[^"\\]|\\.)*)"', re.DOTALL)
_SD_ESCAPE_RE = re.compile(r'\\(["\\\]])')

# Generic boundary: one space, an identifier, "=". Known keys are a subset; see _merge_unknown.
_BODY_KEY_RE = re.compile(r" ([A-Za-z_][A-Za-z0-9_.]*+)=")  # possessive: a key never holds "=", no retry
_KNOWN_KEYS = frozenset(SYSLOG_KNOWN_KEYS)
_PRI_ATTRS = frozenset({"Facility", "Severity"})
# Body keys -> the record's int conversion (see _plan); bounded.
_PLANS: dict[tuple[str, ...], tuple[Callable[[dict[str, Any]], object], Callable[[dict[str, Any]], object]]] = {}
_MAX_PLANS = 256
_LAST: list[Any] = [None, None]  # the last line's body keys and plan
# The plan of keys that are not all known: they are merged first (_merge_unknown), then converted one by one.
_UNKNOWN_KEYS = (convert_ints, convert_ints)


def _timestamp(base: str, frac: str | None, zone: str) -> str:
    if zone == "Z":
        if base[8:10] > "28":
            _dt.date(int(base[:4]), int(base[5:7]), int(base[8:10]))  # rejects "02-30"
        return f"{base}{frac or ''}Z"
    # Offsets are whole minutes, so only the seconds part changes; the fraction is kept verbatim.
    sign = 1 if zone[0] == "+" else -1
    offset = _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    utc = _dt.datetime.fromisoformat(base) - sign * offset
    return f"{utc:%Y-%m-%dT%H:%M:%S}{frac or ''}Z"


def _parse_sd(text: str) -> tuple[dict[str, dict[str, str]], int] | None:
    """Parse SD-ELEMENTs at the start of ``text``; return them and the end offset, or None."""
    elements: dict[str, dict[str, str]] = {}
    pos = 0
    while pos < len(text) and text[pos] == "[":
        m = _SD_ELEMENT_RE.match(text, pos)
        if m is None:
            return None
        params = elements.setdefault(m[1], {})
        for name, value in _SD_PARAM_RE.findall(m[2]):
            params[name] = _SD_ESCAPE_RE.sub(r"\1", value) if "\\" in value else value
        pos = m.end()
    return elements, pos


def _merged(keys: list[str]) -> tuple[list[str], list[list[int]]]:
    """Glue ``unknown=...`` back into a preceding free-text value: the keys that stay, and for each the positions
    of the pairs its value is made of (its own, then those glued to it).

    A free-text value (EventDetails, ErrorLogFullTrace) runs to the next *known* key, so a
    ``" word="`` inside it (a URL query, say) stays in it. After any other key an unknown
    ``word=`` starts a new field, so a key Druva adds later is not glued onto its neighbour.
    """
    out_keys: list[str] = []
    sources: list[list[int]] = []
    for i, key in enumerate(keys):
        if out_keys and key not in _KNOWN_KEYS and out_keys[-1] in SYSLOG_FREE_TEXT_KEYS:
            sources[-1].append(i)
        else:
            out_keys.append(key)
            sources.append([i])
    return out_keys, sources


def _merge_unknown(keys: list[str], values: list[str]) -> tuple[list[str], list[str]]:
    """A line's keys and values with ``unknown=...`` glued back (see _merged)."""
    out_keys, sources = _merged(keys)
    # The split consumed exactly " key=", so this restores the original text.
    return out_keys, ["".join([values[s[0]], *(f" {keys[i]}={values[i]}" for i in s[1:])]) for s in sources]


def _parse(line: str) -> dict[str, Any]:
    if line.endswith(("\n", "\r")):
        line = line.rstrip("\r\n")  # a reader's line terminator is not part of the event
    m = _HEADER_RE.match(line)
    if m is None:
        return parse_error(line, "not an RFC 5424 header (PRI VERSION TIMESTAMP HOSTNAME)")
    prival = int(m[1])
    if prival > 191:
        return parse_error(line, f"PRI {prival} out of range 0-191")
    try:
        timestamp = None if m[3] is None else _timestamp(m[3], m[4], m[5])
    except ValueError:
        return parse_error(line, "invalid timestamp")

    rest = line[m.end() :]
    app = None
    for name in SYSLOG_MULTIWORD_APP_NAMES:
        if rest.startswith(name) and rest[len(name) : len(name) + 1].isspace():
            app = name
            rest = rest[len(name) :]
            break
    # split(None) treats runs of whitespace (incl. the no-break space in Druva's published
    # sample) as one separator and strips the remainder's leading whitespace.
    tokens = rest.split(None, 2 if app is not None else 3)
    if app is None:
        if not tokens:
            return parse_error(line, "header ends before APP-NAME")
        app = tokens.pop(0)
    if len(tokens) < 2:
        return parse_error(line, "header ends before PROCID/MSGID")
    procid, msgid = tokens[0], tokens[1]
    remainder = tokens[2] if len(tokens) > 2 else ""

    sd: dict[str, dict[str, str]] | None = None
    if remainder[:1] == "-" and (len(remainder) == 1 or remainder[1].isspace()):
        msg = remainder[1:].lstrip()  # SD is NILVALUE
    elif remainder[:1] == "[" and (parsed := _parse_sd(remainder)) is not None:
        sd, end = parsed
        msg = remainder[end:].lstrip()
    else:
        msg = remainder  # SD missing (Druva's double space): the rest is MSG
    if msg[:1] == "\ufeff":
        msg = msg[1:]

    record: dict[str, Any] = {}
    if timestamp is not None:
        record["Timestamp"] = timestamp
    if m[6] != "-":
        record["Hostname"] = m[6]
    if app != SYSLOG_DEFAULT_APP_NAME and app != "-":
        record["AppName"] = app  # only unexpected senders; the Druva constant is not emitted
    if sd:
        record["StructuredData"] = sd

    leading, keys, values = split_pairs(" " + msg, _BODY_KEY_RE)
    leading = leading.strip(" ")
    if leading:
        record[LEADING_TEXT_ATTR] = leading
    last_keys, plan = _LAST
    if keys != last_keys:  # the previous line's keys, most often: comparing them costs less than hashing them
        keys_t = tuple(keys)
        plan = _PLANS.get(keys_t)
        if plan is None:
            if len(_PLANS) >= _MAX_PLANS:
                _PLANS.clear()  # bound memory on a stream of ever-changing key sets
            plan = _PLANS[keys_t] = _plan(keys_t)
        _LAST[:] = keys, plan
    if plan is _UNKNOWN_KEYS:
        keys, values = _merge_unknown(keys, values)
    record.update(zip(keys, values, strict=True))

    # Header fields win over body keys of the same name.
    record["Facility"] = prival >> 3
    record["Severity"] = prival & 7
    if procid != "-":
        record["EventID"] = procid
    if msgid != "-":
        record["MsgID"] = msgid
    plan[procid != "-"](record)
    return record


def _plan(keys: tuple[str, ...]) -> tuple[Callable[[dict[str, Any]], object], Callable[[dict[str, Any]], object]]:
    """The int conversion of a record with these body keys: without, then with, a PROCID (its EventID)."""
    if not _KNOWN_KEYS.issuperset(keys):
        return _UNKNOWN_KEYS
    # Facility and Severity come from PRI, already ints; the others are text from the body or PROCID.
    texts = [a for a in INT_ATTRS if a in keys and a not in _PRI_ATTRS]
    with_procid = [*texts, "EventID"] if "EventID" not in texts else texts
    return int_converter(tuple(texts)), int_converter(tuple(a for a in INT_ATTRS if a in with_procid))


@never_raises
def parse_syslog(line: str) -> dict[str, Any]:
    """Decode one Druva inSync RFC 5424 line into a flat record of Druva attribute names.

    Never raises: a line that cannot be decoded comes back as ``{"_raw", "_parseError"}``.
    """
    return _parse(line)


def parse_syslog_lines(lines: list[str], table: blocks.Table = blocks.dicts) -> tuple[list[Any], list[str | None],
                                                                                        list[int]]:
    """`parse_syslog` of each line and `event_time` of each record, many lines at once, and the lines
    `parse_syslog` read: the lines of a shape that `_BLOCK_HEAD_RE` reads are built column by column
    (c2c.formats.blocks) into the records `table` makes."""
    return blocks.parse_lines(lines, _BODY_KEY_RE, False, _group, parse_syslog, table)


def _day_exists(date: str) -> bool:
    valid = _VALID_DAYS.get(date)
    if valid is None:
        if len(_VALID_DAYS) >= _MAX_DAYS:
            _VALID_DAYS.clear()
        try:
            _dt.date(int(date[:4]), int(date[5:7]), int(date[8:10]))
            valid = True
        except ValueError:
            valid = False
        _VALID_DAYS[date] = valid
    return valid


def _group(lines: list[str], rows: list[int], keys: list[str], head_texts: Sequence[str],
           key_values: list[Sequence[str]], out: list[Any], times: list[str | None], table: blocks.Table) -> list[int]:
    """The records of `rows`, lines whose body keys are `keys`, given their headers and the values of `keys`;
    return the rows left."""
    if not keys:
        return rows
    rows, fields, values, slow = blocks.read_heads(_BLOCK_HEAD_RE, head_texts, rows, key_values)
    if not rows:
        return slow
    pris, stamps, hosts, procids, msgids = fields  # by column, then the body's values

    # What the first line's plan vouches for: each line with a PRI in range, a day that exists, no line end, and
    # PROCID and MSGID nil or not as the first line's.
    prival: Sequence[int] = list(map(int, pris))
    ok = list(map(operator.ge, repeat(191), prival))
    ok = list(map(operator.and_, ok, map(operator.not_, map(str.endswith, values[-1], repeat(("\n", "\r"))))))
    for r, stamp in enumerate(stamps):
        if stamp[8:10] > "28" and not _day_exists(stamp[:10]):
            ok[r] = False
    if True not in ok:
        return slow + rows
    ref = ok.index(True)
    for column in (procids, msgids):
        ok = blocks.same_as(ok, list(map(operator.eq, column, repeat("-"))), ref)
    if False in ok:
        rows, gone, (prival, stamps, hosts, procids, msgids, *values) = blocks.keep(
            ok, rows, [prival, stamps, hosts, procids, msgids, *values])
        slow += gone

    body_keys, sources = _merged(keys)
    body = []
    for source in sources:
        column = values[source[0]]
        for i in source[1:]:  # glued back as _merge_unknown glues them
            column = list(map(f"{{}} {keys[i]}={{}}".format, column, values[i]))
        body.append(column)
    pairs = [("Timestamp", stamps), ("Hostname", hosts), *zip(body_keys, body, strict=True),
             ("Facility", list(map(operator.rshift, prival, repeat(3)))),
             ("Severity", list(map(operator.and_, prival, repeat(7))))]
    if procids[0] != "-":
        pairs.append(("EventID", procids))
    if msgids[0] != "-":
        pairs.append(("MsgID", msgids))
    # event_time: the Timestamp, in milliseconds
    blocks.fill(out, times, rows, pairs, list(map(timefmt.from_utc_iso, stamps)), table)
    return slow
