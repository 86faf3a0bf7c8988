"""Druva inSync emulation: the legacy Events API v1 and the v2 tracker API, over one event store.

v1 `GET /api/events/v1`: HTTP Basic (admin e-mail, API token); 403 when not licensed; `format` = CEF |
Syslog | JSON (absent = JSON, Druva's default). The body shape is undocumented; we serve CEF and Syslog as
`text/plain` with one event per line, JSON as a list of objects with Druva's attribute names. Every 200
sets `progress=<opaque>`; the cookie sent back returns only newer events. An undecodable cookie gives
400 "Cookie Invalid", an expired one (cookie_ttl, or `expire_cookies()`) 400 "Cookie expired".

v2 `GET /insync/eventmanagement/v2/events`: OAuth bearer from the shared Druva /token; <= 500 events a
page in `{tracker, nextPageExists, events}`; no tracker = the same first page; the tracker (base64 with
`+`, `/` and `=` in it, so a client that does not URL-encode it breaks) is unchanged when nothing is new,
expires 48 h after issue (403 explicit deny, unless ignoreTrackerExpiry=true), and garbage gives 400
"Invalid tracker".

CEF and Syslog lines are rendered the way Druva's published samples are (`examples/insync-*.txt`):
ArcSight prefix with no zone, empty Signature ID, label pairs; RFC 5424 with APP-NAME "Druva inSync" and
no STRUCTURED-DATA (a no-break space and a space, as in the sample). Values carry `\\`, `=` and the
typographic apostrophe on purpose.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from c2c.emulator.core import Emulator, Request, Response
from c2c.emulator.druva import druva_issuer
from c2c.emulator.oauth import TokenIssuer

V1_PATH = "/api/events/v1"
V2_PATH = "/insync/eventmanagement/v2/events"
V2_MAX_PAGE = 500
TRACKER_TTL = 48 * 3600
BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z
HOST = "cloud.druva.com"
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
DEMO_USERNAME = "cloud.admin@example.com"

APOS = "\u2019"  # the typographic apostrophe of Druva's sample ("Admin's Mac mini" with U+2019)
# (inSyncUserID, name, e-mail, device, OS, client version)
USERS = [
    (1, "Ernie", "ernie@example.com", f"Ernie{APOS}s MacBook Pro", "Mac OS X", "7.5.2r109877"),
    (2, "Bert", "bert@example.com", "BERT-LAPTOP", "Windows 11", "7.5.1r108201"),
    (3, "Grover", "grover@example.com", f"Admin{APOS}s Mac mini", "Mac OS X", "5.9.5r54841"),
    (4, "Elmo", "elmo@example.com", "elmo-ws\\01", "Ubuntu 22.04", "7.4.0r104450"),
]
ADMIN = "cloud.admin@druva.org"
PROFILES = [(1, "Default"), (2, "Finance = restricted"), (3, "Engineering")]


def _details(kind: str, rng: random.Random, device: str, user_email: str) -> tuple[str, str, int, str | None, str]:
    """(eventState, eventDetails, severity, error trace for v1, initiator kind) for one event type."""
    if kind == "Backup":
        state = rng.choice(["Success", "Success", "Failed", "Backed up with Errors"])
        details = (f"Total Backup Size:{rng.randint(0, 10**9)}, Files Backed up:{rng.randint(0, 900)}, "
                   f"Files Missed:{0 if state == 'Success' else rng.randint(1, 9)}, System and App Settings:Yes, "
                   f"Total Bytes Transferred:{rng.randint(0, 10**8)}, eventsGroupId:{rng.randint(10**7, 10**8)}")
        trace = None if state == "Success" else "Error: C:\\Users\\ernie\\AppData\\Local\\Temp\\~lock.tmp is locked"
        return state, details, 6 if state == "Success" else 3, trace, "system"
    if kind == "Restore":
        state = rng.choice(["Success", "Failed"])
        return (state, f"Restore Type:Device, Files Restored:{rng.randint(1, 500)}, "
                f"Restore Location:C:\\Users\\{user_email.split('@')[0]}\\Restored", 6, None, "user")
    if kind == "Alert":
        state = rng.choice(["High", "Critical", "Warning"])
        return (state, f"Alert:Storage quota, Alert Description:Storage usage=9{rng.randint(0, 9)}% of quota on "
                f"{device},", 2 if state == "Critical" else 4, None, "system")
    if kind == "Administrator Audit Trail":
        return ("Admin Event", f"Device:{ADMIN} initiated backup for a device {device}", 6, None, "admin")
    if kind == "Administrator authentication":
        state = rng.choice(["Success", "Success", "Failed"])
        return (state, f"Login from 198.51.100.{rng.randint(1, 254)} via SSO", 6 if state == "Success" else 4,
                None, "admin")
    # WebDAV authentication
    state = rng.choice(["Success", "Failed"])
    return (state, "WebDAV login to share \\\\fs01\\legal hold, url https://webdav.example.com/dav?share=legal&ro=1",
            6, None, "user")


KINDS = ["Backup", "Backup", "Restore", "Alert", "Administrator Audit Trail", "Administrator authentication",
         "WebDAV authentication"]


def make_insync_event(rng: random.Random, seq: int, facility: int) -> dict[str, Any]:
    """One event in v2 (JSON API) naming; `_trace` is v1-only (ErrorLogFullTrace / CEF msg)."""
    uid, name, email, device, os_name, version = rng.choice(USERS)
    profile_id, profile_name = rng.choice(PROFILES)
    kind = rng.choice(KINDS)
    state, details, severity, trace, initiator_kind = _details(kind, rng, device, email)
    initiator = {"system": None, "admin": ADMIN, "user": email}[initiator_kind]
    when = BASE_TIME + seq * 13 + rng.randint(0, 12)
    return {
        "eventID": 39_583_900 + seq,
        "initiator": initiator,
        "inSyncDataSourceID": 80 + uid,
        "inSyncDataSourceName": device,
        "clientVersion": version,
        "clientOS": os_name,
        "inSyncUserID": uid,
        "inSyncUserName": name,
        "inSyncUserEmail": email,
        "profileID": profile_id,
        "profileName": profile_name,
        "eventType": kind,
        "eventState": state,
        "eventDetails": details,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
        "severity": severity,
        "ip": f"192.0.2.{rng.randint(1, 254)}",
        "facility": facility,
        "_trace": trace,
    }


# ---- renderers: v2 JSON, v1 JSON, CEF, Syslog ------------------------------------------------------
def render_v2(event: dict[str, Any], time_key: str = "timestamp") -> dict[str, Any]:
    out = {k: v for k, v in event.items() if not k.startswith("_")}
    if time_key != "timestamp":
        out[time_key] = out.pop("timestamp")
    return out


def render_v1_json(event: dict[str, Any]) -> dict[str, Any]:
    """Druva's JSON attribute names: exactly what the CEF and Syslog lines parse into."""
    out: dict[str, Any] = {
        "Timestamp": event["timestamp"],
        "Hostname": HOST,
        "EventType": event["eventType"],
        "Severity": event["severity"],
        "Facility": event["facility"],
    }
    if event["initiator"] is not None:
        out["Initiator"] = event["initiator"]
    out.update({
        "inSyncDataSourceName": event["inSyncDataSourceName"],
        "ClientVersion": event["clientVersion"],
        "ClientOS": event["clientOS"],
        "inSyncUserID": event["inSyncUserID"],
        "inSyncDataSourceID": event["inSyncDataSourceID"],
        "EventState": event["eventState"],
        "EventDetails": event["eventDetails"],
        "IP": event["ip"],
        "ProfileID": event["profileID"],
        "ProfileName": event["profileName"],
        "inSyncUserName": event["inSyncUserName"],
    })
    if event.get("_trace"):
        out["ErrorLogFullTrace"] = event["_trace"]
    return out


def _cef_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|")


def _cef_value(value: Any) -> str:
    return (str(value).replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r"))


def render_cef(event: dict[str, Any]) -> str:
    """As Druva's sample: `Sep 21 2017 13:41:14 cloud.druva.com CEF:0|Druva|inSync|1||<type>|<sev>|...`."""
    when = time.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    pairs: list[tuple[str, Any]] = []
    if event["initiator"] is not None:
        pairs.append(("suser", event["initiator"]))
    pairs += [
        ("dvchost", event["inSyncDataSourceName"]),
        ("cs2Label", "ClientVersion"), ("cs2", event["clientVersion"]),
        ("deviceFacility", event["facility"]),
        ("cs3Label", "ClientOS"), ("cs3", event["clientOS"]),
        ("duid", event["inSyncUserID"]),
        ("deviceExternalId", event["inSyncDataSourceID"]),
        ("outcome", event["eventState"]),
        ("cs1Label", "EventDetails"), ("cs1", event["eventDetails"]),
        ("deviceTranslatedAddress", event["ip"]),
        ("cn1Label", "ProfileID"), ("cn1", event["profileID"]),
        ("cs5Label", "ProfileName"), ("cs5", event["profileName"]),
        ("duser", event["inSyncUserName"]),
    ]
    if event.get("_trace"):
        pairs.append(("msg", event["_trace"]))
    ext = " ".join(f"{k}={_cef_value(v)}" for k, v in pairs)
    return (f"{time.strftime('%b %d %Y %H:%M:%S', when)} {HOST} "
            f"CEF:0|Druva|inSync|1||{_cef_header(event['eventType'])}|{event['severity']}|{ext}")


def render_syslog(event: dict[str, Any]) -> str:
    """As Druva's sample: `<PRI>1 <time> cloud.druva.com Druva inSync - - Key=value ...` (no escaping)."""
    pri = event["facility"] * 8 + event["severity"]
    pairs: list[tuple[str, Any]] = []
    if event["initiator"] is not None:
        pairs.append(("Initiator", event["initiator"]))
    pairs += [
        ("inSyncDataSourceName", event["inSyncDataSourceName"]),
        ("ClientVersion", event["clientVersion"]),
        ("EventType", event["eventType"]),
        ("ClientOS", event["clientOS"]),
        ("inSyncUserID", event["inSyncUserID"]),
        ("inSyncDataSourceID", event["inSyncDataSourceID"]),
        ("EventState", event["eventState"]),
        ("EventDetails", event["eventDetails"]),
        ("IP", event["ip"]),
        ("ProfileID", event["profileID"]),
        ("ProfileName", event["profileName"]),
        ("inSyncUserName", event["inSyncUserName"]),
    ]
    if event.get("_trace"):
        pairs.append(("ErrorLogFullTrace", event["_trace"]))
    body = " ".join(f"{k}={v}" for k, v in pairs)
    # The sample separates MSGID and MSG with U+00A0 and a space (STRUCTURED-DATA missing): kept byte for byte.
    return f"<{pri}>1 {event['timestamp']} {HOST} Druva inSync - -\u00a0 {body}"


# ---- the service --------------------------------------------------------------------------------
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
