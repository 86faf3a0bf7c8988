"""The record both Druva vendor sample lines (CEF and RFC 5424) must decode to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
# The verbatim vendor samples live in the read-only shared/ folder next to the repository.
SHARED_EXAMPLES_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "examples"

EXPECTED_SAMPLE_RECORD: dict[str, Any] = {
    "Timestamp": "2017-09-21T13:41:14Z",
    "Hostname": "cloud.druva.com",
    "EventType": "Admin Audit Trail",
    "Severity": 6,
    "Facility": 6,
    "Initiator": "cloud.admin@druva.org",
    "inSyncDataSourceName": "Admin\u2019s Mac mini",
    "ClientVersion": "5.9.5r54841",
    "ClientOS": "Mac OS X",
    "inSyncUserID": 1,
    "inSyncDataSourceID": 80,
    "EventState": "Admin Event",
    "EventDetails": "Device:cloud.admin@druva.org initiated backup for a device Admin\u2019s Mac mini",
    "IP": "192.168.0.0",
    "ProfileID": 1,
    "ProfileName": "Default",
    "inSyncUserName": "Ernie",
}
