"""Code42 Incydr alerts: sessions with alerts from GET /v1/sessions (the alerts query API is retired).

Sessions mutate: endTime, lastUpdated, scores, states and triggeredAlerts change after a session begins,
and the API filters on begin time only. So every run re-reads the sessions with alerts that began within
`alertsLookbackHours` (ordered by end time ascending, so an update moves a session towards the pages not
yet read), and emits a session when it is new or its `lastUpdated` moved forward: never twice for the
same (sessionId, lastUpdated).

Cursor: {"sessions": {sessionId: [beginTime, lastUpdated]}} for sessions that began inside the look-back
(bounded by it: older ones are dropped since the query no longer returns them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from c2c import timefmt
from c2c.sources.base import Page
from c2c.sources.incydr_base import IncydrStream

PATH = "/v1/sessions"
PAGE_SIZE = 50  # the documented maximum
MAX_PAGES_PER_RUN = 10_000  # a guard against a server that never returns a short page


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class Alerts(IncydrStream):
    data_type = "alerts"

    def pages(self, cursor: Any) -> Iterator[Page]:
        first_run = not isinstance(cursor, dict)
        lookback = self.lookback_ms("alertsLookbackHours")
        if first_run:
            lookback = max(lookback, self.lookback_ms("firstRunLookbackHours"))
        since = self.now_ms() - lookback
        known = {} if first_run else (cursor.get("sessions") or {})
        seen: dict[str, list[int]] = {sid: v for sid, v in known.items() if v[0] >= since}
        for page in range(MAX_PAGES_PER_RUN):
            params = {"has_alerts": "true", "on_or_after": since, "order_by": "end_time",
                      "sort_direction": "ASC", "page_number": page, "page_size": PAGE_SIZE}
            items = self.expect_list(self.client.json("GET", PATH, params=params), "items", PATH)
            out = []
            seen = dict(seen)  # never mutate the cursor of the page already handed out
            for session in items:
                if not isinstance(session, dict) or session.get("sessionId") is None:
                    continue
                sid, updated = str(session["sessionId"]), _int(session.get("lastUpdated"))
                previous = seen.get(sid)
                if previous is None or updated > previous[1]:
                    out.append(session)
                    seen[sid] = [_int(session.get("beginTime")), updated]
            yield Page(out, {"sessions": seen})
            if len(items) < PAGE_SIZE:
                return

    def event_time(self, event: dict[str, Any]) -> str | None:
        # The session as of its last update: that is what a re-emitted session reports.
        return timefmt.from_any(event.get("lastUpdated")) or timefmt.from_any(event.get("beginTime"))
