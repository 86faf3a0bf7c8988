"""Code42 Incydr audit events: POST /v1/audit/search-audit-log, newest first, 0-based offset pages.

Each window is a closed dateRange [start, end] (a fixed end keeps offsets from shifting as new events
arrive while paging). Pages come newest first; each page is emitted oldest first. Audit events have no
id, so they are deduplicated by a hash of their canonical JSON, with a count so that two genuinely
identical events at the same instant are both delivered.

A new window starts `overlapSeconds` before the newest event delivered. A run stopped mid-window
continues next time with the window shrunk to end at the oldest event delivered so far (+1 ms), from
page 0: robust even if offsets moved in between.

Cursor: {floor (first-run start, ms), maxNs (newest delivered), window {start, end} (ms; null between
windows), hashes {hash: [timestamp ms, count]}} with hashes kept only where a later query can meet them
again: at or after (max - overlap), and at the resume boundary.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from c2c import timefmt
from c2c.sources.base import Page
from c2c.sources.incydr_base import IncydrStream

PATH = "/v1/audit/search-audit-log"
MAX_PAGES_PER_RUN = 100_000


def content_hash(event: dict[str, Any]) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(canonical.encode(), digest_size=10).hexdigest()


def _timestamp_ns(event: dict[str, Any]) -> int | None:
    ts = event.get("timestamp")
    try:
        return timefmt.to_epoch_ns(ts) if isinstance(ts, str) else None
    except (ValueError, OverflowError):
        return None


class AuditEvents(IncydrStream):
    data_type = "auditEvents"

    def body(self, start_ms: int, end_ms: int, page: int) -> dict[str, Any]:
        return {"actorIds": None, "actorIpAddresses": None, "actorNames": None,
                "dateRange": {"startTime": start_ms / 1000, "endTime": end_ms / 1000},
                "eventTypes": None, "page": page, "pageSize": int(self.setting("auditEventsPageSize")),
                "resourceIds": None, "userTypes": None}

    def pages(self, cursor: Any) -> Iterator[Page]:
        c = dict(cursor) if isinstance(cursor, dict) else {}
        overlap_ms = int(self.setting("overlapSeconds")) * 1000
        size = int(self.setting("auditEventsPageSize"))
        floor = int(c.get("floor") or self.now_ms() - self.lookback_ms("firstRunLookbackHours"))
        max_ns: int | None = c.get("maxNs")
        window = c.get("window") or {
            "start": max_ns // 1_000_000 - overlap_ms if max_ns is not None else floor,
            "end": self.now_ms(),
        }
        start, end = int(window["start"]), int(window["end"])
        prior: dict[str, list[int]] = c.get("hashes") or {}
        counts: dict[str, list[int]] = {}  # what this read has met: hash -> [ms, count]
        oldest_ms: int | None = None
        for page in range(MAX_PAGES_PER_RUN):
            batch = self.expect_list(self.client.json("POST", PATH, json=self.body(start, end, page)), "events",
                                     PATH)
            fresh: list[tuple[int, dict[str, Any]]] = []
            counts = dict(counts)
            for event in batch:
                if not isinstance(event, dict):
                    continue
                ns = _timestamp_ns(event)
                ms = ns // 1_000_000 if ns is not None else end
                h = content_hash(event)
                n = counts[h][1] + 1 if h in counts else 1
                counts[h] = [ms, n]
                if n > (prior[h][1] if h in prior else 0):
                    fresh.append((ns or 0, event))
                    if ns is not None:
                        max_ns = ns if max_ns is None else max(max_ns, ns)
                oldest_ms = ms if oldest_ms is None else min(oldest_ms, ms)
            finished = len(batch) < size
            # Hashes matter only where a later query can meet them again: the overlap below the newest
            # event, and (mid-window) the instant a resumed window ends at.
            top = max_ns // 1_000_000 - overlap_ms if max_ns is not None else end
            edge = oldest_ms + 1 if (oldest_ms is not None and not finished) else -1
            counts = {h: v for h, v in counts.items() if v[0] >= top or v[0] <= edge}
            merged = {h: v for h, v in prior.items() if v[0] >= top or v[0] <= edge}
            for h, (ms, n) in counts.items():
                if n > (merged[h][1] if h in merged else 0):
                    merged[h] = [ms, n]
            fresh.sort(key=lambda pair: pair[0])
            next_window = None if finished else {"start": start, "end": (oldest_ms if oldest_ms is not None
                                                                          else end) + 1}
            yield Page([e for _, e in fresh], {"floor": floor, "maxNs": max_ns, "window": next_window,
                                               "hashes": merged})
            if finished:
                return
            # Within a run the window is closed, so offsets are stable: go on by page number.
            prior = merged

    def event_time(self, event: dict[str, Any]) -> str | None:
        return timefmt.from_any(event.get("timestamp"))
