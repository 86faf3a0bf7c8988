"""The audit log: an endless deterministic sequence of audit events in time order, and its two endpoints.

`POST /v1/audit/search-audit-log` pages newest first (`page`, `pageSize` <= 10,000) within a `dateRange`;
`POST /v1/audit/search-results-count` counts the same range.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from c2c.emulator.code42.query import Problem
from c2c.emulator.code42.shared import USERS, mix
from c2c.emulator.core import Response
from c2c.emulator.times import NS, epoch_or_iso_ns, iso_ns

AUDIT_TYPES = ["audit_log::logged_in/1", "audit_log::search_file_events/1", "audit_log::user_role_added/1",
               "audit_log::api_client_created/1", "audit_log::rule_updated/1"]


@dataclass
class AuditSequence:
    seed: int
    start_ns: int
    backlog: int
    spacing_ns: int

    def _anchor(self, i: int) -> int:
        return i >> 2 << 2 if mix(self.seed, i >> 2, 11) % 6 == 0 else i  # several events at one instant

    def digits(self, i: int) -> int:
        return 9 if mix(self.seed, self._anchor(i), 13) % 5 == 0 else 3  # some carry nanoseconds

    def timestamp(self, i: int) -> int:
        a = self._anchor(i)
        # The jitter stays a millisecond short of the spacing: an event truncated to the millisecond then never
        # sorts before its predecessor (the log is in time order, and dateRange is found by bisection).
        jitter = mix(self.seed, a, 12) % max(1, self.spacing_ns - 1_000_000)
        ns = self.start_ns - (self.backlog - a) * self.spacing_ns + jitter
        return ns if self.digits(i) == 9 else ns - ns % 1_000_000

    def first_at_or_after(self, t_ns: int) -> int:
        hi = max(0, (t_ns - (self.start_ns - self.backlog * self.spacing_ns)) // self.spacing_ns + 8)
        return bisect.bisect_left(range(hi), t_ns, key=self.timestamp)

    def render(self, i: int) -> dict[str, Any]:
        # Every 50th event repeats its predecessor exactly (same instant, same content): both are real.
        if i % 50 == 49 and self.timestamp(i) == self.timestamp(i - 1):
            return self.render(i - 1)
        h = mix(self.seed, i, 14)
        kind = AUDIT_TYPES[h % len(AUDIT_TYPES)]
        user = USERS[(h >> 8) % len(USERS)]
        ts = self.timestamp(i)
        event: dict[str, Any] = {
            "type$": kind, "actorId": str(10**15 + h % 10**6), "actorName": f"{user}@example.com",
            "actorAgent": "py42 1.26.0 python 3.11" if h % 4 == 0 else "Mozilla/5.0",
            "actorIpAddress": "50.93.255.223, 64.252.71.111" if h % 9 == 0 else f"198.51.100.{h % 250}",
            "timestamp": iso_ns(ts, self.digits(i)), "actorType": "USER" if h % 3 else "API_CLIENT",
        }
        if kind.startswith("audit_log::logged_in"):
            event.update(success=bool(h % 7), loginType="LOCAL")
        elif kind.startswith("audit_log::search_file_events"):
            event.update(resultCount=h % 5000, requestJson='{"groups":[]}', fileEventQuery=None)
        else:
            event.update(resourceId=f"res-{h % 9999}", federationId=None)
        return event



def date_range(body: dict[str, Any], now_ns: int, retention_s: float) -> tuple[int, int]:
    """The [lo, hi] of a request's `dateRange`, within retention and never past now."""
    rng = body.get("dateRange") or {}
    try:
        start = epoch_or_iso_ns(rng.get("startTime")) or 0
        end = epoch_or_iso_ns(rng.get("endTime"))
    except (ValueError, OverflowError):
        raise Problem("ILLEGAL_VALUE", "bad dateRange") from None
    return max(start, now_ns - int(retention_s * NS)), min(end if end is not None else now_ns, now_ns)


def search(log: AuditSequence, body: dict[str, Any], now_ns: int, retention_s: float) -> Response:
    page, size = int(body.get("page", 0)), int(body.get("pageSize", 100))
    if size < 1 or size > 10_000 or page < 0:
        return Response(400, {"msg": "page must be >= 0 and pageSize 1..10000"})
    lo, hi = date_range(body, now_ns, retention_s)
    a, b = log.first_at_or_after(lo), log.first_at_or_after(hi + 1)
    # newest first: offset 0 is index b-1
    first, last = b - 1 - page * size, max(a, b - (page + 1) * size)
    events = [log.render(i) for i in range(first, last - 1, -1)] if first >= a else []
    return Response(200, {"events": events, "paginationRangeStartIndex": page * size,
                          "paginationRangeEndIndex": page * size + len(events)})


def count(log: AuditSequence, body: dict[str, Any], now_ns: int, retention_s: float) -> Response:
    lo, hi = date_range(body, now_ns, retention_s)
    return Response(200, {"totalResultCount": max(0, log.first_at_or_after(hi + 1) - log.first_at_or_after(lo))})
