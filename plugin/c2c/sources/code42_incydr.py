"""Code42 Incydr: audit events, alerts (sessions with alerts) and file events, on one client and budget."""

from __future__ import annotations

from c2c.sources.base import Stream
from c2c.sources.incydr_alerts import Alerts
from c2c.sources.incydr_audit_log import AuditEvents
from c2c.sources.incydr_base import IncydrBase
from c2c.sources.incydr_file_events import FileEvents


class Code42Incydr(IncydrBase):
    type = "Code42Incydr"
    # Cheap types first, so a run budget (--max-seconds) spent on a file-event backfill never starves them.
    STREAMS = (AuditEvents, Alerts, FileEvents)

    def streams(self) -> list[Stream]:
        wanted = set(self.config.config.get("dataCollection") or [s.data_type for s in self.STREAMS])
        return [cls(self) for cls in self.STREAMS if cls.data_type in wanted]
