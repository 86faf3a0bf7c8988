"""The named converters tables use. Each takes one vendor value and returns the target value, or None when
the value does not convert (wrong type, not an address, …): the engine then notes it and keeps it unmapped."""

from __future__ import annotations

import calendar
import ipaddress
import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from c2c.normalize.table import Converter

F = TypeVar("F", bound=Callable[[Any], Any])

CONVERTERS: dict[str, Converter] = {}


def converter(doc: str, same_for: type | None = None, returns: str | None = None) -> Callable[[F], F]:
    def register(fn: F) -> F:
        CONVERTERS[fn.__name__] = Converter(fn.__name__, fn, doc, same_for, returns)
        return fn

    return register


def expression(name: str, doc: str, expr: str, returns: str | None = None, **env: Any) -> None:
    """A converter that is one expression of `v`: the engine writes it into the generated code (no call
    per event); `fn` is the same expression, for everything else."""
    fn = eval(f"lambda v: {expr}", dict(env))  # the module's own literal, never event data
    CONVERTERS[name] = Converter(name, fn, doc, returns=returns, expr=expr, env=env)


def get(name: str) -> Converter:
    return CONVERTERS[name]


@converter("a string, as is", returns="str")
def string(v: Any) -> str | None:
    return v if type(v) is str else None


@converter("a string, or a number written as a string", same_for=str, returns="str")
def text(v: Any) -> str | None:
    if type(v) is str:
        return v
    if type(v) is int or type(v) is float:
        return str(v)
    return None


@converter("an integer (a string of digits too)", same_for=int, returns="int")
def integer(v: Any) -> int | None:
    if type(v) is int:
        return v
    if type(v) is str and v.strip().lstrip("-").isdigit():
        return int(v)
    if type(v) is float and v.is_integer():
        return int(v)
    return None


@converter("a number", same_for=int)
def number(v: Any) -> float | int | None:
    return v if type(v) is int or type(v) is float else None



@converter("a list of strings (one string becomes a list of one)", returns="strs")
def strings(v: Any) -> list[str] | None:
    if type(v) is str:
        return [v]
    if type(v) is list and all(type(x) is str for x in v):
        return v or None
    return None


expression("first", "the first string of a list",
           "v[0] if type(v) is list and v and type(v[0]) is str else None", returns="str")


@lru_cache(maxsize=1024)
def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


expression("ip", "an IPv4 or IPv6 address", "_ip(v) if type(v) is str else None", returns="str", _ip=_ip)


@converter("the first address of a comma-separated list (Code42's actorIpAddress)", returns="str")
def first_ip(v: Any) -> str | None:
    return _ip(v.split(",", 1)[0]) if type(v) is str else None


@converter("every address of a comma-separated list", returns="strs")
def ips(v: Any) -> list[str] | None:
    if type(v) is not str:
        return None
    out = [a for a in (_ip(p) for p in v.split(",")) if a is not None]
    return out or None


_DAYS: dict[str, int | None] = {}  # "YYYY-MM-DD" -> epoch seconds at 00:00 UTC (a few entries per backfill)


def _epoch_day(date: str) -> int | None:
    if len(_DAYS) > 4096:
        _DAYS.clear()
    try:
        whole: int | None = calendar.timegm(time.strptime(date, "%Y-%m-%d"))
    except ValueError:
        whole = None
    _DAYS[date] = whole
    return whole


def _clock(v: str) -> int | None:
    """Seconds since midnight of `HH:MM:SS` at v[11:19], or None."""
    hh, mm, ss = v[11:13], v[14:16], v[17:19]
    if v[13] != ":" or v[16] != ":" or not (hh + mm + ss).isdigit():
        return None
    return int(hh) * 3600 + int(mm) * 60 + int(ss)


@converter("an ISO-8601 UTC time (…Z, any fraction) -> epoch milliseconds", returns="int")
def epoch_ms(v: Any) -> int | None:
    if type(v) is not str or len(v) < 20 or v[-1] != "Z" or v[10] != "T":
        return None
    date = v[:10]
    day = _DAYS[date] if date in _DAYS else _epoch_day(date)
    clock = _clock(v)
    if day is None or clock is None:
        return None
    if len(v) == 20:
        return (day + clock) * 1000
    frac = v[20:-1]
    if v[19] != "." or not frac.isdigit():
        return None
    return (day + clock) * 1000 + int(frac[:3].ljust(3, "0"))


_HOURS: dict[str, int | None] = {}  # "YYYY-MM-DDTHH" -> epoch ms (720 entries for a month of backfill)


def _epoch_hour(hour: str) -> int | None:
    if len(_HOURS) > 4096:
        _HOURS.clear()
    date = hour[:10]
    day = _DAYS[date] if date in _DAYS else _epoch_day(date)
    whole = None if day is None or not hour[11:].isdigit() else (day + int(hour[11:]) * 3600) * 1000
    _HOURS[hour] = whole
    return whole


@converter("c2c's own _time (YYYY-MM-DDTHH:MM:SS.mmmZ) -> epoch milliseconds", returns="int")
def record_ms(v: str) -> int | None:
    # Per event (every record has a time): the hour from a cache, then "MM" "SS" "mmm" parsed as one number
    # (MMSSmmm: minutes count 100000 there, 60000 ms in fact).
    hour = v[:13]
    base = _HOURS[hour] if hour in _HOURS else _epoch_hour(hour)
    if base is None:
        return None
    rest = int(v[14:16] + v[17:19] + v[20:23])
    return base + rest - rest // 100000 * 40000



@converter("epoch milliseconds, as is", returns="int")
def ms(v: Any) -> int | None:
    return v if type(v) is int and v >= 0 else None


@converter("epoch milliseconds -> ISO-8601 UTC", returns="str")
def ms_iso(v: Any) -> str | None:
    if type(v) is not int or v < 0:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(v // 1000)) + f".{v % 1000:03d}Z"



expression("iso", "an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS…Z), as is",
           'v if type(v) is str and len(v) >= 20 and v[-1] == "Z" and v[10] == "T" and v[4] == "-" and v[13] == ":" '
           "else None", returns="str")


expression("md5_fingerprint", "OCSF fingerprint {algorithm_id 1 MD5, value}",
           '{"algorithm_id": 1, "value": v} if type(v) is str and v else None')


expression("sha256_fingerprint", "OCSF fingerprint {algorithm_id 3 SHA-256, value}",
           '{"algorithm_id": 3, "value": v} if type(v) is str and v else None')


expression("extension", "the extension after the last dot of a file name",
           '(v.rsplit(".", 1)[1] or None) if type(v) is str and "." in v.strip(".") else None', returns="str")


expression("join_path", "directory + name, joined with the directory's own separator",
           # v = (directory, name)
           "(v[0] + v[1] if not v[0] or v[0][-1] in '/\\\\' else v[0] + ('\\\\' if '\\\\' in v[0] else '/') + v[1]) "
           "if type(v) is tuple and len(v) == 2 and type(v[0]) is str and type(v[1]) is str else None", returns="str")


@converter("the last entry of a list of objects (the current one)")
def last(v: Any) -> Any:
    return v[-1] if type(v) is list and v and type(v[-1]) is dict else None


@converter("the `score` of the last entry of Code42's scores[]", returns="int")
def last_score(v: Any) -> int | None:
    item = last(v)
    return integer(item.get("score")) if item is not None else None


@converter("the `stateV2` (else `state`) of the last entry of Code42's states[]", returns="str")
def last_state(v: Any) -> str | None:
    item = last(v)
    return string(item.get("stateV2") or item.get("state")) if item is not None else None


def _plucker(name: str, key: str, doc: str) -> None:
    CONVERTERS[name] = Converter(name, lambda v: _pluck(v, key), doc, returns="strs")


for _name, _key, _doc in (("rule_names", "ruleName", "every `ruleName` of Code42's triggeredAlerts[]"),
                          ("rule_ids", "ruleId", "every `ruleId` of Code42's triggeredAlerts[]"),
                          ("names", "name", "every `name` of a list of objects"),
                          ("display_names", "displayName", "every `displayName` of a list of objects")):
    _plucker(_name, _key, _doc)


@converter("OCSF groups [{name}] from the `displayName` of each of a list of objects")
def group_objects(v: Any) -> list[dict[str, str]] | None:
    found = _pluck(v, "displayName")
    return [{"name": n} for n in found] if found else None


def _pluck(v: Any, key: str) -> list[str] | None:
    if type(v) is not list:
        return None
    if not v:  # most often so
        return None
    out = [x[key] for x in v if type(x) is dict and type(x.get(key)) is str]
    return out or None


@converter("OCSF analytic {uid, name, type_id 1 Rule} of the first triggered alert")
def first_rule(v: Any) -> dict[str, Any] | None:
    if type(v) is not list or not v or type(v[0]) is not dict:
        return None
    rule = v[0]
    out: dict[str, Any] = {"type_id": 1}
    if type(rule.get("ruleId")) is str:
        out["uid"] = rule["ruleId"]
    if type(rule.get("ruleName")) is str:
        out["name"] = rule["ruleName"]
    return out if len(out) > 1 else None


@converter("true when the list has an entry")
def nonempty(v: Any) -> bool | None:
    return bool(v) if type(v) is list else None


_AUDIT_TYPE = re.compile(r"(?:audit_log::)?([A-Za-z0-9_]+)")


@converter("Code42 `type$` -> the action: `audit_log::logged_in/1` -> `logged_in`", returns="str")
def audit_action(v: Any) -> str | None:
    if type(v) is not str:
        return None
    m = _AUDIT_TYPE.match(v)
    return m.group(1) if m else None




expression("email", "an e-mail address (a string with an @)", 'v if type(v) is str and "@" in v else None',
           returns="str")


_OS = (("windows", 100, "windows"), ("mac", 300, "macos"), ("darwin", 300, "macos"), ("ios", 301, "ios"),
       ("android", 201, "android"), ("linux", 200, "linux"), ("ubuntu", 200, "linux"), ("chrome", 200, "linux"))


def _os(v: Any) -> tuple[int, str] | None:
    if type(v) is not str:
        return None
    low = v.lower()
    return next(((tid, ecs) for key, tid, ecs in _OS if key in low), None)


@converter("OCSF os.type_id from an OS name by substring (Windows 100, Linux 200, macOS 300, …; else 0)", returns="int")
def os_type_id(v: Any) -> int | None:
    if type(v) is not str:
        return None
    found = _os(v)
    return found[0] if found else 0


@converter("ECS host.os.type from an OS name by substring (windows, macos, linux, …)", returns="str")
def os_type(v: Any) -> str | None:
    found = _os(v)
    return found[1] if found else None





_ALERT = re.compile(r"Alert:\s*(.+?)\s*,")
_ALERT_DESC = re.compile(r"Alert Description:\s*(.+?)\s*,?\s*$")


@converter("the alert name in Druva's `Alert:<name>, Alert Description:<text>,` details", returns="str")
def alert_name(v: Any) -> str | None:
    m = _ALERT.search(v) if type(v) is str else None
    return m.group(1) if m and m.group(1) != "NA." else None


@converter("the alert description in Druva's alert details", returns="str")
def alert_description(v: Any) -> str | None:
    m = _ALERT_DESC.search(v) if type(v) is str else None
    return m.group(1) if m and m.group(1) not in ("NA.", "NA") else None


def chain(name: str, *steps: Any, doc: str) -> Converter:
    """Converters (or Lookups) applied in turn; None from any step stops the chain."""
    fns = [s.fn for s in steps]

    def fn(v: Any) -> Any:
        for step in fns:
            v = step(v)
            if v is None:
                return None
        return v

    last = steps[-1]
    return Converter(name, fn, doc, returns=last.returns if isinstance(last, Converter) else None, steps=steps)


@converter("the last part of a path (either separator)", returns="str")
def base_name(v: Any) -> str | None:
    if type(v) is not str:
        return None
    name: str = v.replace("\\", "/").rsplit("/", 1)[-1]
    return name or None


_VERBS = ((("created", "added", "create", "add"), 1),
          (("updated", "changed", "modified", "edited", "update", "set"), 3),
          (("deleted", "removed", "delete", "remove", "revoked"), 4),
          (("search", "viewed", "view", "export", "read", "download", "list", "get"), 2))


@converter("the CRUD verb in an action name -> OCSF activity_id (1 Create, 2 Read, 3 Update, 4 Delete, else 99)",
           returns="int")
def verb_activity(v: Any) -> int | None:
    if type(v) is not str:
        return None
    words = set(re.split(r"[^a-z]+", v.lower()))
    return next((aid for verbs, aid in _VERBS if words.intersection(verbs)), 99)


@converter("the present values joined with `|` (an id for an event that has none)", returns="str")
def joined(v: Any) -> str | None:
    if type(v) is not tuple:
        return None
    parts = [str(x) for x in v if x is not None and type(x) is not dict and type(x) is not list]
    return "|".join(parts) or None
