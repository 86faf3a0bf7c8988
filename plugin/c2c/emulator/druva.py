"""Druva Cyber Resilience (Realize events) emulation: /token and the tracker API.

Semantics follow reference/druva.md: events in creation order, an opaque base64 tracker token that
expires 48 h after issue unless ignoreTrackerExpiry=true, and a configurable answer when nothing is
new ("empty" token on the last page, as Druva's spec says, or the "same" token).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from dataclasses import dataclass, field
from typing import Any

from c2c.emulator.core import Emulator, Request, Response
from c2c.emulator.oauth import TokenIssuer

TRACKER_TTL = 48 * 3600
EVENT_TYPES = [
    ("Platform", "Admin Event", "Admin Login"),
    ("Data Protection", "Unusual Data Activity", "Unusual Deletion"),
    ("Data Protection", "Unusual Data Activity", "Unusual Encryption"),
    ("Platform", "Access Event", "API Access"),
    ("Platform", "Admin Event", "Admin Logout"),
]
BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z


def druva_issuer(emulator: Emulator, client_id: str, secret: str, ttl: float, expired_status: int = 401) -> TokenIssuer:
    """Druva's one POST /token, shared by every Druva API on this emulator (Realize, inSync v2)."""
    issuer = emulator.shared.get("druva_issuer")
    if isinstance(issuer, TokenIssuer):
        return issuer
    issuer = TokenIssuer(
        client_id,
        secret,
        ttl,
        emulator.clock,
        bad_credentials=lambda: Response(400, {"error": "invalid_grant. (#10010003b)"}),
        expired_status=expired_status,
    )

    def token(req: Request) -> Response:
        if req.form().get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        return issuer.issue(req)

    emulator.shared["druva_issuer"] = issuer
    emulator.route("POST", "/token", token)
    return issuer


def make_realize_event(rng: random.Random, event_id: int) -> dict[str, Any]:
    area, category, etype = rng.choice(EVENT_TYPES)
    user = rng.choice(["cloud.admin", "sec.ops", "backup.admin", "auditor"])
    return {
        "id": event_id,
        "globalCustomerId": "cust-7f3a",
        "area": area,
        "category": category,
        "type": etype,
        "occurenceTime": BASE_TIME + event_id * 7 + rng.randint(0, 6),
        "syslogSeverity": rng.choice([3, 4, 6]),
        "syslogFacility": 23,
        "details": {
            "adminName": user.replace(".", " ").title(),
            "adminEmail": f"{user}@example.com",
            "adminIPAddress": f"192.0.2.{rng.randint(1, 254)}",
            "location": rng.choice(["Pune, India", "Austin, US", "Dublin, IE"]),
            "result": rng.choice(["Success", "Failure"]),
        },
    }


@dataclass
class RealizeService:
    emulator: Emulator
    client_id: str = "demo-client"
    secret: str = "demo-secret"
    seed: int = 1
    events: int = 250
    page_size: int = 100
    token_ttl: float = 1800
    last_page_token: str = "empty"  # "empty" | "same": what nextTrackerToken is when caught up
    expired_status: int = 401
    store: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.issuer = druva_issuer(self.emulator, self.client_id, self.secret, self.token_ttl, self.expired_status)
        self.add_events(self.events)
        self.emulator.route("GET", "/realize/eventmanagement/v1/events/tracker", self.tracker)

    def add_events(self, n: int) -> list[dict[str, Any]]:
        start = len(self.store) + 1
        new = [make_realize_event(self.rng, i) for i in range(start, start + n)]
        self.store.extend(new)
        return new

    def _encode(self, last_id: int) -> str:
        raw = json.dumps({"id": last_id, "iat": int(self.emulator.clock.now())}, separators=(",", ":"))
        return base64.b64encode(raw.encode()).decode()

    def _decode(self, token: str) -> dict[str, int] | None:
        try:
            data = json.loads(base64.b64decode(token, validate=True))
            return {"id": int(data["id"]), "iat": int(data["iat"])}
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None

    def tracker(self, req: Request) -> Response:
        denied = self.issuer.check(req)
        if denied is not None:
            return denied
        token = req.arg("trackerToken")
        after = 0
        if token:
            decoded = self._decode(token)
            if decoded is None:
                return Response(400, {"code": "RealizeUda-1001", "message": "Invalid API Syntax", "data": {},
                                      "retryable": False})
            expired = decoded["iat"] + TRACKER_TTL < self.emulator.clock.now()
            if expired and req.arg("ignoreTrackerExpiry") != "true":
                return Response(400, {"code": "RealizeUda-1003", "message": "Tracker token expired", "data": {},
                                      "retryable": False})
            after = decoded["id"]
        # ids are 1..n in creation order, so the next event after `after` is at index `after`.
        page = self.store[after : after + self.page_size]
        last_page = after + len(page) >= len(self.store)
        if page and not last_page:
            next_token = self._encode(page[-1]["id"])
        elif self.last_page_token == "same":
            next_token = self._encode(page[-1]["id"]) if page else (token or "")
        else:
            next_token = ""
        return Response(200, {"events": page, "nextTrackerToken": next_token})
