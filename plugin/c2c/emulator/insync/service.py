"""The inSync service: v1 (Basic auth, progress cookie, CEF / Syslog / JSON) and v2 (OAuth, tracker)."""

from __future__ import annotations

import base64
import binascii
import json
import random
from dataclasses import dataclass, field
from typing import Any

from c2c.emulator.core import Emulator, Request, Response
from c2c.emulator.druva import druva_issuer
from c2c.emulator.insync.events import DEMO_USERNAME, make_insync_event
from c2c.emulator.insync.render import render_cef, render_syslog, render_v1_json, render_v2
from c2c.emulator.oauth import TokenIssuer

V1_PATH = "/api/events/v1"
V2_PATH = "/insync/eventmanagement/v2/events"
V2_MAX_PAGE = 500
TRACKER_TTL = 48 * 3600
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return data if isinstance(data, dict) else None
    except (binascii.Error, ValueError):
        return None


TRACKER_MAGIC = b"\xfb\xff\xbf"  # encodes to "+/+/": every tracker needs URL-encoding


@dataclass
class InSyncService:
    emulator: Emulator
    client_id: str = "demo-client"
    secret: str = "demo-secret"
    username: str = DEMO_USERNAME
    api_token: str = "demo-secret"
    seed: int = 1
    events: int = 250
    page_size: int = 100  # v1 events per call; v2 uses min(page_size, 500)
    token_ttl: float = 1800
    facility: int = 23  # Druva's default Syslog facility
    licensed: bool = True
    cookie_ttl: float = 7 * 24 * 3600  # undocumented: long enough that only expire_cookies() matters
    v2_time_key: str = "timestamp"  # the spec's "timeStamp" is the other spelling
    # v1 CEF / Syslog bodies: "text" (text/plain, one line an event) or "json" (a JSON list of the lines);
    # Druva does not document which (reference/druva.md §8), and c2c must read both.
    v1_lines: str = "text"
    store: list[dict[str, Any]] = field(default_factory=list)
    issued_cookies: list[str] = field(default_factory=list)
    issued_trackers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.cookie_generation = 0
        self.issuer: TokenIssuer = druva_issuer(self.emulator, self.client_id, self.secret, self.token_ttl)
        self.add_events(self.events)
        self.emulator.route("GET", V1_PATH, self.events_v1)
        self.emulator.route("GET", V2_PATH, self.events_v2)

    def add_events(self, n: int) -> list[dict[str, Any]]:
        start = len(self.store) + 1
        new = [make_insync_event(self.rng, i, self.facility) for i in range(start, start + n)]
        self.store.extend(new)
        return new

    def expire_cookies(self) -> None:
        """Every progress cookie issued so far is answered with 400 "Cookie expired"."""
        self.cookie_generation += 1

    # ---- v1 ----------------------------------------------------------------------------------------
    def events_v1(self, req: Request) -> Response:
        if self.issuer.basic_credentials(req) != (self.username, self.api_token):
            return Response(401, {"code": 401, "message": "Unauthorized: invalid user or API token"},
                            {"WWW-Authenticate": 'Basic realm="inSync"'})
        if not self.licensed:
            return Response(403, {"code": 403, "message": "Events API is not available for your license"})
        fmt = {"cef": "CEF", "syslog": "Syslog", "json": "JSON"}.get((req.arg("format") or "JSON").lower())
        if fmt is None:
            return Response(400, {"code": 400, "message": "Invalid format"})
        pos = 0
        cookie = req.cookies().get("progress")
        if cookie:
            decoded = _unb64(cookie)
            if decoded is None or not isinstance(decoded.get("p"), int):
                return Response(400, {"code": 400, "message": "Cookie Invalid"})
            stale = decoded.get("t", 0) + self.cookie_ttl < self.emulator.clock.now()
            if decoded.get("g") != self.cookie_generation or stale:
                return Response(400, {"code": 400, "message": "Cookie expired"})
            pos = decoded["p"]
        page = self.store[pos : pos + self.page_size]
        new_cookie = _b64({"p": pos + len(page), "g": self.cookie_generation, "t": int(self.emulator.clock.now())})
        self.issued_cookies.append(new_cookie)
        headers = {"Set-Cookie": f"progress={new_cookie}; Path=/api/events; HttpOnly"}
        if fmt == "JSON":
            return Response(200, [render_v1_json(e) for e in page], headers)
        render = render_cef if fmt == "CEF" else render_syslog
        if self.v1_lines == "json":
            return Response(200, [render(e) for e in page], headers)
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response(200, "".join(render(e) + "\n" for e in page), headers)

    # ---- v2 ----------------------------------------------------------------------------------------
    def _tracker(self, pos: int) -> str:
        payload = json.dumps({"pos": pos, "iat": int(self.emulator.clock.now())}, separators=(",", ":")).encode()
        while (len(TRACKER_MAGIC) + len(payload)) % 3 != 1:  # always "==" padding
            payload += b" "
        token = base64.b64encode(TRACKER_MAGIC + payload).decode()
        self.issued_trackers.append(token)
        return token

    def _read_tracker(self, token: str) -> dict[str, int] | None:
        try:
            raw = base64.b64decode(token, validate=True)
            if not raw.startswith(TRACKER_MAGIC):
                return None
            data = json.loads(raw[len(TRACKER_MAGIC) :])
            return {"pos": int(data["pos"]), "iat": int(data["iat"])}
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None

    def events_v2(self, req: Request) -> Response:
        denied = self.issuer.check(req)
        if denied is not None:
            return denied
        if not self.licensed:
            return Response(403, {"code": "InsyncAdmanagement-1221",
                                  "message": "Access restricted due to insufficient permissions.",
                                  "retryable": False, "data": {}})
        tracker = req.arg("tracker")  # already URL-decoded, as the real server does
        pos = 0
        if tracker:
            decoded = self._read_tracker(tracker)
            if decoded is None:
                return Response(400, {"code": "InsyncEndpoints-1001", "message": "Invalid tracker",
                                      "retryable": False})
            expired = decoded["iat"] + TRACKER_TTL < self.emulator.clock.now()
            if expired and (req.arg("ignoreTrackerExpiry") or "").lower() != "true":
                return Response(403, {"Message": EXPLICIT_DENY})
            pos = decoded["pos"]
        page = self.store[pos : pos + min(V2_MAX_PAGE, self.page_size)]
        next_tracker = tracker if (tracker and not page) else self._tracker(pos + len(page))
        return Response(200, {
            "tracker": next_tracker,
            "nextPageExists": pos + len(page) < len(self.store),
            "events": [render_v2(e, self.v2_time_key) for e in page],
        })


def insync_service(emulator: Emulator, **kwargs: Any) -> InSyncService:
    """Attach once per emulator: the v1 and v2 demo configs share the one service."""
    service = emulator.shared.get("insync")
    if not isinstance(service, InSyncService):
        service = InSyncService(emulator, **kwargs)
        emulator.shared["insync"] = service
    return service

