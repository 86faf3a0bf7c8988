"""Code42 Incydr alerts: sessions with alerts from GET /v1/sessions (the alerts query API is retired).

Sessions mutate: endTime, lastUpdated, scores, states (stateV2) and triggeredAlerts change after a session
begins, and the API filters on begin time only. So every run re-reads the sessions with alerts that began
within `alertsLookbackHours` (ordered by end time ascending, so an update moves a session towards the pages
not yet read), and emits a session when it is new or its content changed: a hash of the whole session is
compared, not `lastUpdated` alone (`cursors.NumberWindow` keyed by sessionId).

Cursor: {"sessions": {sessionId: [beginTime ms, content hash]}} for sessions that began inside the look-back
(an older c2c saved lastUpdated in place of the hash: such a session is new when lastUpdated moved).
"""

from __future__ import annotations

from typing import Any

from c2c.cursors import NumberWindowSpec, Request, number_window
from c2c.jsonstream import Body, Shape
from c2c.sources.base import DataType
from c2c.sources.incydr_base import IncydrBase, check_problems

PATH = "/v1/sessions"
PAGE_SIZE = 50  # the documented maximum


def request(start_ms: int, end_ms: int | None, page: int) -> Request:
    return Request("GET", PATH, params={"has_alerts": "true", "on_or_after": start_ms, "order_by": "end_time",
                                        "sort_direction": "ASC", "page_number": page, "page_size": PAGE_SIZE},
                   cursor_sent=page > 0)


def session_id(record: dict[str, Any]) -> str | None:
    return None if record.get("sessionId") is None else str(record["sessionId"])


def begin_ns(record: dict[str, Any]) -> int | None:
    begin = record.get("beginTime")
    return begin * 1_000_000 if isinstance(begin, int) and not isinstance(begin, bool) else None


def alerts(source: IncydrBase) -> DataType:
    spec = NumberWindowSpec(request=request, page_size=PAGE_SIZE, now_ms=source.now_ms, time_ns=begin_ns,
                            lookback_ms=source.hours_ms("alertsLookbackHours"), key=session_id,
                            first_lookback_ms=source.hours_ms("firstRunLookbackHours"),
                            legacy_new=lambda session, updated: (session.get("lastUpdated") or 0) > updated)
    # The session as of its last update: that is what a re-emitted session reports (docs/sources.md).
    return DataType("alerts", lambda saved: number_window(spec, saved), (Body(Shape.OBJECT_LIST, "items"),),
                    times=("lastUpdated", "endTime", "beginTime"), check=check_problems,
                    first_read=source.lookback(max(float(source.setting("alertsLookbackHours")),
                                                   float(source.setting("firstRunLookbackHours"))),
                                               "the larger of alertsLookbackHours and firstRunLookbackHours"))
