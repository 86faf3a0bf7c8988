"""Code42 Incydr audit events: POST /v1/audit/search-audit-log, newest first, 0-based offset pages
(`cursors.NumberWindow`, counted content dedupe).

Each window is a closed dateRange [start, end] (a fixed end keeps offsets from shifting as new events
arrive while paging); each page is emitted oldest first. Audit events have no id, so they are deduplicated
by a hash of their canonical JSON, with a count so that two genuinely identical events at the same instant
are both delivered. A new window starts `overlapSeconds` before the newest event delivered; a run stopped
mid-window continues with the window shrunk to end at the oldest event delivered so far (+1 ms).
"""

from __future__ import annotations

from typing import Any

from c2c.cursors import NumberWindowSpec, Request, epoch_ns, number_window
from c2c.jsonstream import Body, Shape
from c2c.sources.base import DataType
from c2c.sources.incydr_base import IncydrBase, check_problems

PATH = "/v1/audit/search-audit-log"


def audit_events(source: IncydrBase) -> DataType:
    size = int(source.setting("auditEventsPageSize"))

    def request(start_ms: int, end_ms: int | None, page: int) -> Request:
        return Request("POST", PATH, json={
            "actorIds": None, "actorIpAddresses": None, "actorNames": None,
            "dateRange": {"startTime": start_ms / 1000, "endTime": None if end_ms is None else end_ms / 1000},
            "eventTypes": None, "page": page, "pageSize": size, "resourceIds": None, "userTypes": None},
            cursor_sent=page > 0)

    def time_ns(record: dict[str, Any]) -> int | None:
        return epoch_ns(record.get("timestamp"))

    spec = NumberWindowSpec(request=request, page_size=size, now_ms=source.now_ms, time_ns=time_ns,
                            lookback_ms=source.hours_ms("firstRunLookbackHours"),
                            overlap_ms=int(source.setting("overlapSeconds")) * 1000)
    return DataType("auditEvents", lambda saved: number_window(spec, saved), (Body(Shape.OBJECT_LIST, "events"),),
                    times=("timestamp",), check=check_problems, order=lambda r: time_ns(r) or 0,
                    first_read=source.lookback(source.setting("firstRunLookbackHours"), "firstRunLookbackHours"))
