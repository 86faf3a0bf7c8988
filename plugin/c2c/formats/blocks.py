"""Many lines of one shape at once: the records the per-line parsers make, built column by column.

Druva sends the lines of an event type with the same keys in the same order. The CEF and Syslog block parsers
split each line on their key pattern (one C call per line), group the lines by their key sequence, and build
the records of a group a field at a time (C loops over a column: the int conversion, the dict of each line).
Whatever a group's plan cannot vouch for goes to the per-line parser; the records are the same either way
(tests/insync/test_parse_fast_paths.py). A group's records are made from its columns by the caller's `Table`
(`c2c parse`: RecordMaker.table, which never builds a dict per line with the fast extra); `dicts` makes the
parser's own dicts.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, repeat
from typing import Any

from c2c.formats.insync_fields import INT_ATTRS, all_int_text, event_time, int_or_text

_INT_ATTRS = frozenset(INT_ATTRS)
_MAX_SHAPES = 8  # key sequences tried per block; lines of rarer shapes are parsed one by one
_KEYS = slice(1, None, 2)  # the keys in a `Pattern.split` with one group: [text, key, value, key, value, ...]


# The groups of a match, for `map` over matches (a method that mypy cannot type through `map`).
match_groups = operator.methodcaller("groups")


# Makes the records of lines of one shape from their columns: (names, a column per name, each line's event
# time) -> a record per line. `dicts` gives what the line parser gives; RecordMaker.table, finished records.
Table = Callable[[Sequence[str], Sequence[Sequence[Any]], Sequence[str | None]], list[Any]]
# A format's reader of a group of lines of one shape: (lines, their split parts, the group's rows, its keys, the
# records and times to fill, the Table that makes records) -> the rows it leaves to the line parser.
Group = Callable[[list[str], list[list[str]], list[int], list[str], list[Any], list[str | None], Table], list[int]]


def dicts(names: Sequence[str], columns: Sequence[Sequence[Any]], times: Sequence[str | None]) -> list[dict[str, Any]]:
    """The records the line parser makes: a dict per line."""
    return list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))


def parse_lines(lines: list[str], key_re: re.Pattern[str], group: Group, parse: Callable[[str], dict[str, Any]],
                table: Table = dicts) -> tuple[list[Any], list[str | None], list[int]]:
    """Each line's record and the `event_time` of each, and the lines that went to `parse`: the lines split on
    `key_re`, grouped by shape, each group read by `group` into records `table` makes; the lines it leaves (and
    all of them, should it fail) parsed one by one into `parse`'s dicts."""
    out: list[Any] = [None] * len(lines)
    times: list[str | None] = [None] * len(lines)
    try:
        parts = list(map(key_re.split, lines))  # [text before the first key, key, value, key, value, ...]
        found, slow = shapes(parts)
        for rows, keys in found:
            slow += group(lines, parts, rows, keys, out, times, table)
    except Exception:  # noqa: BLE001 - never raise: the lines go one by one, whose parser keeps any line
        slow = list(range(len(lines)))
    slow.sort()
    for i in slow:
        out[i] = record = parse(lines[i])
        times[i] = event_time(record)
    return out, times, slow


def shapes(parts: Sequence[list[str]]) -> tuple[list[tuple[list[int], list[str]]], list[int]]:
    """Indices of `parts` (lines split on a key pattern) grouped by key sequence, in the order met, each with its
    keys; and the indices left over (shapes beyond `_MAX_SHAPES`)."""
    keys: list[list[str]] = list(map(operator.getitem, parts, repeat(_KEYS)))  # type: ignore[arg-type]
    left = list(range(len(parts)))
    groups: list[tuple[list[int], list[str]]] = []
    while left and len(groups) < _MAX_SHAPES:
        ref = keys[left[0]]
        same = list(map(operator.eq, map(keys.__getitem__, left), repeat(ref)))
        groups.append((list(compress(left, same)), ref))
        left = list(compress(left, map(operator.not_, same)))
    return groups, left


def same_as(ok: list[bool], column: Sequence[Any], ref: int) -> list[bool]:
    """`ok` and, line by line, whether `column` holds what it holds at line `ref`."""
    value = column[ref]
    if column.count(value) == len(column):  # the usual case, in one C loop
        return ok
    return list(map(operator.and_, ok, map(operator.eq, column, repeat(value))))


def kept(ok: list[bool], columns: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """The `columns` with only the lines that are `ok`."""
    return [list(compress(column, ok)) for column in columns]


def ints(values: Sequence[Any]) -> Sequence[Any]:
    """A column of an int attribute converted as convert_ints converts each value. A column is all text (split
    from the lines) or all ints (made by the parser), which convert_ints leaves as they are."""
    if not values or values[0].__class__ is not str:
        return values
    if all_int_text(values):
        return list(map(int, values))
    return list(map(int_or_text, values))


def fill(out: list[Any], times: list[str | None], rows: list[int], fields: Iterable[tuple[str, Sequence[Any]]],
         row_times: Sequence[str | None], table: Table) -> None:
    """Put the records `table` makes of `fields` and `row_times` at `rows` of `out`, and the times in `times`.
    `fields` are (name, column) pairs, every column as long as the others; a repeated name keeps its first place
    and its last column (as a dict built line by line would), and the int attributes are converted."""
    columns: dict[str, Sequence[Any]] = {}
    for name, values in fields:
        columns[name] = values
    names = list(columns)
    cols = [ints(columns[n]) if n in _INT_ATTRS else columns[n] for n in names]
    for i, record, time_text in zip(rows, table(names, cols, row_times), row_times, strict=True):
        out[i] = record
        times[i] = time_text
