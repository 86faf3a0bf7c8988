"""Health records in the Sumo Logic vocabulary (eventType Health-Change), emitted on stdout."""

from __future__ import annotations

from typing import Any

from c2c import timefmt


def record(
    *,
    source_name: str,
    event_name: str,
    healthy: bool,
    state: str,
    error: str,
    description: str,
    severity: str | None = None,
) -> dict[str, Any]:
    import uuid  # here: it imports `platform`, which an exec run without health records never needs

    now = timefmt.now()
    return {
        "eventType": "Health-Change",
        "eventId": str(uuid.uuid4()),
        "eventName": event_name,
        "eventTime": now,
        "eventFormatVersion": "1.0",
        "subsystem": "Collection",
        "status": "Healthy" if healthy else "UnHealthy",
        "severityLevel": severity or ("Info" if healthy else "Error"),
        "state": state,
        "details": {"error": error, "description": description},
        "resourceIdentity": {"name": source_name, "type": "Source"},
    }
