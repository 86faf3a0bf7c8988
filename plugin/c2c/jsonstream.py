"""Strict body decoding: a body is read as the shape its data type declares, item by item.

Shapes: a JSON object holding a list (Code42 `{"fileEvents": [...]}`), a JSON list (of objects or of
lines), text lines (inSync CEF/Syslog). A body of another shape (an HTML page), or one that is incomplete
(cut in the middle), raises ValueError: the caller retries it and never reinterprets it as another shape.

Items are decoded when the consumer reaches them, so a page of 10,000 Code42 file events (~8 MB of text,
~31 MB parsed whole) never exists parsed at once; and a body is read through a `Window` as it arrives, so it
never exists whole either, as bytes or as text: only about one chunk (c2c.http.BODY_CHUNK) of it, or the one
item that straddles the window's end. Whatever a window boundary splits (an item, a number, a multi-byte
character: c2c.http decodes incrementally) is read as if the body were whole. An item that does not decode
although the body around it is complete (an invalid escape inside one event) is yielded as `Poison` (its raw
text and the reason): one bad event must not stall its data type. Whether the body is complete is known once
its items are exhausted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
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


FIRST_CHARS = 300  # the start of a body kept for error messages


class Window:
    """A body's text as it arrives, seen through a window: `text` is what is not consumed yet, from about the
    scanner's position on; `more(pos)` drops `text[:pos]` and appends the next chunk. A whole text given at
    once is a window that already holds everything. Only the window (about one chunk, or the one item that
    straddles its end) is alive, never the whole body, neither as bytes nor as text."""

    def __init__(self, text: str = "", chunks: Iterator[str] | None = None) -> None:
        self.text = text
        self._chunks = chunks
        self.eof = chunks is None
        self.first = text[:FIRST_CHARS]  # the body's start, for error messages
        # What was dropped, so that offsets and line numbers in messages count from the body's start.
        self.dropped = 0
        self.dropped_lines = 0
        self.line_start = 0  # body offset just after the last line break dropped

    def more(self, pos: int) -> bool:
        """Drop `text[:pos]` and append the next chunk of the body; False (nothing changed) at its end."""
        while self._chunks is not None:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._chunks, self.eof = None, True
                break
            if not chunk:
                continue
            if self.text.find("\n", 0, pos) >= 0:  # a memchr, where counting costs ~8 instructions a character
                self.dropped_lines += self.text.count("\n", 0, pos)
                self.line_start = self.dropped + self.text.rindex("\n", 0, pos) + 1
            self.dropped += pos
            self.text = self.text[pos:] + chunk
            if len(self.first) < FIRST_CHARS:
                self.first = (self.first + chunk)[:FIRST_CHARS]
            return True
        return False

    def read_all(self) -> str:
        """The rest of the body, read whole (text lines, which are short pages)."""
        if self._chunks is not None:
            self.text = "".join([self.text, *self._chunks])
            self._chunks, self.eof = None, True
            self.first = self.text[:FIRST_CHARS]
        return self.text

    def reason(self, exc: ValueError) -> str:
        """`exc` (raised decoding `text`) with its position counted from the body's start, as json.loads of the
        whole body would say it."""
        if not isinstance(exc, json.JSONDecodeError) or not self.dropped:
            return str(exc)
        pos = self.dropped + exc.pos
        before = self.text.rfind("\n", 0, exc.pos)
        line = self.dropped_lines + self.text.count("\n", 0, exc.pos) + 1
        column = exc.pos - before if before >= 0 else pos - self.line_start + 1
        return f"{exc.msg}: line {line} column {column} (char {pos})"


class _Scanner:
    """Reads a window from `pos`, asking it for more whenever a token might go on past its end."""

    def __init__(self, window: Window) -> None:
        self.w = window
        self.pos = 0

    def more(self) -> bool:
        if self.w.more(self.pos):
            self.pos = 0
            return True
        return False

    @property
    def offset(self) -> int:
        return self.w.dropped + self.pos

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the body), the whitespace consumed."""
        while True:
            text = self.w.text
            m = _WS.match(text, self.pos)
            self.pos = pos = m.end() if m else self.pos
            if pos < len(text) or not self.more():
                return text[pos : pos + 1]

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise ValueError(f"expected {char!r} at offset {self.offset}, found {found or 'the end of the body'!r}")
        self.pos += 1

    def value(self) -> Any:
        """The JSON value at the next character; ValueError when it does not decode."""
        self.peek()
        return self.item(strict=True)

    def item(self, strict: bool = False) -> Any:
        """The JSON value at `pos`, or Poison for one that does not decode although it ends (read leniently)
        before the body does (ValueError instead when `strict`); ValueError when the body ends inside it."""
        while True:
            text, pos = self.w.text, self.pos
            try:
                value, end = _decode(text, pos)
            except ValueError as exc:
                try:
                    end = _value_end(text, pos)
                except ValueError:
                    if self.more():
                        continue
                    raise
                if strict:
                    raise ValueError(self.w.reason(exc)) from exc
                self.pos = end
                return Poison(text[pos:end], f"undecodable JSON item: {self.w.reason(exc)}")
            if not self.w.eof and _may_go_on(text, pos, end) and self.more():
                continue  # a number at the window's end may have more digits in the next chunk
            self.pos = end
            return value

    def array(self) -> Iterator[Any]:
        """The items of the array whose '[' was just consumed; consumes its ']'."""
        if self.peek() == "]":
            self.pos += 1
            return
        while len(self.w.text) - self.pos < jsoncodec.FAST_MIN_CHARS and self.more():
            pass  # a short list (an idle run's page) is read item by item: msgspec is never imported for it
        if len(self.w.text) - self.pos >= jsoncodec.FAST_MIN_CHARS:
            yield from self._batches(jsoncodec.list_reader())
        yield from self._items()

    def _items(self) -> Iterator[Any]:
        """The array's items from `pos` (an item or the whitespace before it), one raw_decode each; a token
        that meets the window's end takes the careful way (`item`, `peek`, `expect`)."""
        w = self.w
        self.peek()
        while True:
            text, pos = w.text, self.pos
            try:
                item, end = _decode(text, pos)
            except ValueError:
                m = None
            else:
                m = _SEPARATOR.match(text, end)
            if m is not None and m.end() < len(text):
                if m.group(1) == "]":
                    self.pos = m.end()
                    yield item
                    return
                self.pos = m.end()
                yield item
                continue
            yield self.item()
            if self.peek() == "]":
                self.pos += 1
                return
            self.expect(",")
            self.peek()

    def _batches(self, read: Callable[[str], Iterator[Any] | None]) -> Iterator[Any]:
        """Every item wholly inside the window in one `read` call (jsoncodec.list_reader: msgspec with the
        fast extra, json.loads without), the window split before the last item that starts as the first did
        (`{"firstKey":`). The decoding validates the split: text cut inside an item cannot decode as a list.
        Returns, leaving the rest to `_items`, at the array's last item or when a window is refused (a bad
        item, which `_items` then delivers as Poison; with msgspec also NaN or a lone surrogate, which the
        standard library reads as without the extra)."""
        w = self.w
        head = w.text[self.pos : self.pos + _LEAD_CHARS]
        colon = head.find(":")
        if colon < 0 or '"' not in head[:colon]:
            return  # items that are not objects (nor strings holding ':'): no cheap way to split them
        lead = head[: colon + 1]
        while True:
            self.peek()  # at an item's first character: the split below leaves at least that item before it
            text, pos = w.text, self.pos
            found, tries, start = None, 0, len(text)
            while tries < _SPLIT_TRIES and (cut := text.rfind(lead, pos + 1, start)) > 0:
                start = cut
                comma = cut - 1
                while text[comma] in " \t\n\r":
                    comma -= 1
                if text[comma] != "," or comma <= pos:  # not after a separator, or no item before it
                    continue
                tries += 1
                found = read("[" + text[pos:comma] + "]")
                if found is not None:
                    break
            if found is None:
                if tries or not self.more():
                    return  # refused, or no whole item left before the end: the standard library goes on
                continue
            self.pos = comma + 1
            yield from found


def _may_go_on(text: str, pos: int, end: int) -> bool:
    """A value ending where the window ends, or a number whose characters run to it, may go on."""
    if end >= len(text):
        return True
    m = _SCALAR.match(text, pos)
    return text[pos] not in "{[\"" and m is not None and m.end() >= len(text)


_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
_LEAD_CHARS = 80
_SPLIT_TRIES = 4


class LazyObject:
    """`members`: every member but the array (complete once `items` is exhausted); `items`: the array."""

    def __init__(self, body: str | Window, key: str) -> None:
        self._scan = _Scanner(body if isinstance(body, Window) else Window(body))
        self.key = key
        self.members: dict[str, Any] = {}
        self.has_array = False
        self._scan.expect("{")
        self._read_members(until_array=True)

    def _read_members(self, until_array: bool) -> None:
        """Decode members; stop after the array's '[' (when `until_array`) or at the end of the body."""
        scan = self._scan
        first = not self.members and not self.has_array
        while True:
            if scan.peek() == "}":
                scan.pos += 1
                if scan.peek() != "":
                    raise ValueError(f"extra data at offset {scan.offset}")
                return
            if not first:
                scan.expect(",")
            first = False
            name = scan.value()
            if not isinstance(name, str):
                raise ValueError(f"member name expected at offset {scan.offset}")
            scan.expect(":")
            if until_array and name == self.key and scan.peek() == "[":
                self.has_array = True
                scan.pos += 1
                return
            self.members[name] = scan.value()

    def items(self) -> Iterator[Any]:
        if not self.has_array:
            return
        yield from self._scan.array()
        self._read_members(until_array=False)
        self._scan.w.text = ""  # the whole body is decoded: let it go


@dataclass
class Decoded:
    """A body being decoded: `items` (values or Poison), then `members` (an object's other members) and
    `has_list` are complete once `items` is exhausted without ValueError."""

    body: Body
    items: Iterator[Any]
    members: dict[str, Any]
    has_list: bool = True


def _list(window: Window) -> Iterator[Any]:
    scan = _Scanner(window)
    scan.expect("[")
    yield from scan.array()
    if scan.peek() != "":
        raise ValueError(f"extra data at offset {scan.offset}")
    window.text = ""


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


def decode(body: str | Window, bodies: tuple[Body, ...], content_type: str = "") -> Decoded:
    """Start decoding `body` (a whole text, or a Window on one arriving) as the declared shape its first
    character selects; ValueError otherwise. Text lines (inSync CEF/Syslog pages) are read whole first."""
    window = body if isinstance(body, Window) else Window(body)
    if any(b.shape is Shape.TEXT_LINES for b in bodies):
        window.read_all()
    scan = _Scanner(window)
    head = scan.peek()
    while len(window.text) - scan.pos < 16 and scan.more():
        pass
    if is_markup(window.text[scan.pos : scan.pos + 16], content_type):
        raise ValueError("an HTML page, not " + " or ".join(map(str, bodies)))
    if head == "{" and any(b.shape is Shape.TEXT_LINES for b in bodies) and _is_ndjson(window.text):
        return Decoded(Body(Shape.TEXT_LINES), _lines(window.text), {})
    for declared in bodies:
        if declared.shape is Shape.OBJECT_LIST and head == "{":
            obj = LazyObject(window, declared.key)
            decoded = Decoded(declared, iter(()), obj.members, obj.has_array)
            decoded.items = obj.items()
            return decoded
        if declared.shape is Shape.JSON_LIST and head == "[":
            return Decoded(declared, _list(window), {})
        if declared.shape is Shape.TEXT_LINES and head not in ("{", "["):
            return Decoded(declared, _lines(window.text), {})
    shown = " ".join(window.first[:60].split())
    raise ValueError(f"not {' or '.join(map(str, bodies))}: {shown!r}")
