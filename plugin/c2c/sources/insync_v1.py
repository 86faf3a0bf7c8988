"""Druva inSync Events API v1 (legacy: admin e-mail + API token, HTTP Basic).

GET {baseURL}/api/events/v1[?format=CEF|Syslog]. Each response sets a `progress` cookie; sending it back
returns only newer events, so the cookie is the cursor (persisted only after its page is written). Druva's
answer to an expired or invalid cookie (400 "Cookie expired" / "Cookie Invalid") is to call again without
it, which returns every event again: the chain restarts, with a Warning health record counting duplicates.
The body shape is undocumented, so the likely ones are declared: text, one CEF/Syslog line per line; a JSON
list (or {"events": [...]}) of objects or of lines. CEF and Syslog lines are parsed into records with
Druva's JSON attribute names; a line that does not parse is emitted raw with `_parseError`.
"""

from __future__ import annotations

import json
from typing import Any

from c2c.cursors import Chain, ChainSpec, Request
from c2c.formats.insync import TIME_KEYS, parse_line
from c2c.formats.insync_fields import parse_error
from c2c.http import Rule, Verdict
from c2c.jsonstream import Body, Shape
from c2c.sources.base import DataType

PATH = "/api/events/v1"
JSON_BODIES = (Body(Shape.OBJECT_LIST, "events"), Body(Shape.JSON_LIST))
RULES = (
    Rule((400,), Verdict.CURSOR_REJECTED, marker="cookie", with_cursor=True),
    Rule((401,), Verdict.CONFIG, hint="the admin e-mail or API token was rejected (wrong, or the token expired: "
         "create a new one under Settings > inSync APIs)"),
    Rule((403,), Verdict.CONFIG, hint="access denied (the Events API needs an Elite or Elite Plus licence and "
         "'Export Events' enabled under Settings > inSync APIs)"),
)


def insync_events_v1(fmt: str) -> DataType:
    params = {"format": fmt} if fmt in ("CEF", "Syslog") else {}  # JSON is the API's default

    def request(cookie: str | None, waived: bool) -> Request:
        headers = {"Cookie": f"progress={cookie}"} if cookie else {}
        return Request("GET", PATH, params=params, headers=headers, cursor_sent=bool(cookie))

    def record(item: Any) -> dict[str, Any]:
        if isinstance(item, str) and item.lstrip().startswith("{"):  # NDJSON
            try:
                item = json.loads(item)
            except ValueError:
                return parse_error(item, "not a JSON object")
        if isinstance(item, dict):
            return item
        if isinstance(item, str):
            return parse_line(item, fmt)
        return parse_error(json.dumps(item), "not an event object or line")

    spec = ChainSpec(key="progress", request=request, position=lambda reply: reply.cookies.get("progress"),
                     restarts=True, api="v1")
    bodies = JSON_BODIES if fmt == "JSON" else (*JSON_BODIES, Body(Shape.TEXT_LINES))
    return DataType("insyncEvents", lambda saved: Chain(spec, saved), bodies, times=TIME_KEYS, rules=RULES,
                    record=record)
