"""The Code42 Incydr service on an Emulator: OAuth at /v1/oauth, the per-client request budget, the data
endpoints of every data type, and the control endpoints of a standalone emulator (with faults on).

Every data endpoint spends a per-client budget of `rate_limit` requests per `rate_window` seconds; over
it, 429 with Retry-After in seconds, as an HTTP-date, or absent.
"""

from __future__ import annotations

import base64
import email.utils
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from c2c.emulator.code42 import audit, sessions
from c2c.emulator.code42.audit import AuditSequence
from c2c.emulator.code42.file_events import FileEventSequence
from c2c.emulator.code42.file_search import FileEventSearch
from c2c.emulator.code42.query import Problem
from c2c.emulator.code42.sessions import SessionStore
from c2c.emulator.code42.shared import TENANT
from c2c.emulator.core import Emulator, Request, Response
from c2c.emulator.oauth import TokenIssuer
from c2c.emulator.times import NS


@dataclass
class IncydrService:
    emulator: Emulator
    client_id: str = "key-demo-client"
    secret: str = "demo-secret"
    seed: int = 1
    events: int = 250  # file events already inserted when the emulator starts
    audit_events: int | None = None  # default: events
    sessions: int | None = None  # default: events // 10, within 8..2000
    # The share of the initial sessions that carry an alert (only those are listed by default,
    # has_alerts=true): 1.0 makes a backlog of exactly `sessions` (<= 50 a page).
    sessions_alerted: float = 0.7
    span_s: float = 12 * 3600  # the backlog spreads over this many seconds before the start
    token_ttl: float = 900
    rate_limit: int = 120  # requests per client per rate_window; 0 = unlimited
    rate_window: float = 60.0
    rate_scope: str = "client"  # or "endpoint": one budget per client and path
    retry_after: str = "seconds"  # "seconds" | "date" | "none"
    retention_s: float = 90 * 86400
    late_permille: int = 20
    max_index_lag_s: int = 120
    mutate_every_s: float = 300.0  # a session changes this often (virtual time)
    throttled: int = 0  # requests answered 429

    def __post_init__(self) -> None:
        clock = self.emulator.clock
        start_ns = int(clock.now() * NS)
        self.files = FileEventSequence(self.seed, start_ns, self.events,
                                       max(1, int(self.span_s * NS / max(1, self.events))),
                                       self.late_permille, self.max_index_lag_s)
        self.search = FileEventSearch(self.files)
        n_audit = self.events if self.audit_events is None else self.audit_events
        self.audit = AuditSequence(self.seed, start_ns, n_audit, max(1, int(self.span_s * NS / max(1, n_audit))))
        self.session_store = SessionStore(self.seed, start_ns // 1_000_000,
                                          self.sessions if self.sessions is not None
                                          else min(2000, max(8, self.events // 10)),
                                          int(self.span_s * 1000), int(self.mutate_every_s * 1000),
                                          self.sessions_alerted)
        self.issuer = TokenIssuer(self.client_id, self.secret, self.token_ttl, clock,
                                  bad_credentials=lambda: Response(401, {"error": "invalid_client"}),
                                  mint=self._jwt)
        self.calls: dict[str, deque[float]] = {}
        emu = self.emulator
        emu.route("POST", "/v1/oauth", self.oauth)
        emu.route("POST", "/v2/file-events", self._data(
            lambda req: self.search.search(req, self._now_ns(), self.retention_s)))
        emu.route("GET", "/v1/sessions", self._data(
            lambda req: sessions.list_page(self.session_store, req, self._now_ns() // 1_000_000)))
        emu.route("POST", "/v1/audit/search-audit-log", self._data(
            lambda req: audit.search(self.audit, req.json() or {}, self._now_ns(), self.retention_s)))
        emu.route("POST", "/v1/audit/search-results-count", self._data(
            lambda req: audit.count(self.audit, req.json() or {}, self._now_ns(), self.retention_s)))
        emu.route("POST", "/v1/alerts/", lambda r: Response(410, {"error": "The alerts API has been retired; "
                                                                           "use /v1/sessions"}), prefix=True)
        emu.route("POST", "/v1/file-events", lambda r: Response(410, {"error": "/v1/file-events is end-of-life; "
                                                                                "use /v2/file-events"}))

        emu.control("POST", "/_emulator/code42/settings", self._ctl_settings)
        emu.control("POST", "/_emulator/code42/file-events", self._ctl_file_event)
        emu.control("POST", "/_emulator/code42/sessions/touch", self._ctl_touch)

    # ---- control (for `c2c emulator`; tests call the methods directly) --------------------------
    SETTABLE = ("rate_limit", "rate_window", "rate_scope", "retry_after", "token_ttl", "retention_s")

    def _ctl_settings(self, req: Request) -> Response:
        body = req.json() or {}
        unknown = sorted(set(body) - set(self.SETTABLE))
        if unknown:
            return Response(400, {"error": f"unknown settings {unknown}; settable: {list(self.SETTABLE)}"})
        for key, value in body.items():
            setattr(self, key, value)
        self.issuer.ttl = float(self.token_ttl)
        return Response(200, {k: getattr(self, k) for k in self.SETTABLE})

    def _ctl_file_event(self, req: Request) -> Response:
        """{"insertedAgo": s, "visibleIn": s, "timestampAgo": s, "eventId": "..."}: one late event."""
        body = req.json() or {}
        now = self.emulator.clock.now()
        event = self.add_file_event(inserted=now - float(body.get("insertedAgo", 0)),
                                    visible=now + float(body.get("visibleIn", 0)),
                                    timestamp=now - float(body.get("timestampAgo", 5)), event_id=body.get("eventId"))
        return Response(201, event)

    def _ctl_touch(self, req: Request) -> Response:
        """{"sessionId": optional, "alert": true}: a session changes (and gains an alert)."""
        body = req.json() or {}
        alert = bool(body.get("alert", True))
        store = self.session_store
        try:
            s = store.find(body["sessionId"]) if body.get("sessionId") else next(
                x for x in store.items if not (alert and x["triggeredAlerts"]))
        except StopIteration:
            return Response(404, {"error": "no such session"})
        store.touch(s, int(self.emulator.clock.now() * 1000), alert=alert)
        return Response(200, s)

    # ---- auth and budget ------------------------------------------------------------------------
    def _jwt(self) -> str:
        def part(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        claims = {"tenantUid": TENANT, "sub": self.client_id, "iat": int(self.emulator.clock.now()),
                  "jti": secrets.token_hex(8)}
        return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(16)}"

    def oauth(self, req: Request) -> Response:
        grant = req.arg("grant_type") or req.form().get("grant_type")
        if grant is not None and grant != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        return self.issuer.issue(req)

    def _data(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def serve(req: Request) -> Response:
            denied = self.issuer.check(req)
            if denied is not None:
                return denied
            limited = self._throttle(req)
            if limited is not None:
                return limited
            try:
                return handler(req)
            except Problem as exc:
                return exc.response()

        return serve

    def _throttle(self, req: Request) -> Response | None:
        if self.rate_limit <= 0:
            return None
        key = self.client_id + ("|" + req.path if self.rate_scope == "endpoint" else "")
        now = self.emulator.clock.now()
        calls = self.calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.rate_window:
            calls.popleft()
        if len(calls) < self.rate_limit:
            calls.append(now)
            return None
        self.throttled += 1
        wait = max(1, int(calls[0] + self.rate_window - now + 0.999))
        headers = {}
        if self.retry_after == "seconds":
            headers["Retry-After"] = str(wait)
        elif self.retry_after == "date":
            # An HTTP-date is wall-clock time (like the Date header), rounded up so a client never wakes early.
            headers["Retry-After"] = email.utils.formatdate(math.ceil(time.time() + wait), usegmt=True)
        return Response(429, {"error": "Too Many Requests"}, headers)

    # ---- file events (test hooks) ---------------------------------------------------------------
    def _now_ns(self) -> int:
        return int(self.emulator.clock.now() * NS)

    def add_file_event(self, *, inserted: float, visible: float | None = None, timestamp: float | None = None,
                       event_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """One explicit file event (times in epoch seconds; `visible` = when it becomes searchable)."""
        return self.search.add(inserted=inserted, visible=visible, timestamp=timestamp, event_id=event_id, **fields)

    def file_events_between(self, lo: float, hi: float) -> list[str]:
        """Every searchable event id inserted in [lo, hi] (epoch seconds), for assertions."""
        return self.search.between(lo, hi, self._now_ns())
