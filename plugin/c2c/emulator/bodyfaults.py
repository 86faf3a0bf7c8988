"""Body faults: a real answer altered so that it no longer decodes, with its HTTP framing intact.

See `Fault` (faults.py) for what each produces; this module only rewrites bodies.
"""

from __future__ import annotations

import json
from typing import Any

POISON_LINE = "this line is neither CEF nor Syslog (c2c emulator: poison_item)"
HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"
    "<body><h1>Sign in to continue</h1><form method=\"post\" action=\"/login\">"
    "<input name=\"username\"><input name=\"password\" type=\"password\"></form>"
    "<p>The service is down for maintenance.</p></body></html>\n"
)
# Marks the spot in a string value; json.dumps writes it as \u0000..., which becomes the invalid escape.
_MARK = "\x00c2c-poison\x00"
_MARK_JSON = json.dumps(_MARK)[1:-1]
_BAD_ESCAPE = "\\E"


def cut(payload: bytes, share: float) -> bytes:
    """The first `share` of the body's bytes."""
    return payload[: int(len(payload) * share)]


def poison(payload: bytes, content_type: str) -> bytes | None:
    """The body with its middle item undecodable, or None when it holds no item."""
    text = payload.decode("utf-8", "replace")
    head = text.lstrip()[:1]
    if "json" in content_type.lower() or head in ("[", "{"):
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, list | dict):
            return _poison_json(body)
        if "json" in content_type.lower():
            return None
    return _poison_lines(text)


def _poison_json(body: list[Any] | dict[str, Any]) -> bytes | None:
    items = body if isinstance(body, list) else next(
        (v for v in body.values() if isinstance(v, list) and v), None)
    if not items:
        return None
    middle = len(items) // 2
    items[middle] = _marked(items[middle])
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return text.replace(_MARK_JSON, _BAD_ESCAPE, 1).encode("utf-8")


def _marked(item: Any) -> Any:
    """The item with the mark in the middle of its first string value (depth-first)."""
    if isinstance(item, str):
        return item[: len(item) // 2] + _MARK + item[len(item) // 2 :]
    if isinstance(item, dict):
        for key, value in item.items():
            if _has_string(value):
                return {**item, key: _marked(value)}
        return {**item, "poison": _MARK}
    if isinstance(item, list):
        for n, value in enumerate(item):
            if _has_string(value):
                return [*item[:n], _marked(value), *item[n + 1 :]]
        return [*item, _MARK]
    return [item, _MARK]  # a bare number or literal: an item that no longer decodes either way


def _has_string(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return any(_has_string(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_string(v) for v in value)
    return False


def _poison_lines(text: str) -> bytes | None:
    lines = text.split("\n")  # only LF ends a line: a value may hold other Unicode line breaks
    events = [n for n, line in enumerate(lines) if line.strip()]
    if not events:
        return None
    n = events[len(events) // 2]
    lines[n] = POISON_LINE + ("\r" if lines[n].endswith("\r") else "")
    return "\n".join(lines).encode("utf-8")
