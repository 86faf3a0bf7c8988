"""inSync events: a seeded generator of events of every type, in v2 (JSON API) naming."""

from __future__ import annotations

import random
import time
from typing import Any

BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z
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

