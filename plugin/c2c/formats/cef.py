"""Parser for Druva inSync CEF lines (ArcSight Common Event Format).

We do not use pycef: it returns None for every Druva line because Druva leaves the Signature ID
header field empty, and it also leaves escapes in place and drops empty values.

A line uses C-implemented primitives (``str.find``/``split``, one ``re.split`` for the
extension, ``map``/``zip`` into the dict) so that there is no per-character Python loop. Lines
with backslashes in the header take a slower regex path. Many lines at once (``parse_cef_lines``,
what ``c2c parse`` calls) are read a shape at a time, column by column (c2c.formats.blocks).
"""

from __future__ import annotations

import datetime as _dt
import functools
import operator
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from itertools import repeat
from typing import Any

from c2c.formats import blocks
from c2c.formats.insync_fields import (
    CEF_KEY_TO_ATTR,
    CEF_LABEL_TO_VALUE_KEY,
    CEF_NAME_ATTR,
    CEF_SEVERITY_ATTR,
    CEF_SIGNATURE_ATTR,
    DEFAULT_FACILITY,
    INT_ATTRS,
    LEADING_TEXT_ATTR,
    MONTHS,
    int_converter,
    never_raises,
    parse_error,
    split_pairs,
)

__all__ = ["parse_cef", "parse_cef_lines"]

# Optional "<PRI>", then either Druva/ArcSight "MMM dd yyyy HH:mm:ss host" or RFC 3164
# "MMM dd HH:mm:ss host". The host is optional, and a bare host is accepted too.
_PREFIX_RE = re.compile(
    r"\s*(?:<\d{1,3}>)?\s*"
    r"(?:([A-Z][a-z]{2}) +(\d{1,2}) +(?:(\d{4}) +)?"
    r"((?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60))(\.\d{1,9})?)?"
    r"(?: *([^\s<]\S*))? *"
)

# Druva's own prefix, "MMM dd yyyy HH:mm:ss host ": a subset of _PREFIX_RE's, read the same way.
_DRUVA_PREFIX_RE = re.compile(r"([A-Z][a-z]{2} +\d{1,2} +\d{4}) +((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d) +([^\s<]\S*) ")
# For the block parser: a Druva prefix, the CEF header and the first extension key, as the text before a line's
# first "=". A line it matches reads as _parse reads it: the host holds no ":" (so this "CEF:" is the line's
# first), the header no backslash, and the first key follows the last "|" (no leading text, no key match).
_BLOCK_HEAD_RE = re.compile(
    r"([A-Z][a-z]{2} +\d{1,2} +\d{4}) +((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d) +([^\s<][^\s:]*) "
    r"CEF:[0-9]+\|[^|\\]*\|[^|\\]*\|[^|\\]*\|([^|\\]*)\|([^|\\]*)\|([^|\\]*)\|([A-Za-z0-9_.\-\[\]]++)"
)
# "MMM dd yyyy" -> its ISO date, or "" when there is no such date; bounded.
_DATES: dict[str, str] = {}
_MAX_DATES = 4096

# Slow path only: the 7 header fields, each ending at an unescaped "|".
_HEADER_RE = re.compile(r"((?:[^\\|]|\\.)*)\|" * 7, re.DOTALL)
_HEADER_ESCAPE_RE = re.compile(r"\\([\\|])")

# A key is the token between a space and "="; everything up to the space before it is the
# previous value. The key charset has no backslash, so an escaped "\=" can never end a key.
_EXT_KEY_RE = re.compile(r" ([A-Za-z0-9_.\-\[\]]++)=")  # possessive: a key never holds "=", no retry

_LABEL_KEYS = frozenset(CEF_LABEL_TO_VALUE_KEY)
_MAPPED_KEYS = frozenset(CEF_KEY_TO_ATTR)

# Every attribute the prefix/header can set (see _parse); label names are checked against it.
_HEAD_ATTRS = frozenset(
    {
        "Timestamp",
        "SyslogTimestamp",
        "Hostname",
        "_prefix",
        LEADING_TEXT_ATTR,
        CEF_NAME_ATTR,
        CEF_SEVERITY_ATTR,
        CEF_SIGNATURE_ATTR,
    }
)
# Output name for positions that are not emitted (consumed labels, repeated keys).
_DROP = "\x00drop"
# What a line's extension positions become: their output names (`_DROP` for consumed or shadowed ones), whether
# one is dropped, whether Facility is missing (so the default goes in), and the int conversion of its record.
_Plan = tuple[tuple[str, ...], bool, bool, Callable[[dict[str, Any]], object]]
# (keys) -> (label-value getter, {label values: plan}); bounded, see _plan.
_PLANS: dict[tuple[str, ...], tuple[Callable[[list[str]], Any] | None, dict[Any, _Plan]]] = {}
_MAX_PLANS = 256
# The last cached line's keys, label-value getter, label values and plan.
_LAST: list[Any] = [None, None, None, None]


def _unescape_ext(value: str) -> str:
    """Undo \\= \\\\ \\n \\r exactly once (any other backslash stays as sent).

    Splitting on the escaped backslash first pairs escapes left to right, exactly as a
    character scanner would, so "\\\\n" ends up as backslash + "n", not a newline. str.replace
    is several times faster than re.sub with a callback.
    """
    if "\\\\" in value:
        return "\\".join([_unescape_ext(part) for part in value.split("\\\\")])
    if "\\=" in value:
        value = value.replace("\\=", "=")
    if "\\n" in value:
        value = value.replace("\\n", "\n")
    if "\\r" in value:
        value = value.replace("\\r", "\r")
    return value


@functools.lru_cache(maxsize=4096)
def _iso_date(mon: str, day: str, year: str) -> str | None:
    """'Sep', '21', '2017' -> '2017-09-21', or None if no such date. Cached: a stream's events
    share few dates, and validating through datetime.date costs more than the rest of the prefix."""
    month = MONTHS.get(mon)
    if month is None:
        return None
    try:
        _dt.date(int(year), int(month), int(day))  # rejects "Feb 30" and friends
    except ValueError:
        return None
    return f"{year}-{month}-{int(day):02d}"


def _learn_date(text: str) -> str:
    """The ISO date of Druva's "MMM dd yyyy" ("" when there is no such date), kept in _DATES."""
    if len(_DATES) >= _MAX_DATES:
        _DATES.clear()
    date = _DATES[text] = _iso_date(*text.split()) or ""
    return date


def _parse_prefix(prefix: str, record: dict[str, Any]) -> None:
    m = _DRUVA_PREFIX_RE.fullmatch(prefix)
    if m is not None:  # what _PREFIX_RE reads in such a prefix, in fewer steps
        date_text, clock, host = m.groups()
        date = _DATES.get(date_text)
        if date is None:
            date = _learn_date(date_text)
        if date:
            record["Timestamp"] = f"{date}T{clock}Z"
            record["Hostname"] = host
            return
    m = _PREFIX_RE.fullmatch(prefix)
    if m is None:
        record["_prefix"] = prefix.strip()  # unknown layout: keep it rather than drop it
        return
    mon, day, year, clock, frac, host = m.groups()
    if mon is not None:
        if year is not None:
            date = _iso_date(mon, day, year)
            if date is None:
                record["_prefix"] = prefix.strip()
                return
            # Druva's prefix carries no zone; its API and syslog timestamps are UTC.
            record["Timestamp"] = f"{date}T{clock}{frac}Z" if frac else f"{date}T{clock}Z"
        elif mon in MONTHS and 1 <= int(day) <= 31:
            # RFC 3164 has no year, so a full timestamp would be a guess; keep the text.
            record["SyslogTimestamp"] = f"{mon} {int(day):d} {clock}{frac or ''}"
        else:
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

    # Prefix and header fields; they win over extension keys of the same name.
    head: dict[str, Any] = {}
    if start:
        _parse_prefix(line[:start], head)
    head[CEF_NAME_ATTR] = parts[5]
    head[CEF_SEVERITY_ATTR] = parts[6]
    if parts[4]:
        head[CEF_SIGNATURE_ATTR] = parts[4]

    # A leading space lets the first key match the same " key=" pattern as the others, and
    # makes a leading space after the last header "|" harmless.
    leading, keys, values = split_pairs(" " + ext, _EXT_KEY_RE)
    leading = leading.strip(" ")
    if leading:
        head[LEADING_TEXT_ATTR] = leading
    if "\\" in ext:
        values = [_unescape_ext(v) if "\\" in v else v for v in values]

    names, drop, facility, ints = _plan(keys, values, head)
    record: dict[str, Any] = dict(zip(names, values, strict=True))
    if drop:
        del record[_DROP]
    record.update(head)
    if facility:
        record["Facility"] = DEFAULT_FACILITY
    ints(record)
    return record


def _plan(keys: list[str], values: list[str], head: dict[str, Any]) -> _Plan:
    """The plan for a line's keys and label values.

    Druva sends the same keys and labels in the same order on every line, so the result is
    cached per (keys, label values); a cached line then costs a single dict(zip(...)).
    """
    last_keys, getter, last_labels, last_plan = _LAST
    if keys == last_keys:  # the previous line's keys: comparing them costs less than hashing them
        label_values = getter(values) if getter is not None else None
        if label_values == last_labels:
            cached: _Plan = last_plan
            return cached
    getter, label_values, plan = _shape_plan(keys, values)
    if plan is None:
        # A label collides with a header attribute: the result depends on which header
        # fields this line has, so compute it for this line and do not cache it.
        return _make_plan(_fold_and_map(keys, values, head.keys())[0])
    _LAST[:] = keys, getter, label_values, plan
    return plan


def _shape_plan(keys: list[str], values: list[str]) -> tuple[Callable[[list[str]], Any] | None, Any, _Plan | None]:
    """The label-value getter of these keys, the line's label values and their cached plan; None for the plan
    when a label collides with a header attribute (the names then depend on the line's header)."""
    keys_t = tuple(keys)
    entry = _PLANS.get(keys_t)
    if entry is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()  # bound memory on a stream of ever-changing key sets
        positions = [i for i, k in enumerate(keys) if k in _LABEL_KEYS]
        entry = _PLANS[keys_t] = (operator.itemgetter(*positions) if positions else None, {})
    getter, by_labels = entry
    label_values = getter(values) if getter is not None else None
    plan = by_labels.get(label_values)
    if plan is None:
        names, uses_head = _fold_and_map(keys, values, _HEAD_ATTRS)
        if uses_head:
            return getter, label_values, None
        if len(by_labels) >= _MAX_PLANS:
            by_labels.clear()
        plan = by_labels[label_values] = _make_plan(names)
    return getter, label_values, plan


def _make_plan(names: tuple[str, ...]) -> _Plan:
    facility = "Facility" not in names  # the header never sets it
    # The int attributes the record will hold as text: the header's Severity, those among the names.
    present = {*names, CEF_SEVERITY_ATTR} - ({"Facility"} if facility else set())
    ints = int_converter(tuple(a for a in INT_ATTRS if a in present))
    return names, _DROP in names, facility, ints


def _fold_and_map(keys: list[str], values: list[str], head: AbstractSet[str]) -> tuple[tuple[str, ...], bool]:
    """Fold label pairs and map CEF keys to Druva attributes, by position.

    Returns the names and whether a folded label collided with one of ``head``.
    """
    last = {k: i for i, k in enumerate(keys)}
    # A repeated key keeps its last value, like a dict would.
    names = [k if last[k] == i else _DROP for i, k in enumerate(keys)]
    present = set(last)

    # Sorted, so collisions resolve the same way whatever the string hash order.
    folded: list[tuple[str, int, int]] = []
    for label_key in sorted(_LABEL_KEYS.intersection(last)):
        value_key = CEF_LABEL_TO_VALUE_KEY[label_key]
        # Fold only complete pairs with a non-empty label; anything else keeps its key.
        if value_key in last and values[last[label_key]]:
            folded.append((values[last[label_key]], last[label_key], last[value_key]))
            present.discard(label_key)
            present.discard(value_key)

    for key in sorted(_MAPPED_KEYS.intersection(present), key=len):
        # Shortest first: Druva's short name ("suser") wins over the full name
        # ("sourceUserName"); a key whose attribute is already taken keeps its own name.
        attr = CEF_KEY_TO_ATTR[key]
        if attr not in present:
            present.discard(key)
            present.add(attr)
            names[last[key]] = attr

    uses_head = False
    for name, label_pos, value_pos in folded:
        if name in present or name in head:
            # The label would overwrite another field: keep the pair unfolded instead.
            uses_head = uses_head or name in head
            present.add(keys[label_pos])
            present.add(keys[value_pos])
        else:
            present.add(name)
            names[label_pos] = _DROP
            names[value_pos] = name
    return tuple(names), uses_head


@never_raises
def parse_cef(line: str) -> dict[str, Any]:
    """Decode one Druva inSync CEF line into a flat record of Druva attribute names.

    Never raises: a line that cannot be decoded comes back as ``{"_raw", "_parseError"}``.
    """
    return _parse(line)


def parse_cef_lines(lines: list[str], table: blocks.Table = blocks.dicts) -> tuple[list[Any], list[str | None],
                                                                                  list[int]]:
    """`parse_cef` of each line and `event_time` of each record, many lines at once, and the lines `parse_cef`
    read: the lines of a shape that `_BLOCK_HEAD_RE` reads are built column by column (c2c.formats.blocks) into
    the records `table` makes."""
    return blocks.parse_lines(lines, _EXT_KEY_RE, True, _group, parse_cef, table)  # "|suser=": glued


def _group(lines: list[str], rows: list[int], keys: list[str], head_texts: Sequence[str],
           key_values: list[Sequence[str]], out: list[Any], times: list[str | None], table: blocks.Table) -> list[int]:
    """The records of `rows`, lines whose extension keys after the first are `keys`, given their heads (the
    prefix, the header and the first key) and the values of the first key and of `keys`; return the rows left."""
    rows, fields, values, slow = blocks.read_heads(_BLOCK_HEAD_RE, head_texts, rows, key_values)
    if not rows:
        return slow
    date_texts, clocks, hosts, sigs, names, severities, first_keys = fields  # by column
    for text in set(date_texts).difference(_DATES):
        _learn_date(text)
    dates: Sequence[str] = list(map(_DATES.__getitem__, date_texts))

    # What the first line's plan vouches for: each line with a date, no line end, the same first key, the same
    # empty or filled Signature ID and the same label values.
    ok = list(map(operator.truth, dates))
    ok = list(map(operator.and_, ok, map(operator.not_, map(str.endswith, values[-1], repeat(("\n", "\r"))))))
    if True not in ok:
        return slow + rows
    ref = ok.index(True)
    all_keys = [first_keys[ref], *keys]
    ref_values = [column[ref] for column in values]
    if "\\" in lines[rows[ref]]:
        ref_values = [_unescape_ext(v) if "\\" in v else v for v in ref_values]
    plan = _shape_plan(all_keys, ref_values)[2]
    if plan is None:
        return slow + rows
    labels = [values[i] for i, k in enumerate(all_keys) if k in _LABEL_KEYS]
    for column in (first_keys, list(map(operator.truth, sigs)), *labels):
        ok = blocks.same_as(ok, column, ref)
    if False in ok:
        rows, gone, (dates, clocks, hosts, sigs, names, severities, *values) = blocks.keep(
            ok, rows, [dates, clocks, hosts, sigs, names, severities, *values])
        slow += gone

    out_names, _, facility, _ = plan
    pairs: list[tuple[str, Sequence[Any]]] = [(name, values[i]) for i, name in enumerate(out_names) if name != _DROP]
    pairs = [(name, _unescaped(column)) for name, column in pairs]
    # Timestamp and event time: "<date>T<clock>Z" and its milliseconds form (event_time's reading of it).
    stamps = list(map(operator.add, map(operator.add, dates, repeat("T")), clocks))
    pairs += [("Timestamp", list(map(operator.add, stamps, repeat("Z")))), ("Hostname", hosts), (CEF_NAME_ATTR, names),
              (CEF_SEVERITY_ATTR, severities)]
    if sigs[0]:
        pairs.append((CEF_SIGNATURE_ATTR, sigs))
    if facility:
        pairs.append(("Facility", [DEFAULT_FACILITY] * len(rows)))
    blocks.fill(out, times, rows, pairs, list(map(operator.add, stamps, repeat(".000Z"))), table)
    return slow


def _unescaped(column: Sequence[str]) -> Sequence[str]:
    """`column` with each value that holds a backslash unescaped, as _parse unescapes it (most columns hold none:
    one join tells)."""
    if "\\" not in "".join(column):
        return column
    return [_unescape_ext(v) if "\\" in v else v for v in column]
