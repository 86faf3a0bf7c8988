"""inSync events as Druva writes them: v2 JSON, v1 JSON (Druva's attribute names), CEF and Syslog lines."""

from __future__ import annotations

import time
from typing import Any

HOST = "cloud.druva.com"


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

