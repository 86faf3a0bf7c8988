"""Many lines of one shape at once: the records the per-line parsers make, built column by column.

Druva sends the lines of an event type with the same keys in the same order. The CEF and Syslog block parsers
cut the lines into their head and values, group them by key sequence, and build the records of a group a field
at a time (C loops over a column: the int conversion, the records). Whatever a group's plan cannot vouch for
goes to the per-line parser; the records are the same either way (tests/insync/test_parse_fast_paths.py). A
group's records are made from its columns by the caller's `Table` (`c2c parse`: RecordMaker.table, which never
builds a dict per line with the fast extra); `dicts` makes the parser's own dicts.

Lines are cut two ways, with the same result:

- On "=" (one `str.split` a line, then one count and one replace a column, where the key pattern costs a regex
  split a line): lines with as many "=" as a reference line whose key pattern split says where its keys are. A
  line joins that group only when each of its pieces ends where the reference's does: in " key" before a key's
  "=", in a backslash before an escaped one ("\\=", which the key pattern never matches: its keys hold no
  backslash). A head holds no "=", except the one of a first key glued to it (`glued`: CEF's "|suser=", not a
  key match, as its head pattern checks).
- On the key pattern (`Pattern.split`), for every other line.

A group's head is the text before its first key match, or (`glued`) before its first "=", the first value then
leading the values.
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
# A format's reader of a group of lines of one shape: (the lines, the group's rows, the keys of its key matches,
# the column of heads, a column per value (a `glued` first key's first; see the module's text), the records and
# times to fill, the Table that makes records) -> the rows it leaves to the line parser.
Group = Callable[[list[str], list[int], list[str], Sequence[str], list[Sequence[str]], list[Any], list[str | None],
                  Table], list[int]]


def dicts(names: Sequence[str], columns: Sequence[Sequence[Any]], times: Sequence[str | None]) -> list[dict[str, Any]]:
    """The records the line parser makes: a dict per line."""
    return list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))


def parse_lines(lines: list[str], key_re: re.Pattern[str], glued: bool, group: Group,
                parse: Callable[[str], dict[str, Any]], table: Table = dicts) -> tuple[list[Any], list[str | None],
                                                                                  list[int]]:
    """Each line's record and the `event_time` of each, and the lines that went to `parse`: the lines cut on "="
    or on `key_re` (a format whose first key is `glued` to its head or not), grouped by shape, each group read by
    `group` into records `table` makes; the lines it leaves (and all of them, should it fail) parsed one by one
    into `parse`'s dicts."""
    out: list[Any] = [None] * len(lines)
    times: list[str | None] = [None] * len(lines)
    try:
        found, rest = _cut_on_equals(lines, key_re, glued)
        parts = [key_re.split(lines[i]) for i in rest]  # [text before the first key, key, value, key, value, ...]
        by_keys, left = shapes(parts)
        slow = [rest[i] for i in left]
        for at, keys in by_keys:
            rows = [rest[i] for i in at]
            columns: list[Sequence[str]] = list(zip(*map(parts.__getitem__, at), strict=True))
            heads, values = columns[0], columns[2::2]
            if glued:  # the head up to its first "=", then the first value; a head without one is not read here
                heads, equals, first = zip(*map(str.partition, heads, repeat("=")), strict=True)
                values = [first, *values]
                if "" in equals:
                    rows, gone, (heads, *values) = keep(list(map(operator.truth, equals)), rows, [heads, *values])
                    slow += gone
            if rows:
                found.append((rows, keys, heads, values))
        for rows, keys, heads, values in found:
            slow += group(lines, rows, keys, heads, values, out, times, table)
    except Exception:  # noqa: BLE001 - never raise: the lines go one by one, whose parser keeps any line
        slow = list(range(len(lines)))
    slow.sort()
    for i in slow:
        out[i] = record = parse(lines[i])
        times[i] = event_time(record)
    return out, times, slow


# A group: its rows, its keys (those of key matches), its heads and a column per value.
_Cut = tuple[list[int], list[str], Sequence[str], list[Sequence[str]]]


def _cut_on_equals(lines: list[str], key_re: re.Pattern[str], glued: bool) -> tuple[list[_Cut], list[int]]:
    """The groups of lines cut on "=" (see the module's text), and the rows left for the key pattern."""
    pieces = list(map(str.split, lines, repeat("=")))
    counts = list(map(len, pieces))
    left = list(range(len(lines)))
    found: list[_Cut] = []
    rest: list[int] = []
    while left and len(found) < _MAX_SHAPES:
        ref = left[0]
        rows, left = parted(list(map(operator.eq, map(counts.__getitem__, left), repeat(counts[ref]))), left)
        layout = _layout(lines[ref], key_re, glued)
        if layout is None or len(rows) < 2:  # a lone line: the key pattern costs no more
            rest += rows
            continue
        keys, ends, spans = layout
        columns: list[Sequence[str]] = list(zip(*map(pieces.__getitem__, rows), strict=True))
        # A column's pieces joined by "=" (which no piece holds), a "=" after the last: each `end + "="` found in
        # it is a piece's end, so counting them checks every piece of the column in one C call.
        joined = {at: "=".join(columns[at]) + "=" for at, _ in ends}
        ok = [True] * len(rows)
        for at, end in ends:  # each piece ends as the reference's does
            if joined[at].count(end + "=") != len(rows):
                ok = list(map(operator.and_, ok, map(str.endswith, columns[at], repeat(end))))
        if False in ok:
            rows, gone, columns = keep(ok, rows, columns)
            rest += gone
            joined = {at: "=".join(columns[at]) + "=" for at, _ in ends}
        texts = [_texts(columns, joined, span) for span in spans]
        found.append((rows, keys, texts[0], texts[1:]))
    return found, rest + left


# Where a reference line's texts are among its "=" pieces: (its keys, (piece, the end every line's piece must
# have), (first piece, last piece, the end to cut off: "" for none) of its head and of each value).
_Layout = tuple[list[str], list[tuple[int, str]], list[tuple[int, int, str]]]


def _layout(line: str, key_re: re.Pattern[str], glued: bool) -> _Layout | None:
    """The layout of `line`, or None when its "=" are not all in key matches, escapes and a `glued` first key."""
    parts = key_re.split(line)
    keys = parts[1::2]
    head = parts[0].split("=")
    if not keys or len(head) != (2 if glued else 1):
        return None
    texts = [*head, *parts[2::2]]
    # What ends each text but the last: " key" before a key match; nothing to check before a glued key's "=".
    ends_of_texts = [None, *(" " + k for k in keys)] if glued else [" " + k for k in keys]
    ends: list[tuple[int, str]] = []
    spans: list[tuple[int, int, str]] = []
    at = 0  # the piece the text starts in
    for text, text_end in zip(texts, [*ends_of_texts, None], strict=True):
        inner = text.count("=")
        if inner and not all(piece.endswith("\\") for piece in text.split("=")[:-1]):
            return None  # a "=" in a value that is not escaped
        ends += [(at + k, "\\") for k in range(inner)]
        last = at + inner
        if text_end is not None:
            ends.append((last, text_end))
        spans.append((at, last, text_end or ""))
        at = last + 1
    return keys, ends, spans


def _texts(columns: list[Sequence[str]], joined: dict[int, str], span: tuple[int, int, str]) -> Sequence[str]:
    """Each line's text of pieces `first` to `last` joined by "=", less `end`. One piece's, when its joined column
    is ASCII, by one replace and one split of it (each "end=" in it is a piece's end); else line by line (a wide
    text's split would narrow each piece again)."""
    first, last, end = span
    if first == last and end and joined[last].isascii():
        return joined[last].replace(end + "=", "=")[:-1].split("=")
    texts = columns[first] if first == last else list(map("=".join, zip(*columns[first : last + 1], strict=True)))
    return list(map(operator.getitem, texts, repeat(slice(0, -len(end))))) if end else texts


def shapes(parts: Sequence[list[str]]) -> tuple[list[tuple[list[int], list[str]]], list[int]]:
    """Indices of `parts` (lines split on a key pattern) grouped by key sequence, in the order met, each with its
    keys; and the indices left over (shapes beyond `_MAX_SHAPES`)."""
    keys: list[list[str]] = list(map(operator.getitem, parts, repeat(_KEYS)))  # type: ignore[arg-type]
    left = list(range(len(parts)))
    groups: list[tuple[list[int], list[str]]] = []
    while left and len(groups) < _MAX_SHAPES:
        ref = keys[left[0]]
        rows, left = parted(list(map(operator.eq, map(keys.__getitem__, left), repeat(ref))), left)
        groups.append((rows, ref))
    return groups, left


def same_as(ok: list[bool], column: Sequence[Any], ref: int) -> list[bool]:
    """`ok` and, line by line, whether `column` holds what it holds at line `ref`."""
    value = column[ref]
    if column.count(value) == len(column):  # the usual case, in one C loop
        return ok
    return list(map(operator.and_, ok, map(operator.eq, column, repeat(value))))


def parted(ok: list[bool], rows: list[int]) -> tuple[list[int], list[int]]:
    """The `rows` that are `ok`, and the others."""
    return list(compress(rows, ok)), list(compress(rows, map(operator.not_, ok)))


def keep(ok: list[bool], rows: list[int], columns: Iterable[Sequence[Any]]) -> tuple[list[int], list[int],
                                                                                     list[Sequence[Any]]]:
    """The `rows` that are `ok`, the others, and the `columns` (one value a row) with the values of the first."""
    return (*parted(ok, rows), kept(ok, columns))


def read_heads(head_re: re.Pattern[str], texts: Sequence[str], rows: list[int],
               values: list[Sequence[str]]) -> tuple[list[int], list[Sequence[str]], list[Sequence[str]], list[int]]:
    """The rows whose head (of `texts`) `head_re` reads whole, a column per group of the pattern, the `values` of
    those rows; and the rows it does not read."""
    matches = list(map(head_re.fullmatch, texts))
    heads: Sequence[Any] = matches
    left: list[int] = []
    if None in matches:
        rows, left, (heads, *values) = keep(list(map(operator.is_not, matches, repeat(None))), rows, [heads, *values])
    return rows, list(zip(*map(match_groups, heads), strict=True)), values, left


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
