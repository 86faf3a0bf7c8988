"""Decode a JSON object whose one big array is read item by item, so a page never exists twice in memory.

A page of 10,000 Code42 file events is ~8 MB of text and ~31 MB once parsed whole. Decoding each item
when the consumer reaches it keeps one item parsed at a time beside the text. The members before the array
are decoded eagerly (a body that is not a JSON object fails there, inside the caller's retry loop); the
members after it are decoded when the array is exhausted, into the same `members` dict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_decode = json.JSONDecoder().raw_decode


class LazyObject:
    """`members`: every member but the array (complete once `items` is exhausted); `items`: the array."""

    def __init__(self, text: str, key: str) -> None:
        self.text = text
        self.key = key
        self.members: dict[str, Any] = {}
        self.has_array = False
        self._pos = self._skip(self._expect(0, "{"))
        self._array_pos: int | None = None
        self._read_members(until_array=True)

    def _skip(self, pos: int) -> int:
        m = _WS.match(self.text, pos)
        return m.end() if m else pos

    def _expect(self, pos: int, char: str) -> int:
        pos = self._skip(pos)
        if self.text[pos : pos + 1] != char:
            raise ValueError(f"expected {char!r} at offset {pos}")
        return pos + 1

    def _read_members(self, until_array: bool) -> None:
        """Decode members from `_pos`; stop at the array's '[' (when `until_array`) or at the closing '}'."""
        text, pos = self.text, self._pos
        first = not self.members and not self.has_array
        while True:
            pos = self._skip(pos)
            if text[pos : pos + 1] == "}":
                end = self._skip(pos + 1)
                if end != len(text):
                    raise ValueError(f"extra data at offset {end}")
                self._pos = end
                return
            if not first:
                pos = self._skip(self._expect(pos, ","))
            first = False
            name, pos = _decode(text, pos)
            if not isinstance(name, str):
                raise ValueError(f"member name expected at offset {pos}")
            pos = self._skip(self._expect(pos, ":"))
            if until_array and name == self.key and text[pos : pos + 1] == "[":
                self.has_array = True
                self._pos = pos + 1
                return
            self.members[name], pos = _decode(text, pos)

    def items(self) -> Iterator[Any]:
        if not self.has_array:
            return
        text, pos = self.text, self._skip(self._pos)
        if text[pos : pos + 1] == "]":
            pos += 1
        else:
            while True:
                item, pos = _decode(text, pos)
                yield item
                pos = self._skip(pos)
                if text[pos : pos + 1] == "]":
                    pos += 1
                    break
                pos = self._skip(self._expect(pos, ","))
        self._pos = pos
        self._read_members(until_array=False)
        self.text = ""  # the whole body is decoded: let it go
