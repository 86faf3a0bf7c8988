"""Sessions (the alerts of today's Incydr): a stored set that mutates as the virtual clock moves.

`GET /v1/sessions` lists them (only those with alerts unless has_alerts=false), <= 50 a page.
"""

from __future__ import annotations

import random
from typing import Any

from c2c.emulator.code42.shared import TENANT, USERS
from c2c.emulator.core import Request, Response

MAX_PAGE = 50


class SessionStore:
    def __init__(self, seed: int, start_ms: int, n: int, span_ms: int, mutate_every_ms: int,
                 alerted_share: float = 0.7) -> None:
        self.rng = random.Random(seed * 7919 + 42)
        self.mutate_every_ms = max(1, mutate_every_ms)
        self.evolved_to = start_ms
        self.items: list[dict[str, Any]] = []
        self.alert_seq = 0
        for k in range(n):
            begin = start_ms - span_ms + (span_ms * k) // max(1, n) + self.rng.randint(0, 60_000)
            self.items.append(self._new(begin, with_alert=self.rng.random() < alerted_share))

    def _new(self, begin: int, *, with_alert: bool) -> dict[str, Any]:
        actor = str(10**15 + self.rng.randint(0, 10**6))
        end = begin + self.rng.randint(60_000, 3_600_000)
        s: dict[str, Any] = {
            "sessionId": f"{actor}_{begin}", "tenantId": TENANT, "actorId": actor,
            "actorName": f"{self.rng.choice(USERS)}@example.com", "userId": None, "type": "STANDARD",
            "beginTime": begin, "endTime": end, "firstObserved": begin + 2000, "lastUpdated": end,
            "noRiskEvents": self.rng.randint(0, 40), "lowEvents": self.rng.randint(0, 5), "moderateEvents": 0,
            "highEvents": self.rng.randint(0, 3), "criticalEvents": 0, "notes": [],
            "riskIndicators": [{"id": "ri-1", "name": "Removable media", "weight": 3, "eventCount": 2}],
            "scores": [{"score": self.rng.randint(1, 9), "severity": 1, "sourceTimestamp": end}],
            "states": [{"state": "OPEN", "stateV2": "OPEN", "sourceTimestamp": begin, "userId": None}],
            "triggeredAlerts": [], "exfiltrationSummary": None, "contextSummary": None,
            "riskIndicatorsAlertedOn": [], "contentInspectionResults": None,
        }
        if with_alert:
            self._alert(s)
        return s

    def _alert(self, s: dict[str, Any]) -> None:
        self.alert_seq += 1
        s["triggeredAlerts"].append({"alertId": f"alert-{self.alert_seq}", "ruleId": f"rule-{self.alert_seq % 7}",
                                     "ruleName": "Departing employee exfiltration", "lessonId": None})

    def touch(self, s: dict[str, Any], at_ms: int, *, alert: bool = False) -> None:
        """A session changes: it runs longer, gains a score, and maybe an alert."""
        s["endTime"] = max(s["endTime"], at_ms)
        s["lastUpdated"] = max(s["lastUpdated"] + 1, at_ms)
        s["scores"].append({"score": self.rng.randint(1, 9), "severity": 2, "sourceTimestamp": at_ms})
        if alert:
            self._alert(s)

    def evolve(self, now_ms: int) -> None:
        steps = 0
        while self.evolved_to + self.mutate_every_ms <= now_ms and steps < 1000:
            self.evolved_to += self.mutate_every_ms
            steps += 1
            recent = [s for s in self.items if s["beginTime"] >= self.evolved_to - 86_400_000] or self.items
            self.touch(self.rng.choice(recent), self.evolved_to, alert=self.rng.random() < 0.3)
            if self.rng.random() < 0.2:
                self.items.append(self._new(self.evolved_to - self.rng.randint(0, 600_000),
                                            with_alert=self.rng.random() < 0.5))
        if steps == 1000:
            self.evolved_to = now_ms

    def query(self, q: dict[str, list[str]]) -> list[dict[str, Any]]:
        def arg(name: str) -> str | None:
            values = q.get(name)
            return values[-1] if values else None

        items = list(self.items)
        if (arg("has_alerts") or "true").lower() == "true":
            items = [s for s in items if s["triggeredAlerts"]]
        if arg("on_or_after"):
            items = [s for s in items if s["beginTime"] >= int(arg("on_or_after") or 0)]
        if arg("before"):
            items = [s for s in items if s["beginTime"] < int(arg("before") or 0)]
        if arg("actor_id"):
            items = [s for s in items if s["actorId"] == arg("actor_id")]
        by = "endTime" if (arg("order_by") or "end_time") == "end_time" else "score"
        desc = (arg("sort_direction") or "DESC").upper() == "DESC"
        if by == "score":
            items.sort(key=lambda s: (s["scores"][-1]["score"], s["sessionId"]), reverse=desc)
        else:
            items.sort(key=lambda s: (s["endTime"], s["sessionId"]), reverse=desc)
        return items

    def find(self, session_id: str) -> dict[str, Any]:
        return next(s for s in self.items if s["sessionId"] == session_id)



def list_page(store: SessionStore, req: Request, now_ms: int) -> Response:
    size = int(req.arg("page_size") or 10)
    if size > MAX_PAGE:
        return Response(400, {"msg": f"page_size must be less than or equal to {MAX_PAGE}"})
    number = int(req.arg("page_number") or 0)
    store.evolve(now_ms)
    items = store.query(req.query)
    page = items[number * size : (number + 1) * size]
    return Response(200, {"items": page, "totalCount": len(items)})
