"""Strict body decoding: a body is read as the shape its data type declares, item by item.

Shapes: a JSON object holding a list (Code42 `{"fileEvents": [...]}`), a JSON list (of objects or of
lines), text lines (inSync CEF/Syslog). A body of another shape (an HTML page), or one that is incomplete
(cut in the middle), raises ValueError: the caller retries it and never reinterprets it as another shape.

Items are decoded when the consumer reaches them, so a page of 10,000 Code42 file events (~8 MB of text,
~31 MB parsed whole) never exists parsed at once. An item that does not decode although the body around it
is complete (an invalid escape inside one event) is yielded as `Poison` (its raw text and the reason): one
bad event must not stall its data type. Whether the body is complete is known once its items are exhausted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from c2c import jsoncodec

_WS = re.compile(r"[ \t\n\r]*")
_decode = jsoncodec.stdlib_raw_decode()  # with the fast extra, NaN stays NaN when written back
# Tokens that matter to find where an undecodable item ends: strings (whatever their escapes), brackets.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)|[\[\]{}]', re.S)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^,\]}\s]*")
_SYSLOG_PRI = re.compile(r"<\d{1,3}>")


class Shape(Enum):
    OBJECT_LIST = "a JSON object holding a list"
    JSON_LIST = "a JSON list"
    TEXT_LINES = "text lines"


@dataclass(frozen=True, slots=True)
class Body:
    """A body shape a data type accepts; `key` names the list member of an OBJECT_LIST."""

    shape: Shape
    key: str = ""

    def __str__(self) -> str:
        return f"{self.shape.value} {self.key!r}" if self.key else self.shape.value


@dataclass(frozen=True, slots=True)
class Poison:
    """An item of a complete body that does not decode: delivered raw, with the reason."""

    raw: str
    reason: str


def _value_end(text: str, pos: int) -> int:
    """Where the JSON value starting at `pos` ends, read leniently (bad escapes pass); ValueError if the
    body ends first, which means the body was cut, not that one item is bad."""
    head = text[pos : pos + 1]
    if head == '"':
        m = _STRING.match(text, pos)
        if m:
            return m.end()
    elif head in ("{", "["):
        depth = 0
        for m in _TOKENS.finditer(text, pos):
            token = m.group()
            if token in ("{", "["):
                depth += 1
            elif token in ("}", "]"):
                depth -= 1
                if depth == 0:
                    return m.end()
    else:
        m = _SCALAR.match(text, pos)
        if m and m.end() > pos and m.end() < len(text):
            return m.end()
    raise ValueError(f"body ends inside an item at offset {pos} (incomplete body)")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, pos: int) -> int:
        m = _WS.match(self.text, pos)
        return m.end() if m else pos

    def expect(self, pos: int, char: str) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] != char:
            found = self.text[pos : pos + 1] or "the end of the body"
            raise ValueError(f"expected {char!r} at offset {pos}, found {found!r}")
        return pos + 1

    def array(self, pos: int) -> Iterator[Any]:
        """The items of the array whose '[' is just before `pos`; sets `self.end` after its ']'."""
        text = self.text
        pos = self.skip(pos)
        if text[pos : pos + 1] == "]":
            self.end = pos + 1
            return
        while True:
            try:
                item, end = _decode(text, pos)
            except ValueError as exc:
                end = _value_end(text, pos)
                yield Poison(text[pos:end], f"undecodable JSON item: {exc}")
            else:
                yield item
            pos = self.skip(end)
            if text[pos : pos + 1] == "]":
                self.end = pos + 1
                return
            pos = self.skip(self.expect(pos, ","))

    end = 0


class LazyObject:
    """`members`: every member but the array (complete once `items` is exhausted); `items`: the array."""

    def __init__(self, text: str, key: str) -> None:
        self._scan = _Scanner(text)
        self.key = key
        self.members: dict[str, Any] = {}
        self.has_array = False
        self._pos = self._scan.skip(self._scan.expect(0, "{"))
        self._read_members(until_array=True)

    def _read_members(self, until_array: bool) -> None:
        """Decode members from `_pos`; stop at the array's '[' (when `until_array`) or at the closing '}'."""
        scan, text, pos = self._scan, self._scan.text, self._pos
        first = not self.members and not self.has_array
        while True:
            pos = scan.skip(pos)
            if text[pos : pos + 1] == "}":
                end = scan.skip(pos + 1)
                if end != len(text):
                    raise ValueError(f"extra data at offset {end}")
                self._pos = end
                return
            if not first:
                pos = scan.skip(scan.expect(pos, ","))
            first = False
            name, pos = _decode(text, pos)
            if not isinstance(name, str):
                raise ValueError(f"member name expected at offset {pos}")
            pos = scan.skip(scan.expect(pos, ":"))
            if until_array and name == self.key and text[pos : pos + 1] == "[":
                self.has_array = True
                self._pos = pos + 1
                return
            self.members[name], pos = _decode(text, pos)

    def items(self) -> Iterator[Any]:
        if not self.has_array:
            return
        yield from self._scan.array(self._pos)
        self._pos = self._scan.end
        self._read_members(until_array=False)
        self._scan.text = ""  # the whole body is decoded: let it go


@dataclass
class Decoded:
    """A body being decoded: `items` (values or Poison), then `members` (an object's other members) and
    `has_list` are complete once `items` is exhausted without ValueError."""

    body: Body
    items: Iterator[Any]
    members: dict[str, Any]
    has_list: bool = True


def _list(text: str) -> Iterator[Any]:
    scan = _Scanner(text)
    yield from scan.array(scan.expect(0, "["))
    end = scan.skip(scan.end)
    if end != len(text):
        raise ValueError(f"extra data at offset {end}")


def _lines(text: str) -> Iterator[str]:
    """Every line of a text body ends with a line break: a body whose last line has none was cut (a CEF
    line cut in its extensions would still parse, and the page's cursor would move past the lost rest)."""
    if text.strip() and not text.endswith(("\n", "\r")):
        raise ValueError(f"the last line has no line break (incomplete body): ...{text[-40:]!r}")
    return (line for line in text.splitlines() if line.strip())


def _is_ndjson(text: str) -> bool:
    """Text lines of JSON objects: the first line is a whole JSON object, and more lines follow it."""
    first, _, rest = text.lstrip().partition("\n")
    if not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def is_markup(text: str, content_type: str) -> bool:
    """An HTML or XML page (a proxy's error or maintenance page), not events. A Syslog line starts <PRI>."""
    head = text.lstrip()[:16]
    return "html" in content_type.lower() or (head.startswith("<") and not _SYSLOG_PRI.match(head))


def decode(text: str, bodies: tuple[Body, ...], content_type: str = "") -> Decoded:
    """Start decoding `text` as the declared shape its first character selects; ValueError otherwise."""
    if is_markup(text, content_type):
        raise ValueError("an HTML page, not " + " or ".join(map(str, bodies)))
    head = text.lstrip()[:1]
    if head == "{" and any(b.shape is Shape.TEXT_LINES for b in bodies) and _is_ndjson(text):
        return Decoded(Body(Shape.TEXT_LINES), _lines(text), {})
    for body in bodies:
        if body.shape is Shape.OBJECT_LIST and head == "{":
            if (fast := jsoncodec.object_list(text, body.key)) is not None:  # the fast extra read it
                members, items = fast
                return Decoded(body, items or iter(()), members, items is not None)
            obj = LazyObject(text, body.key)
            decoded = Decoded(body, iter(()), obj.members, obj.has_array)
            decoded.items = obj.items()
            return decoded
        if body.shape is Shape.JSON_LIST and head == "[":
            return Decoded(body, jsoncodec.json_list(text) or _list(text), {})
        if body.shape is Shape.TEXT_LINES and head not in ("{", "["):
            return Decoded(body, _lines(text), {})
    shown = " ".join(text[:60].split())
    raise ValueError(f"not {' or '.join(map(str, bodies))}: {shown!r}")
