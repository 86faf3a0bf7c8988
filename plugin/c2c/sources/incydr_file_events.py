"""Code42 Incydr file events: POST /v2/file-events, windowed on event.inserted (`cursors.TokenWindow`).

Why `event.inserted` and not `@timestamp`: an event becomes searchable when it is inserted, which can be
hours or days after the device saw it (offline endpoints); a window on `@timestamp` misses those. A window
[start, end] is read sorted ascending with `pgToken` ("" first, then `nextPgToken`); a new one starts
`overlapSeconds` before the newest event.inserted delivered, deduped by event.id. INVALID_PAGE_TOKEN
re-queries the window from the newest inserted time reached; QUERY_TIMEOUT retries with a quarter of the
page size (down to 100); a 403 (a plan or API client without file-event access) stops this data type only.
"""

from __future__ import annotations

from typing import Any

from c2c import timefmt
from c2c.cursors import Request, TokenWindow, TokenWindowSpec, epoch_ns
from c2c.http import Rule, Verdict
from c2c.jsonstream import Body, Shape
from c2c.sources.base import DataType
from c2c.sources.incydr_base import IncydrBase, check_problems

PATH = "/v2/file-events"
RULES = (
    Rule((400, 500), Verdict.CURSOR_REJECTED, marker="INVALID_PAGE_TOKEN"),
    *(Rule((400, 500), Verdict.PAGE_TOO_BIG, marker=m) for m in ("QUERY_TIMEOUT", "RESPONSE_CONTENT_TOO_LARGE")),
    Rule((400, 500), Verdict.GENERIC, marker="SEARCH_FAILED"),
    Rule((403,), Verdict.CONFIG, hint="this API client may not read file events (its permissions, or an Incydr "
         "plan with base API access); the other data types go on"),
)


def request(start_ms: int, end_ms: int, token: str, size: int) -> Request:
    def bound(operator: str, ms: int) -> dict[str, str]:
        return {"term": "event.inserted", "operator": operator, "value": timefmt.from_epoch_ns(ms * 1_000_000)}

    query = {"groupClause": "AND", "groups": [{"filterClause": "AND", "filters": [
        bound("ON_OR_AFTER", start_ms), bound("ON_OR_BEFORE", end_ms)]}],
        "pgNum": 1, "pgSize": size, "pgToken": token,  # "" (never null): null is page-number mode, capped at 10,000
        "srtDir": "asc", "srtKey": "event.inserted"}
    return Request("POST", PATH, json=query, cursor_sent=bool(token))


def identity(record: dict[str, Any]) -> tuple[str | None, int | None]:
    inner = record.get("event")  # or a flattened export ("event.id"), as code42cli#399 met
    eid, inserted = (inner.get("id"), inner.get("inserted")) if isinstance(inner, dict) else (
        record.get("event.id"), record.get("event.inserted"))
    return (str(eid) if eid is not None else None), epoch_ns(inserted)


def file_events(source: IncydrBase) -> DataType:
    spec = TokenWindowSpec(request=request, identity=identity, now_ms=source.now_ms,
                           next_token=lambda reply: reply.members.get("nextPgToken") or None,
                           lookback_ms=source.hours_ms("firstRunLookbackHours"),
                           overlap_ms=int(source.setting("overlapSeconds")) * 1000,
                           page_size=int(source.setting("fileEventsPageSize")))
    return DataType("fileEvents", lambda saved: TokenWindow(spec, saved), (Body(Shape.OBJECT_LIST, "fileEvents"),),
                    times=("@timestamp", "event.inserted"), rules=RULES, check=check_problems,
                    first_read=source.lookback(source.setting("firstRunLookbackHours"), "firstRunLookbackHours"))
