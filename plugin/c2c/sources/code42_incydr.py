"""Code42 Incydr: audit events, alerts (sessions with alerts) and file events, on one client and budget.
The pipeline gives the data types turns page by page, so no backlog delays another by more than a page."""

from __future__ import annotations

from c2c.sources.base import DataType
from c2c.sources.incydr_alerts import alerts
from c2c.sources.incydr_audit_log import audit_events
from c2c.sources.incydr_base import IncydrBase
from c2c.sources.incydr_file_events import file_events

DATA_TYPES = {"auditEvents": audit_events, "alerts": alerts, "fileEvents": file_events}


class Code42Incydr(IncydrBase):
    type = "Code42Incydr"

    def data_types(self) -> list[DataType]:
        wanted = self.settings["dataCollection"]
        return [make(self) for name, make in DATA_TYPES.items() if name in wanted]
