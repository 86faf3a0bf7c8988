"""The file-event generator: an endless deterministic sequence of Code42 file events.

Event i is computed from (seed, i) when asked for, never stored, so a backlog of millions costs nothing
until it is paged. Event i is inserted at `start - (backlog - i) * spacing` (bursts of 4 share one
instant), happened (`@timestamp`) seconds to days before that, and is searchable only once the virtual
clock passes its insert time plus, for a few, an indexing lag (the late events an overlap window must
catch). Events past `backlog` appear as the clock moves on. Tests add explicit events beside them.
"""

from __future__ import annotations

import bisect
import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from c2c.emulator.code42.shared import TENANT, USERS, mix
from c2c.emulator.times import NS, iso_ns

DEVICE_BASE = 973435567569502913
EVENT_N_BASE = 986467523038446097
ACTIONS = [("file-created", "Endpoint"), ("file-modified", "Endpoint"), ("removable-media-created", "Endpoint"),
           ("application-read", "Endpoint"), ("file-shared", "GoogleDrive"), ("file-downloaded", "Box"),
           ("emailed", "Office365Email")]
SEVERITIES = ["NO_RISK_INDICATED", "LOW", "MODERATE", "HIGH", "CRITICAL"]
# One item of the sequence: (inserted ns, event id, searchable from ns, index into the sequence or JSON text)
Item = tuple[int, str, int, Any]


@dataclass
class FileEventSequence:
    seed: int
    start_ns: int  # the virtual time the sequence was anchored at
    backlog: int  # events inserted before start_ns
    spacing_ns: int
    late_permille: int = 20  # events searchable only after an indexing lag
    max_index_lag_s: int = 120
    extras: list[tuple[int, str, int, str]] = field(default_factory=list)  # (inserted, id, visible, json)
    extra_index: dict[str, int] = field(default_factory=dict)  # id -> position in extras

    @property
    def base_ns(self) -> int:
        return self.start_ns - self.backlog * self.spacing_ns

    def inserted(self, i: int) -> int:
        block = i >> 2
        if mix(self.seed, block, 1) % 8 == 0:  # a burst: four events with one insert instant
            i = block << 2
        return self.base_ns + i * self.spacing_ns + mix(self.seed, i, 2) % self.spacing_ns

    def visible(self, i: int) -> int:
        h = mix(self.seed, i, 3)
        lag = (h >> 20) % (self.max_index_lag_s * NS) if h % 1000 < self.late_permille else 0
        return self.inserted(i) + lag

    def event_id(self, i: int) -> str:
        h = mix(self.seed, i, 4)
        if h % 3:  # endpoint form; the index is in the event number
            return f"0_{TENANT}_{DEVICE_BASE + h % 1000}_{EVENT_N_BASE + i}_0_EPS" + ("_DARWIN" if h % 5 == 0 else "")
        g = f"{mix(self.seed, i, 5):016x}"
        return f"{g[:8]}-{g[8:12]}-4{g[12:15]}-{'89ab'[h % 4]}{f'{h:016x}'[:3]}-{i:012x}"

    def index_of(self, event_id: str) -> int | None:
        try:
            i = int(event_id.split("_")[3]) - EVENT_N_BASE if event_id.startswith("0_") else int(event_id[-12:], 16)
        except (ValueError, IndexError):
            return None
        return i if i >= 0 and self.event_id(i) == event_id else None

    def first_at_or_after(self, t_ns: int) -> int:
        hi = max(0, (t_ns - self.base_ns) // self.spacing_ns + 8)
        return bisect.bisect_left(range(hi), t_ns, key=self.inserted)

    def render(self, i: int) -> str:
        h = mix(self.seed, i, 6)
        inserted = self.inserted(i)
        tier = h % 100
        delay_s = (h >> 8) % 300 + 2 if tier < 94 else ((h >> 8) % 36_000 if tier < 99 else (h >> 8) % 432_000)
        ts = inserted - delay_s * NS - (h >> 40) % NS
        ingested = inserted - ((h >> 24) % 5 + 1) * NS // 2
        action, source = ACTIONS[(h >> 12) % len(ACTIONS)]
        user = USERS[(h >> 16) % len(USERS)]
        sev = SEVERITIES[(h >> 20) % len(SEVERITIES)]
        size = (h >> 28) % 50_000_000
        ts_text = iso_ns(ts, 9 if h % 7 == 0 else 3)  # a few detection times carry nanoseconds
        ext = ["pdf", "xlsx", "docx", "zip", "png"][(h >> 33) % 5]
        tabs = "null" if h % 11 else f'[{{"title":"Drive","url":"https://drive.example.com/{h % 997}"}}]'
        extra = f',"x{h % 17}":{{"unknownVendorField":{h % 1000}}}' if h % 13 == 0 else ""
        return (
            f'{{"@timestamp":"{ts_text}","event":{{"id":"{self.event_id(i)}","action":"{action}",'
            f'"observer":"{source}","vector":null,"shareType":[],"ingested":"{iso_ns(ingested, 3)}",'
            f'"inserted":"{iso_ns(inserted, 9)}","relatedEvents":[]}},'
            f'"user":{{"email":"{user}@example.com","id":"{h % 10**12}","deviceUid":"{DEVICE_BASE + h % 1000}"}},'
            f'"file":{{"name":"report-{i}.{ext}","directory":"/Users/{user}/Documents/","sizeInBytes":{size},'
            f'"category":"Document","hash":{{"md5":"{h:016x}{h >> 3:016x}","sha256":null}}}},'
            f'"source":{{"category":"Device","name":"{source}","tabs":{tabs}}},'
            f'"destination":{{"category":null,"name":null}},'
            f'"risk":{{"score":{(h >> 40) % 30},"severity":"{sev}","indicators":[],"trusted":false}}{extra}}}'
        )

    def add(self, event: dict[str, Any], inserted_ns: int, visible_ns: int | None = None) -> None:
        """Test hook: an explicit event (e.g. one that becomes searchable late)."""
        eid = str(event["event"]["id"])
        item = (inserted_ns, eid, visible_ns if visible_ns is not None else inserted_ns,
                json.dumps(event, separators=(",", ":")))
        bisect.insort(self.extras, item, key=lambda x: (x[0], x[1]))
        self.extra_index = {e[1]: n for n, e in enumerate(self.extras)}

    def stream(self, lo_ns: int, hi_ns: int, after: tuple[int, str] | None) -> Iterator[tuple[int, str, int, Any]]:
        """(inserted, id, visible, index or json) in (inserted, id) order within [lo, hi], after `after`."""
        first = self.first_at_or_after(max(lo_ns, after[0] if after else lo_ns))

        def generated() -> Iterator[tuple[int, str, int, Any]]:
            block = first >> 2
            while True:
                items = sorted((self.inserted(i), self.event_id(i), i) for i in range(block << 2, (block + 1) << 2))
                for ins, eid, i in items:
                    if ins > hi_ns:
                        return
                    yield ins, eid, self.visible(i), i
                block += 1

        def extra() -> Iterator[tuple[int, str, int, Any]]:
            pos = bisect.bisect_left(self.extras, lo_ns, key=lambda x: x[0])
            for ins, eid, vis, text in self.extras[pos:]:
                if ins > hi_ns:
                    return
                yield ins, eid, vis, text

        for item in heapq.merge(generated(), extra(), key=lambda x: (x[0], x[1])):
            if item[0] < lo_ns or (after is not None and (item[0], item[1]) <= after):
                continue
            yield item

    def lookup(self, event_id: str) -> tuple[int, str, int, Any] | None:
        n = self.extra_index.get(event_id)
        if n is not None:
            ins, eid, vis, text = self.extras[n]
            return ins, eid, vis, text
        i = self.index_of(event_id)
        return None if i is None else (self.inserted(i), event_id, self.visible(i), i)

    def text(self, item: tuple[int, str, int, Any]) -> str:
        return item[3] if isinstance(item[3], str) else self.render(item[3])

