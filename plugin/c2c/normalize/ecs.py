"""ECS 9.4.0 tables, one per data type. Vendor fields no row maps stay under `code42.*` / `druva.*` with
their own names; `event.original` holds the whole event when something did not map."""

from __future__ import annotations

from c2c.normalize.convert import chain, get
from c2c.normalize.table import TIME, Lookup, Row, Table, combined, const, f

VERSION = "9.4.0"
TEXT, INT, IP, ISO = get("text"), get("integer"), get("ip"), get("iso")

# event.severity: Elastic's 21/47/73/99 for low/medium/high/critical (0 for none).
SEVERITY_WORD = Lookup("risk.severity -> event.severity", {"NO_RISK_INDICATED": 0, "LOW": 21, "MODERATE": 47,
                                                          "HIGH": 73, "CRITICAL": 99},
                       "NO_RISK_INDICATED 0, LOW 21, MODERATE 47, HIGH 73, CRITICAL 99")
SEVERITY_LEVEL = Lookup("severity 0-4 -> event.severity", {0: 0, 1: 21, 2: 47, 3: 73, 4: 99},
                        "0 0, 1 21, 2 47, 3 73, 4 99")
SYSLOG_SEVERITY = Lookup("syslog severity -> event.severity", {0: 99, 1: 99, 2: 99, 3: 73, 4: 47, 5: 21, 6: 21,
                                                               7: 21, "0": 99, "1": 99, "2": 99, "3": 73, "4": 47,
                                                               "5": 21, "6": 21, "7": 21},
                         "syslog 0-2 99, 3 73, 4 47, 5-7 21")
OUTCOME = Lookup("state -> event.outcome", {"Success": "success", "Warning": "success", "Failed": "failure",
                                            "Marked as Inactive": "failure", "Failure": "failure",
                                            "Backed up with Errors": "unknown", True: "success", False: "failure"},
                 "Success/Warning/true success, Failed/Marked as Inactive/false failure, partial unknown")


def header(vendor: str, product: str, module: str, dataset: str, kind: str) -> tuple[Row, ...]:
    return (
        f("@timestamp", TIME),
        const("ecs.version", VERSION),
        const("observer.vendor", vendor),
        const("observer.product", product),
        const("event.module", module),
        const("event.dataset", dataset),
        const("event.kind", kind),
    )


def related_user(*sources: str) -> Row:
    return f("related.user[]", *sources, conv=get("string"), derived=True)


# ---- Code42 file events --------------------------------------------------------------------------------
FILE_CATEGORY = Lookup("event.action -> event.category", {
    "file-emailed": ("file", "email"), "emailed": ("file", "email"), "application-read": ("file", "web"),
    "file-uploaded": ("file", "web"), "file-shared": ("file", "web"), "file-downloaded": ("file", "web"),
}, "file (the constant before); file + email for emailed, file + web for browser/cloud events")
FILE_TYPE = Lookup("event.action -> event.type", {
    "file-created": ("creation",), "file-modified": ("change",), "file-deleted": ("deletion",),
    "removable-media-created": ("creation", "access"), "removable-media-modified": ("change",),
    "removable-media-deleted": ("deletion",), "application-read": ("access",), "file-downloaded": ("access",),
    "file-shared": ("access",), "file-emailed": ("access",), "emailed": ("access",), "file-printed": ("access",),
    "file-uploaded": ("access",),
}, "created creation, modified change, deleted deletion, read/downloaded/shared/emailed/printed access")
CONTROL_TYPE = Lookup("preventativeControl -> event.type", {"BLOCKED": ("denied",), "ALLOWED": ("allowed",),
                                                            "ALLOWED_WITH_JUSTIFICATION": ("allowed",)},
                      "BLOCKED denied, ALLOWED* allowed")
CONTROL_OUTCOME = Lookup("preventativeControl -> event.outcome", {"BLOCKED": "failure", "ALLOWED": "success",
                                                                  "ALLOWED_WITH_JUSTIFICATION": "success"},
                         "BLOCKED failure, ALLOWED* success")
FILE_EVENTS = Table(
    "fileEvents", "ecs", "Code42 Incydr file events", namespace="code42",
    rows=(
        *header("Code42", "Incydr", "code42", "code42.file_event", "event"),
        const("event.category", ("file",)),
        f("event.category", "event.action", conv=FILE_CATEGORY),
        f("event.type[]", "event.action", conv=FILE_TYPE, derived=True),
        f("event.type[]", "responseControls.preventativeControl", conv=CONTROL_TYPE, derived=True),
        f("event.outcome", "responseControls.preventativeControl", conv=CONTROL_OUTCOME),
        f("event.id", "event.id", conv=TEXT),
        f("event.action", "event.action"),
        f("event.provider", "event.observer"),
        f("event.created", "event.ingested", conv=ISO),
        f("event.risk_score", "risk.score", conv=get("number")),
        f("event.severity", "risk.severity", conv=SEVERITY_WORD),
        f("rule.name", "risk.indicators", conv=chain("first indicator", get("names"), get("first"),
                                                     doc="the name of the first risk.indicators[]"), derived=True),
        f("user.email", "user.email", conv=get("email")),
        f("user.name", "user.email", derived=True),
        f("user.id", "user.id", conv=TEXT),
        f("user.group.name", "user.groups", conv=chain("first group", get("display_names"), get("first"),
                                                       doc="the displayName of the first user.groups[]"), derived=True),
        f("host.id", "user.deviceUid", conv=TEXT),
        f("host.name", "source.name"),
        f("host.domain", "source.domain"),
        f("host.os.full", "source.operatingSystem"),
        f("host.os.type", "source.operatingSystem", conv=get("os_type"), derived=True),
        f("host.ip", "source.privateIp", conv=get("strings")),
        f("source.ip", "source.ip", conv=IP),
        f("email.from.address", "source.email.from", conv=get("strings")),
        f("email.sender.address", "source.email.sender"),
        f("email.to.address", "destination.email.recipients", conv=get("strings")),
        f("email.subject", "destination.email.subject"),
        f("destination.domain", "destination.domains", conv=get("first")),
        f("destination.ip", "destination.ip", conv=IP),
        f("destination.user.email", "destination.user.email", conv=get("first")),
        f("destination.user.name", "destination.accountName"),
        f("url.full", "destination.tabs", conv=chain("last tab url", get("last"), get("string"),
                                                     doc="the url of the last of destination.tabs[]"), derived=True),
        f("device.vendor.name", "destination.removableMedia.vendor"),
        f("device.model.name", "destination.removableMedia.name"),
        f("device.serial_number", "destination.removableMedia.serialNumber"),
        f("device.product.name", "destination.removableMedia.mediaName"),
        f("file.name", "file.name"),
        f("file.extension", "file.name", conv=get("extension"), derived=True),
        f("file.directory", "file.directory"),
        combined("file.path", "file.directory", "file.name", conv=get("join_path")),
        f("file.size", "file.sizeInBytes", conv=INT),
        f("file.hash.md5", "file.hash.md5"),
        f("file.hash.sha256", "file.hash.sha256"),
        f("file.mime_type", "file.mimeTypeByBytes", "file.mimeTypeByExtension", "file.mimeType"),
        f("file.created", "file.created", conv=ISO),
        f("file.mtime", "file.modified", conv=ISO),
        f("file.owner", "file.owner"),
        f("file.origin_url", "file.url"),
        f("process.executable", "process.executable"),
        f("process.name", "process.executable", conv=chain("base name", get("string"), get("base_name"),
                                                           doc="the file name of the path"), derived=True),
        f("process.user.name", "process.owner"),
        f("user_agent.name", "process.extension.browser"),
        related_user("user.email"),
        f("related.ip[]", "source.ip", conv=IP, derived=True),
        f("related.ip[]", "destination.ip", conv=IP, derived=True),
        f("related.hash[]", "file.hash.md5", conv=get("string"), derived=True),
        f("related.hash[]", "file.hash.sha256", conv=get("string"), derived=True),
        f("related.hosts[]", "source.name", conv=get("string"), derived=True),
        f("related.hosts[]", "destination.domains", conv=get("strings"), derived=True),
    ),
)

# ---- Code42 sessions -------------------------------------------------------------------------------------
ALERTS = Table(
    "alerts", "ecs", "Code42 Incydr sessions (alerts)", namespace="code42",
    rows=(
        *header("Code42", "Incydr", "code42", "code42.session", "alert"),
        const("event.category[]", "threat"),
        const("event.type[]", "indicator"),
        f("event.id", "sessionId", conv=TEXT),
        f("event.start", "beginTime", conv=get("ms_iso")),
        f("event.end", "endTime", conv=get("ms_iso")),
        f("event.created", "firstObserved", conv=get("ms_iso")),
        f("event.severity", "severity", conv=SEVERITY_LEVEL),
        f("event.risk_score", "scores", conv=get("last_score"), derived=True),
        f("rule.name", "triggeredAlerts", conv=chain("first rule", get("rule_names"), get("first"),
                                                     doc="the first triggeredAlerts[].ruleName"), derived=True),
        f("rule.id", "triggeredAlerts", conv=chain("first rule id", get("rule_ids"), get("first"),
                                                   doc="the first triggeredAlerts[].ruleId"), derived=True),
        f("user.id", "actorId", conv=TEXT),
        f("user.name", "actorName"),
        f("user.email", "actorName", conv=get("email"), derived=True),
        related_user("actorName"),
    ),
)

# ---- Code42 audit log ------------------------------------------------------------------------------------
ACTION = get("audit_action")
AUDIT_CATEGORY = Lookup("action -> event.category", {
    "logged_in": ("authentication",), "login": ("authentication",), "logged_out": ("authentication",),
    "logout": ("authentication",), "user_created": ("iam",), "user_deleted": ("iam",), "user_deactivated": ("iam",),
    "user_role_added": ("iam",), "user_role_removed": ("iam",),
}, "log in/out authentication, user and role changes iam, else api")
AUDIT_TYPE = Lookup("action -> event.type", {
    "logged_in": ("start",), "login": ("start",), "logged_out": ("end",), "logout": ("end",),
    "user_created": ("user", "creation"), "user_deleted": ("user", "deletion"), "user_deactivated": ("user", "change"),
    "user_role_added": ("user", "change"), "user_role_removed": ("user", "change"),
}, "login start, logout end, user changes user + creation/deletion/change, else by verb")
VERB_TYPE = Lookup("OCSF verb -> event.type", {1: ("creation",), 2: ("access",), 3: ("change",), 4: ("deletion",),
                                               99: ("info",)}, "create creation, read access, update change, "
                                                              "delete deletion, else info")
AUDIT = Table(
    "auditEvents", "ecs", "Code42 Incydr audit log", namespace="code42",
    rows=(
        *header("Code42", "Incydr", "code42", "code42.audit", "event"),
        const("event.category", ("api",)),
        f("event.action", "type$", conv=ACTION, derived=True),  # type$ itself stays in code42.*
        f("event.category", "type$", conv=chain("action category", ACTION, AUDIT_CATEGORY, doc=AUDIT_CATEGORY.doc),
          derived=True),
        f("event.type", "type$", conv=chain("action verb", ACTION, get("verb_activity"), VERB_TYPE, doc=VERB_TYPE.doc),
          derived=True),
        f("event.type", "type$", conv=chain("action type", ACTION, AUDIT_TYPE, doc=AUDIT_TYPE.doc), derived=True),
        f("event.outcome", "success", conv=OUTCOME),
        f("user.id", "actorId", conv=TEXT),
        f("user.name", "actorName"),
        f("user.email", "actorName", conv=get("email"), derived=True),
        f("source.ip", "actorIpAddress", conv=get("first_ip"), derived=True),  # the list stays in code42.*
        f("related.ip[]", "actorIpAddress", conv=get("ips"), derived=True),
        f("user_agent.original", "actorAgent"),
        related_user("actorName"),
    ),
)

# ---- Druva inSync ------------------------------------------------------------------------------------------
INSYNC_CATEGORY = Lookup("eventType -> event.category", {
    **dict.fromkeys(("Administrator authentication", "Admin Login", "API Login", "WebDAV authentication",
                     "WebDAV Login", "Bulk Export WebDAV Login", "PST Converter WebDAV Login"), ("authentication",)),
    **dict.fromkeys(("Administrator Audit Trail", "Admin Audit Trail", "User Audit Trail"), ("configuration",)),
    **dict.fromkeys(("Backup", "Restore", "Download"), ("file",)),
    **dict.fromkeys(("Alert", "Alert Notification", "Alert Resolution"), ("threat",)),
}, "logins authentication, audit trails configuration, backup/restore/download file, alerts threat")
INSYNC_TYPE = Lookup("eventType -> event.type", {
    **dict.fromkeys(("Administrator authentication", "Admin Login", "API Login", "WebDAV authentication",
                     "WebDAV Login", "Bulk Export WebDAV Login", "PST Converter WebDAV Login"), ("start",)),
    **dict.fromkeys(("Administrator Audit Trail", "Admin Audit Trail", "User Audit Trail"), ("change",)),
    "Backup": ("creation",), "Restore": ("creation",), "Download": ("access",),
    **dict.fromkeys(("Alert", "Alert Notification", "Alert Resolution"), ("indicator",)),
}, "logins start, audit trails change, backup/restore creation, download access, alerts indicator")
INSYNC_KIND = Lookup("eventType -> event.kind", dict.fromkeys(("Alert", "Alert Notification", "Alert Resolution"),
                                                              "alert"), "alerts alert (else event)")
INSYNC = Table(
    "insyncEvents", "ecs", "Druva inSync events", namespace="druva",
    rows=(
        *header("Druva", "inSync", "druva", "druva.insync", "event"),
        f("event.kind", "eventType", "EventType", conv=INSYNC_KIND, derived=True),
        f("event.category", "eventType", "EventType", conv=INSYNC_CATEGORY, derived=True),
        f("event.type", "eventType", "EventType", conv=INSYNC_TYPE, derived=True),
        f("event.id", "eventID", "EventID", conv=TEXT),
        f("event.action", "eventType", "EventType"),
        f("event.outcome", "eventState", "EventState", conv=OUTCOME, derived=True),
        f("event.reason", "eventState", "EventState"),
        f("event.severity", "severity", "Severity", conv=SYSLOG_SEVERITY, derived=True),
        f("log.syslog.severity.code", "severity", "Severity", conv=INT),
        f("log.syslog.facility.code", "facility", "Facility", conv=INT),
        f("message", "eventDetails", "EventDetails"),
        f("error.stack_trace", "ErrorLogFullTrace"),
        f("user.email", "initiator", "Initiator", conv=get("email"), derived=True),
        f("user.name", "initiator", "Initiator"),
        f("destination.user.email", "inSyncUserEmail", conv=get("email")),
        f("destination.user.id", "inSyncUserID", conv=TEXT),
        f("destination.user.full_name", "inSyncUserName"),
        f("host.name", "inSyncDataSourceName"),
        f("host.id", "inSyncDataSourceID", conv=TEXT),
        f("host.os.full", "clientOS", "ClientOS"),
        f("host.os.type", "clientOS", "ClientOS", conv=get("os_type"), derived=True),
        f("agent.version", "clientVersion", "ClientVersion"),
        f("source.ip", "ip", "IP", conv=IP),
        f("related.ip[]", "ip", "IP", conv=IP, derived=True),
        related_user("initiator", "Initiator"),
        related_user("inSyncUserEmail"),
        f("related.hosts[]", "inSyncDataSourceName", conv=get("string"), derived=True),
    ),
)

# ---- Druva Cyber Resilience (Realize) ------------------------------------------------------------------------
REALIZE_CATEGORY = Lookup("type/category -> event.category", {
    "Admin Login": ("authentication",), "Admin Logout": ("authentication",), "Unusual Data Activity": ("threat",),
    "Access Event": ("api",), "Admin Event": ("configuration",),
}, "logins authentication, unusual data activity threat, access events api, admin events configuration")
REALIZE_TYPE = Lookup("type/category -> event.type", {
    "Admin Login": ("start",), "Admin Logout": ("end",), "Unusual Data Activity": ("indicator",),
    "Access Event": ("access",), "Admin Event": ("change",),
}, "login start, logout end, unusual data activity indicator, access access, admin change")
REALIZE_KIND = Lookup("category -> event.kind", {"Unusual Data Activity": "alert"},
                      "unusual data activity alert (else event)")
REALIZE = Table(
    "realizeEvents", "ecs", "Druva Cyber Resilience (Realize) events", namespace="druva",
    rows=(
        *header("Druva", "Cyber Resilience", "druva", "druva.realize", "event"),
        f("event.kind", "category", conv=REALIZE_KIND, derived=True),
        f("event.category", "category", conv=REALIZE_CATEGORY, derived=True),
        f("event.category", "type", conv=REALIZE_CATEGORY, derived=True),
        f("event.type", "category", conv=REALIZE_TYPE, derived=True),
        f("event.type", "type", conv=REALIZE_TYPE, derived=True),
        f("event.id", "id", conv=TEXT),
        f("event.action", "type"),
        f("event.severity", "syslogSeverity", conv=SYSLOG_SEVERITY, derived=True),
        f("log.syslog.severity.code", "syslogSeverity", conv=INT),
        f("log.syslog.facility.code", "syslogFacility", conv=INT),
        f("organization.id", "globalCustomerId", conv=TEXT),
        f("event.outcome", "details.loginResult", "details.result", "details.status", conv=OUTCOME, derived=True),
        f("message", "details.eventDetails", "details.adminActivity"),
        f("user.email", "details.adminEmail", conv=get("email")),
        f("user.name", "details.adminEmail", derived=True),
        f("user.full_name", "details.adminName"),
        f("source.ip", "details.adminIPAddress", "details.sourceIP", conv=IP),
        f("source.geo.name", "details.location"),
        f("related.ip[]", "details.adminIPAddress", "details.sourceIP", conv=IP, derived=True),
        related_user("details.adminEmail"),
    ),
)

TABLES = {t.data_type: t for t in (FILE_EVENTS, ALERTS, AUDIT, INSYNC, REALIZE)}
