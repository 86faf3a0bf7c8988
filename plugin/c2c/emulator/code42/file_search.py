"""`POST /v2/file-events`: a compiled query run over the file-event sequence, one page of it.

Page-token mode sorted by event.inserted ascending streams from the token; every other mode (page
numbers, other sort keys) sorts the whole result, and page-number mode stops at 10,000 results.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c2c.emulator.code42.file_events import FileEventSequence, Item
from c2c.emulator.code42.query import SORT_KEYS, Problem, compile_filters, dotted
from c2c.emulator.core import Request, Response
from c2c.emulator.times import NS, iso_ns

MAX_RESULTS_PAGE_MODE = 10_000


@dataclass
class FileEventSearch:
    files: FileEventSequence
    page_cache: dict[bytes, tuple[int, bytes]] = field(default_factory=dict)  # request body -> (now, page)

    def search(self, req: Request, now_ns: int, retention_s: float) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise Problem("ILLEGAL_VALUE", "body must be a JSON object")
        cached = self.page_cache.get(req.body)
        if cached is not None and cached[0] == now_ns:
            return Response(200, cached[1], {"Content-Type": "application/json"})
        size = body.get("pgSize", 100)
        if not isinstance(size, int) or not 1 <= size <= MAX_RESULTS_PAGE_MODE:
            raise Problem("INVALID_PAGE_SIZE", "pgSize must be 1..10000")
        key = body.get("srtKey", "event.id")
        if key not in SORT_KEYS:
            raise Problem("ILLEGAL_SORT", f"cannot sort by {key!r}")
        desc = str(body.get("srtDir", "desc")).lower() == "desc"
        predicate, lo, hi, only_inserted = compile_filters(body, now_ns)
        lo = max(lo, now_ns - int(retention_s * NS))
        hi = min(hi, now_ns)
        token = body.get("pgToken")
        seq = self.files

        def matches(item: Item) -> bool:
            if item[2] > now_ns:
                return False
            return only_inserted or predicate(json.loads(seq.text(item)))

        if key == "event.inserted" and not desc and token is not None:
            after = None
            if token:
                found = seq.lookup(str(token))
                if found is None or not (lo <= found[0] <= hi) or not matches(found):
                    raise Problem("INVALID_PAGE_TOKEN", "page token does not match an event of this query")
                after = (found[0], found[1])
            page = []
            for item in seq.stream(lo, hi, after):
                if matches(item):
                    page.append(item)
                    if len(page) == size:
                        break
            total = self._count(lo, hi, now_ns, matches, only_inserted)
        else:
            everything = [it for it in seq.stream(lo, hi, None) if matches(it)]
            if key != "event.inserted":
                texts = {it[1]: json.loads(seq.text(it)) for it in everything}
                everything.sort(key=lambda it: (str(dotted(texts[it[1]], key)), it[1]), reverse=desc)
            elif desc:
                everything.reverse()
            total = len(everything)
            if token is None:
                num = body.get("pgNum", 1)
                if not isinstance(num, int) or num < 1 or num * size > MAX_RESULTS_PAGE_MODE:
                    raise Problem("INVALID_PAGE_NUMBER", "page-number mode cannot go past 10,000 results")
                page = everything[(num - 1) * size : num * size]
            else:
                start = 0
                if token:
                    ids = [it[1] for it in everything]
                    if token not in ids:
                        raise Problem("INVALID_PAGE_TOKEN", "page token does not match an event of this query")
                    start = ids.index(token) + 1
                page = everything[start : start + size]
        more = token is not None and len(page) == size
        next_token = json.dumps(page[-1][1]) if more else "null"
        payload = (
            '{"fileEvents":[' + ",".join(seq.text(it) for it in page) + f'],"nextPgToken":{next_token},'
            f'"problems":null,"totalCount":{total}}}'
        ).encode()
        if len(self.page_cache) >= 4:  # pages can be megabytes: keep only the latest few for replays
            self.page_cache.pop(next(iter(self.page_cache)))
        self.page_cache[req.body] = (now_ns, payload)
        return Response(200, payload, {"Content-Type": "application/json"})

    def _count(self, lo: int, hi: int, now_ns: int, matches: Callable[[Item], bool], only_inserted: bool) -> int:
        seq = self.files
        if not only_inserted:
            return sum(1 for it in seq.stream(lo, hi, None) if matches(it))
        a, b = seq.first_at_or_after(lo), seq.first_at_or_after(hi + 1)
        # Only events near the head can still be waiting for their indexing lag.
        head = max(a, seq.first_at_or_after(now_ns - seq.max_index_lag_s * NS))
        hidden = sum(1 for i in range(head, b) if seq.visible(i) > now_ns)
        extras = sum(1 for ins, _, vis, _ in seq.extras if lo <= ins <= hi and vis <= now_ns)
        return b - a - hidden + extras

    def add(self, *, inserted: float, visible: float | None = None, timestamp: float | None = None,
                       event_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Test hook: one explicit file event (times in epoch seconds; `visible` = when it becomes searchable)."""
        ins_ns = int(inserted * NS)
        event = {"@timestamp": iso_ns(int((timestamp if timestamp is not None else inserted - 5) * NS), 3),
                 "event": {"id": event_id or f"{random.Random(ins_ns).getrandbits(128):032x}",
                           "action": "file-created", "inserted": iso_ns(ins_ns), "ingested": iso_ns(ins_ns, 3),
                           "observer": "Endpoint"},
                 **fields}
        self.files.add(event, ins_ns, int(visible * NS) if visible is not None else None)
        self.page_cache.clear()
        return event

    def between(self, lo: float, hi: float, now_ns: int) -> list[str]:
        """Every searchable event id inserted in [lo, hi] (epoch seconds), for assertions."""
        return [it[1] for it in self.files.stream(int(lo * NS), min(int(hi * NS), now_ns), None) if it[2] <= now_ns]
