"""Code42 Incydr emulation: /v1/oauth, /v2/file-events, /v1/sessions, /v1/audit/*, after reference/code42.md §9.

One module a job: `file_events` generates the file events, `query` compiles a search's filters,
`file_search` runs a search and pages it, `audit` generates and serves the audit log, `sessions` the
sessions, `service` puts them on an Emulator behind OAuth and a request budget.
"""

from __future__ import annotations

from c2c.emulator.code42.audit import AuditSequence
from c2c.emulator.code42.file_events import FileEventSequence
from c2c.emulator.code42.service import IncydrService
from c2c.emulator.code42.sessions import SessionStore

__all__ = ["AuditSequence", "FileEventSequence", "IncydrService", "SessionStore"]
