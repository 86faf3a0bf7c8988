"""OCSF 1.8.0 tables, one per data type. The class is chosen per event from the vendor's own kind of event.

Every class's required attributes come from rows or constants; where an event lacks what its class
requires, it falls back to a class that needs less (in the end Base Event, class 0), with a note.
`type_uid` (= class_uid * 100 + activity_id) is computed by the engine.
"""

from __future__ import annotations

from c2c.normalize.convert import chain, get
from c2c.normalize.table import TIME, Case, Lookup, Row, Select, Table, combined, const, f, fill

VERSION = "1.8.0"

TEXT, STR, INT, MS = get("text"), get("string"), get("integer"), get("epoch_ms")
SYSLOG_SEVERITY = Lookup("syslog severity", {0: 5, 1: 5, 2: 5, 3: 4, 4: 3, 5: 1, 6: 1, 7: 1,
                                             "0": 5, "1": 5, "2": 5, "3": 4, "4": 3, "5": 1, "6": 1, "7": 1},
                         "syslog 0-2 -> 5 Critical, 3 -> 4 High, 4 -> 3 Medium, 5-7 -> 1 Informational")
OUTCOME = Lookup("eventState -> status_id", {"Success": 1, "Failed": 2, "Marked as Inactive": 2,
                                             "Backed up with Errors": 99, "Warning": 1, "Canceled": 99,
                                             "Backup Paused": 99, "Backup Resumed": 99},
                 "Success/Warning 1, Failed/Marked as Inactive 2, partial or other states 99")
SUCCESS = Lookup("success -> status_id", {True: 1, False: 2}, "true 1 Success, false 2 Failure")


def header(product: str, vendor: str = "Code42") -> tuple[Row, ...]:
    return (
        const("metadata.version", VERSION),
        const("metadata.product.name", product),
        const("metadata.product.vendor_name", vendor),
        f("time", TIME, conv=get("record_ms")),
        const("severity_id", 0),
    )


def klass(name: str, title: str, class_uid: int, activity: int | Row, *rows: Row, requires: tuple[str, ...] = (),
          fallback: str | None = None) -> Case:
    """A case that is one OCSF class; `activity` a constant activity_id or a row that finds it."""
    head = [const("class_uid", class_uid), const("category_uid", class_uid // 1000)]
    head += [const("activity_id", activity)] if isinstance(activity, int) else [const("activity_id", 99), activity]
    return Case(name, (*head, *rows), f"{title} ({class_uid})", requires, fallback)


BASE = klass("base", "Base Event", 0, 0)

# ---- Code42 file events --------------------------------------------------------------------------------
RISK_SEVERITY = Lookup("risk.severity", {"NO_RISK_INDICATED": 1, "LOW": 2, "MODERATE": 3, "HIGH": 4, "CRITICAL": 5},
                       "NO_RISK_INDICATED 1, LOW 2, MODERATE 3, HIGH 4, CRITICAL 5")
CONTROL_DISPOSITION = Lookup("preventativeControl -> disposition_id", {"BLOCKED": 2, "ALLOWED": 1,
                                                                       "ALLOWED_WITH_JUSTIFICATION": 1},
                             "BLOCKED 2 Blocked, ALLOWED* 1 Allowed")
CONTROL_ACTION = Lookup("preventativeControl -> action_id", {"BLOCKED": 2, "ALLOWED": 1,
                                                             "ALLOWED_WITH_JUSTIFICATION": 1},
                        "BLOCKED 2 Denied, ALLOWED* 1 Allowed")
FILE = (
    f("file.name", "file.name"),
    f("file.parent_folder", "file.directory"),
    combined("file.path", "file.directory", "file.name", conv=get("join_path")),
    f("file.size", "file.sizeInBytes", conv=INT),
    f("file.hashes[]", "file.hash.md5", conv=get("md5_fingerprint")),
    f("file.hashes[]", "file.hash.sha256", conv=get("sha256_fingerprint")),
    f("file.mime_type", "file.mimeTypeByBytes", "file.mimeTypeByExtension", "file.mimeType"),
    f("file.owner.name", "file.owner"),
    f("file.url", "file.url"),
    f("file.uid", "file.id", conv=TEXT),
    f("file.created_time", "file.created", conv=MS),
    f("file.modified_time", "file.modified", conv=MS),
    fill("file.type_id", 1),
)
ACTOR = (
    f("actor.user.email_addr", "user.email", conv=get("email")),
    f("actor.user.name", "user.email"),
    f("actor.user.uid", "user.id", conv=TEXT),
    f("actor.user.groups", "user.groups", conv=get("group_objects"), derived=True),
)
DEVICE = (
    f("device.uid", "user.deviceUid", conv=TEXT),
    f("device.hostname", "source.name"),
    f("device.domain", "source.domain"),
    f("device.ip", "source.privateIp", conv=get("first")),
    f("device.os.name", "source.operatingSystem"),
    f("device.os.type_id", "source.operatingSystem", conv=get("os_type_id"), derived=True),
    fill("device.type_id", 0),
)
ENDPOINTS = (
    f("src_endpoint.name", "source.name"),
    f("src_endpoint.ip", "source.ip", conv=get("ip")),
    f("src_endpoint.domain", "source.domain"),
    f("dst_endpoint.name", "destination.name"),
    f("dst_endpoint.domain", "destination.domains", conv=get("first")),
    f("dst_endpoint.ip", "destination.ip", conv=get("ip")),
)
SECURITY_CONTROL = (
    const("metadata.profiles", ("security_control",)),
    f("risk_score", "risk.score", conv=INT),
    f("disposition_id", "responseControls.preventativeControl", conv=CONTROL_DISPOSITION),
    f("action_id", "responseControls.preventativeControl", conv=CONTROL_ACTION),
)
ON_ENDPOINT = (*ACTOR, *DEVICE, *FILE, *SECURITY_CONTROL)
IN_CLOUD = (*ACTOR, *ENDPOINTS, *FILE, *SECURITY_CONTROL,
            f("http_request.url.url_string", "destination.tabs", conv=chain(
                "first tab url", get("last"), get("string"), doc="the url of the last of destination.tabs[]"),
              derived=True))
# OCSF objects that need one of several attributes: a requirement names those (`|`: any one of them).
ACTOR_NEEDS = "actor.user.name|actor.user.uid|actor.app_name"
USER_NEEDS = "user.name|user.uid"
DEVICE_NEEDS = "device.uid|device.hostname|device.ip|device.name"
ENDPOINT_NEEDS = (ACTOR_NEEDS, DEVICE_NEEDS, "file.name")
CLOUD_NEEDS = (ACTOR_NEEDS, "src_endpoint", "file.name")

FILE_EVENTS = Table(
    "fileEvents", "ocsf", "Code42 Incydr file events",
    rows=(
        *header("Incydr"),
        f("metadata.uid", "event.id", conv=TEXT),
        f("metadata.original_time", "@timestamp", conv=TEXT),
        f("metadata.event_code", "event.action"),
        # event.ingested / event.inserted stay in unmapped as Code42 wrote them (nanoseconds and all).
        f("severity_id", "risk.severity", conv=RISK_SEVERITY),
    ),
    cases=(
        klass("create", "File System Activity: Create", 1001, 1, *ON_ENDPOINT, requires=ENDPOINT_NEEDS),
        klass("update", "File System Activity: Update", 1001, 3, *ON_ENDPOINT, requires=ENDPOINT_NEEDS),
        klass("delete", "File System Activity: Delete", 1001, 4, *ON_ENDPOINT, requires=ENDPOINT_NEEDS),
        klass("read", "File System Activity: Read", 1001, 2, *ON_ENDPOINT, requires=ENDPOINT_NEEDS),
        klass("removable-create", "File System Activity: Create (removable media)", 1001, 1, *ON_ENDPOINT,
              const("file.drive_type_id", 1), requires=ENDPOINT_NEEDS),
        klass("removable-update", "File System Activity: Update (removable media)", 1001, 3, *ON_ENDPOINT,
              const("file.drive_type_id", 1), requires=ENDPOINT_NEEDS),
        klass("removable-delete", "File System Activity: Delete (removable media)", 1001, 4, *ON_ENDPOINT,
              const("file.drive_type_id", 1), requires=ENDPOINT_NEEDS),
        klass("upload", "File Hosting Activity: Upload", 6006, 1, *IN_CLOUD, requires=CLOUD_NEEDS),
        klass("download", "File Hosting Activity: Download", 6006, 2, *IN_CLOUD, requires=CLOUD_NEEDS),
        klass("share", "File Hosting Activity: Share", 6006, 12, *IN_CLOUD, requires=CLOUD_NEEDS),
        klass("email", "Email File Activity: Send", 4011, 1, *FILE, *SECURITY_CONTROL,
              f("email_uid", "event.id", conv=TEXT, derived=True), requires=("email_uid", "file.name")),
        klass("other", "File System Activity: Other", 1001, 99, *ON_ENDPOINT, requires=ENDPOINT_NEEDS),
        BASE,
    ),
    select=Select((("event.action", None, {
        "file-created": "create", "file-modified": "update", "file-deleted": "delete", "file-printed": "read",
        "removable-media-created": "removable-create", "removable-media-modified": "removable-update",
        "removable-media-deleted": "removable-delete", "application-read": "upload", "file-uploaded": "upload",
        "git-pushed": "upload", "file-downloaded": "download", "file-shared": "share", "file-emailed": "email",
        "emailed": "email",
    }),), default="other"),
    fallback="base",
)

# ---- Code42 sessions (alerts) ---------------------------------------------------------------------------
SESSION_SEVERITY = Lookup("session severity", {0: 1, 1: 2, 2: 3, 3: 4, 4: 5}, "0 1, 1 2, 2 3, 3 4, 4 5")
SESSION_RISK_LEVEL = Lookup("session risk level", {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}, "0-4 as is (0 Info … 4 Critical)")
LAST_STATE = get("last_state")
STATE_STATUS = Lookup("stateV2 -> status_id", {"OPEN": 1, "OPEN_NEW_DATA": 1, "IN_PROGRESS": 2, "CLOSED": 4,
                                               "CLOSED_TP": 4, "CLOSED_TP_BENIGN": 4, "CLOSED_FP": 4},
                      "OPEN/OPEN_NEW_DATA 1 New, IN_PROGRESS 2 In Progress, CLOSED* 4 Resolved")
STATE_ACTIVITY = Lookup("stateV2 -> activity_id", {"OPEN": 1, "OPEN_NEW_DATA": 2, "IN_PROGRESS": 2, "CLOSED": 3,
                                                   "CLOSED_TP": 3, "CLOSED_TP_BENIGN": 3, "CLOSED_FP": 3},
                        "OPEN 1 Create, OPEN_NEW_DATA/IN_PROGRESS 2 Update, CLOSED* 3 Close")
FINDING = (
    f("metadata.uid", "sessionId", conv=TEXT, derived=True),
    f("metadata.original_time", "lastUpdated", conv=TEXT, derived=True),
    f("metadata.tenant_uid", "tenantId"),
    const("finding_info.title", "Incydr session"),
    f("finding_info.uid", "sessionId", conv=TEXT),
    f("finding_info.title", "triggeredAlerts", conv=chain("first rule name", get("rule_names"), get("first"),
                                                          doc="the first triggeredAlerts[].ruleName"), derived=True),
    f("finding_info.analytic", "triggeredAlerts", conv=get("first_rule"), derived=True),
    f("finding_info.first_seen_time", "beginTime", conv=get("ms")),
    f("finding_info.last_seen_time", "endTime", conv=get("ms")),
    f("finding_info.created_time", "firstObserved", conv=get("ms")),
    f("finding_info.modified_time", "lastUpdated", conv=get("ms")),
    f("actor.user.uid", "actorId", conv=TEXT),
    f("actor.user.name", "actorName"),
    f("actor.user.email_addr", "actorName", conv=get("email"), derived=True),
    f("severity_id", "severity", conv=SESSION_SEVERITY),
    f("risk_level_id", "severity", conv=SESSION_RISK_LEVEL, derived=True),
    f("risk_score", "scores", conv=get("last_score"), derived=True),
    f("status_id", "states", conv=chain("last state -> status_id", LAST_STATE, STATE_STATUS, doc=STATE_STATUS.doc),
      derived=True),
    f("is_alert", "triggeredAlerts", conv=get("nonempty"), derived=True),
)
FINDING_ACTIVITY = f("activity_id", "states", conv=chain("last state -> activity_id", LAST_STATE, STATE_ACTIVITY,
                                                         doc=STATE_ACTIVITY.doc), derived=True)
ALERTS = Table(
    "alerts", "ocsf", "Code42 Incydr sessions (alerts)",
    rows=header("Incydr"),
    cases=(
        klass("data-security", "Data Security Finding", 2006, FINDING_ACTIVITY, *FINDING,
              const("data_security.detection_system_id", 1), requires=("finding_info.uid",)),
        klass("detection", "Detection Finding", 2004, FINDING_ACTIVITY, *FINDING, requires=("finding_info.uid",)),
        BASE,
    ),
    select=Select((("type", None, {"STANDARD": "data-security", "ACCOUNT_TAKE_OVER": "detection"}),),
                  default="data-security"),
    fallback="base",
)

# ---- Code42 audit log ------------------------------------------------------------------------------------
ACTOR_TYPE = Lookup("actorType -> user.type_id", {"USER": 1, "SUPPORT_USER": 2, "API_CLIENT": 4, "SYSTEM": 3,
                                                 "UNKNOWN": 0}, "USER 1, SUPPORT_USER 2 Admin, API_CLIENT 4 Service, "
                                                                "SYSTEM 3, UNKNOWN 0")
AUDIT_ACTOR = (
    f("actor.user.name", "actorName"),
    f("actor.user.uid", "actorId", conv=TEXT),
    f("actor.user.type_id", "actorType", conv=ACTOR_TYPE),
)
AUDIT_SOURCE = (
    f("src_endpoint.ip", "actorIpAddress", conv=get("first_ip"), derived=True),  # the whole list stays unmapped
    f("http_request.user_agent", "actorAgent"),
)
AUDIT_USER = (  # the account a user/role change is about (when the event names it)
    f("user.uid", "userId", conv=TEXT),
    f("user.name", "userName", "username"),
    f("user.email_addr", "userEmail", conv=get("email")),
)
ACTION = get("audit_action")
AUDIT = Table(
    "auditEvents", "ocsf", "Code42 Incydr audit log",
    rows=(
        *header("Incydr"),
        const("severity_id", 1),
        f("metadata.original_time", "timestamp", conv=TEXT),
        f("metadata.event_code", "type$", conv=ACTION, derived=True),
        f("status_id", "success", conv=SUCCESS),
    ),
    cases=(
        klass("logon", "Authentication: Logon", 3002, 1,
              f("user.name", "actorName"), f("user.uid", "actorId", conv=TEXT),
              f("user.type_id", "actorType", conv=ACTOR_TYPE), const("service.name", "Code42 Incydr"), *AUDIT_SOURCE,
              requires=(USER_NEEDS,)),
        klass("logoff", "Authentication: Logoff", 3002, 2,
              f("user.name", "actorName"), f("user.uid", "actorId", conv=TEXT),
              f("user.type_id", "actorType", conv=ACTOR_TYPE), const("service.name", "Code42 Incydr"), *AUDIT_SOURCE,
              requires=(USER_NEEDS,)),
        klass("account-create", "Account Change: Create", 3001, 1, *AUDIT_ACTOR, *AUDIT_USER, *AUDIT_SOURCE,
              requires=(USER_NEEDS,), fallback="api"),
        klass("account-delete", "Account Change: Delete", 3001, 6, *AUDIT_ACTOR, *AUDIT_USER, *AUDIT_SOURCE,
              requires=(USER_NEEDS,), fallback="api"),
        klass("account-disable", "Account Change: Disable", 3001, 5, *AUDIT_ACTOR, *AUDIT_USER, *AUDIT_SOURCE,
              requires=(USER_NEEDS,), fallback="api"),
        klass("privileges-assign", "User Access Management: Assign Privileges", 3005, 1, *AUDIT_ACTOR,
              *AUDIT_USER, *AUDIT_SOURCE, f("privileges[]", "roleName", "role", conv=get("strings")),
              requires=(USER_NEEDS, "privileges"), fallback="api"),
        klass("privileges-revoke", "User Access Management: Revoke Privileges", 3005, 2, *AUDIT_ACTOR,
              *AUDIT_USER, *AUDIT_SOURCE, f("privileges[]", "roleName", "role", conv=get("strings")),
              requires=(USER_NEEDS, "privileges"), fallback="api"),
        klass("api", "API Activity", 6003, f("activity_id", "type$", conv=chain(
            "action verb", ACTION, get("verb_activity"), doc=get("verb_activity").doc), derived=True),
              *AUDIT_ACTOR, *AUDIT_SOURCE, f("api.operation", "type$"),
              requires=(ACTOR_NEEDS, "api.operation", "src_endpoint")),
        BASE,
    ),
    select=Select((("type$", ACTION, {
        "logged_in": "logon", "login": "logon", "logged_out": "logoff", "logout": "logoff",
        "user_created": "account-create", "user_deleted": "account-delete", "user_deactivated": "account-disable",
        "user_role_added": "privileges-assign", "user_role_removed": "privileges-revoke",
    }),), default="api", note_default=False),
    fallback="base",
)

# ---- Druva inSync (v2 JSON names, and the v1/CEF/Syslog attribute names) --------------------------------
INSYNC_SEVERITY_BY_STATE = Lookup("alert eventState -> severity_id", {"Notification": 1, "Warning": 3, "High": 4,
                                                                      "Critical": 5},
                                  "Notification 1, Warning 3, High 4, Critical 5")


INSYNC_INITIATOR = (
    f("actor.user.email_addr", "initiator", "Initiator", conv=get("email"), derived=True),
    f("actor.user.name", "initiator", "Initiator"),
)
INSYNC_DEVICE = (
    f("device.hostname", "inSyncDataSourceName"),
    f("device.uid", "inSyncDataSourceID", conv=TEXT),
    f("device.os.name", "clientOS", "ClientOS"),
    f("device.os.type_id", "clientOS", "ClientOS", conv=get("os_type_id"), derived=True),
    f("device.ip", "ip", "IP", conv=get("ip")),
    f("device.owner.uid", "inSyncUserID", conv=TEXT),
    f("device.owner.name", "inSyncUserEmail", derived=True),  # an OCSF user needs a name or uid: the e-mail,
    f("device.owner.name", "inSyncUserName"),                  # unless the event names the user
    f("device.owner.email_addr", "inSyncUserEmail", conv=get("email")),
    fill("device.type_id", 0),
)
INSYNC_ENDPOINT = (
    f("src_endpoint.ip", "ip", "IP", conv=get("ip")),
    f("src_endpoint.hostname", "inSyncDataSourceName"),
    f("src_endpoint.uid", "inSyncDataSourceID", conv=TEXT),
)
INSYNC_ALERT = (
    # v1 (CEF/Syslog) events carry no id: time, type and data source stand in for one.
    combined("finding_info.uid", "Timestamp", "EventType", "inSyncDataSourceID", conv=get("joined")),
    f("finding_info.uid", "eventID", "EventID", conv=TEXT, derived=True),
    f("finding_info.title", "eventType", "EventType", derived=True),
    f("finding_info.title", "eventDetails", "EventDetails", conv=get("alert_name"), derived=True),
    f("finding_info.desc", "eventDetails", "EventDetails", conv=get("alert_description"), derived=True),
    f("severity_id", "eventState", "EventState", conv=INSYNC_SEVERITY_BY_STATE, derived=True),
    const("is_alert", True),
    *INSYNC_DEVICE,
)
INSYNC_AUTH = (  # who logged in: the inSync user when the event names one, else the initiator
    *INSYNC_INITIATOR,
    f("user.email_addr", "initiator", "Initiator", conv=get("email"), derived=True),
    f("user.name", "initiator", "Initiator", derived=True),
    f("user.email_addr", "inSyncUserEmail", conv=get("email"), derived=True),
    f("user.name", "inSyncUserEmail"),
    f("user.uid", "inSyncUserID", conv=TEXT),
    f("user.full_name", "inSyncUserName"),
    *INSYNC_ENDPOINT,
)
INSYNC_JOB = (
    f("job.name", "eventType", "EventType", derived=True),
    f("job.desc", "eventDetails", "EventDetails", derived=True),
    *INSYNC_DEVICE,
)
AUTH_EVENTS = ("Administrator authentication", "Admin Login", "API Login", "WebDAV authentication", "WebDAV Login",
               "Bulk Export WebDAV Login", "PST Converter WebDAV Login")
INSYNC_KINDS = {
    **dict.fromkeys(AUTH_EVENTS, "logon"),
    **dict.fromkeys(("Administrator Audit Trail", "Admin Audit Trail", "User Audit Trail"), "audit"),
    "Backup": "job", "Restore": "job", "Download": "job",
    "Alert": "alert", "Alert Notification": "alert", "Alert Resolution": "alert-resolved",
}
INSYNC = Table(
    "insyncEvents", "ocsf", "Druva inSync events",
    rows=(
        *header("inSync", "Druva"),
        f("metadata.uid", "eventID", "EventID", conv=TEXT),
        f("metadata.original_time", "timestamp", "timeStamp", "Timestamp", conv=TEXT),
        f("metadata.event_code", "eventType", "EventType"),
        f("metadata.log_level", "severity", "Severity", conv=TEXT, derived=True),
        f("severity_id", "severity", "Severity", conv=SYSLOG_SEVERITY),
        f("message", "eventDetails", "EventDetails"),
        f("status_detail", "eventState", "EventState"),
        f("status_id", "eventState", "EventState", conv=OUTCOME, derived=True),
    ),
    cases=(
        klass("logon", "Authentication: Logon", 3002, 1, *INSYNC_AUTH, const("service.name", "Druva inSync"),
              requires=(USER_NEEDS,)),
        klass("audit", "Entity Management", 3004, 99, *INSYNC_INITIATOR,
              f("entity.name", "inSyncDataSourceName"), f("entity.uid", "inSyncDataSourceID", conv=TEXT),
              requires=("entity",)),
        klass("job", "Scheduled Job Activity: Other", 1006, 99, *INSYNC_JOB, requires=(DEVICE_NEEDS, "job.name")),
        klass("alert", "Detection Finding: Create", 2004, 1, *INSYNC_ALERT, requires=("finding_info.uid",)),
        klass("alert-resolved", "Detection Finding: Close", 2004, 3, *INSYNC_ALERT, requires=("finding_info.uid",)),
        BASE,
    ),
    select=Select((("eventType", None, INSYNC_KINDS), ("EventType", None, INSYNC_KINDS)), default="base"),
    fallback="base",
)

# ---- Druva Cyber Resilience (Realize events) --------------------------------------------------------------
LOGIN_RESULT = Lookup("loginResult -> status_id", {"Success": 1, "Failed": 2, "Failure": 2},
                      "Success 1, Failed/Failure 2")
REALIZE_ADMIN = (
    const("service.name", "Druva Cyber Resilience"),
    f("user.email_addr", "details.adminEmail", conv=get("email")),
    f("user.full_name", "details.adminName"),
    f("user.name", "details.adminEmail", derived=True),
    f("src_endpoint.ip", "details.adminIPAddress", "details.sourceIP", conv=get("ip")),
    f("status_detail", "details.loginResult", "details.result", "details.status"),
    f("status_id", "details.loginResult", "details.result", "details.status", conv=LOGIN_RESULT, derived=True),
)
REALIZE = Table(
    "realizeEvents", "ocsf", "Druva Cyber Resilience (Realize) events",
    rows=(
        *header("Cyber Resilience", "Druva"),
        f("metadata.uid", "id", conv=TEXT),
        f("metadata.original_time", "occurenceTime", conv=TEXT),
        f("metadata.tenant_uid", "globalCustomerId", conv=TEXT),
        f("metadata.event_code", "type"),
        f("severity_id", "syslogSeverity", conv=SYSLOG_SEVERITY, derived=True),  # lossy: the code stays unmapped
        f("message", "details.eventDetails", "details.adminActivity"),
    ),
    cases=(
        klass("logon", "Authentication: Logon", 3002, 1, *REALIZE_ADMIN, requires=(USER_NEEDS,)),
        klass("logoff", "Authentication: Logoff", 3002, 2, *REALIZE_ADMIN, requires=(USER_NEEDS,)),
        klass("api", "API Activity", 6003, 99, f("api.operation", "type", derived=True),
              f("actor.user.email_addr", "details.adminEmail", conv=get("email")),
              f("actor.user.name", "details.adminEmail", derived=True),
              f("actor.user.full_name", "details.adminName"),
              f("src_endpoint.ip", "details.adminIPAddress", "details.sourceIP", conv=get("ip")),
              requires=(ACTOR_NEEDS, "src_endpoint")),
        klass("finding", "Data Security Finding: Create", 2006, 1,
              f("finding_info.uid", "id", conv=TEXT, derived=True),
              f("finding_info.title", "type", derived=True),
              f("finding_info.desc", "details.eventDetails", derived=True),
              const("is_alert", True),
              const("data_security.detection_system_id", 99), requires=("finding_info.uid",)),
        BASE,
    ),
    select=Select((("type", None, {"Admin Login": "logon", "Admin Logout": "logoff"}),
                   ("category", None, {"Unusual Data Activity": "finding", "Access Event": "api"})),
                  default="base"),
    fallback="base",
)

TABLES = {t.data_type: t for t in (FILE_EVENTS, ALERTS, AUDIT, INSYNC, REALIZE)}
