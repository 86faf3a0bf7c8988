#!/usr/bin/env python3
"""Throughput benchmark: our Druva inSync parsers vs pycef and syslog-rfc5424-parser.

Not a pytest test (pytest only collects test_*.py). Run from the repository root:

    PYTHONPATH=plugin python tests/bench/bench_parsers.py [--lines N] [--cpu C]

The competitors are optional (``pip install '.[bench]'`` or pycef==1.11 and
syslog-rfc5424-parser==0.3.2); a missing one is reported and skipped.

Lines are generated in memory first (seeded, so runs are comparable); only parsing is timed,
on one pinned core, in chunks so that parsed results can be checked (untimed) and freed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import logging
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from c2c.formats.cef import parse_cef
except ImportError:  # allow running from a checkout without PYTHONPATH=plugin
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugin"))
    from c2c.formats.cef import parse_cef
from c2c.formats.insync_fields import CEF_KEY_TO_ATTR
from c2c.formats.syslog import parse_syslog

CHUNK = 10_000
TARGET_PYCEF = 2.0
TARGET_SYSLOG = 4.0

HOSTS = ["cloud.druva.com", "apis.druva.com", "govcloudapis.druva.com", "insync-eu.druva.com"]
FIRST = ["Ernie", "Bert", "Alice", "Bob", "Chandra", "Dmitri", "Eun-ji", "Fatima", "Gaspard", "Hiro"]
DOMAINS = ["druva.org", "example.com", "corp.example.net"]
MODELS = ["Mac mini", "MacBook Pro", "ThinkPad X1", "Surface Laptop", "OptiPlex 7090", "iPhone"]
OSES = ["Mac OS X", "macOS 14.4", "Windows 10", "Windows 11 Pro", "Ubuntu 22.04", "iOS 17.2"]
EVENT_TYPES = ["Admin Audit Trail", "Backup", "Restore", "Admin Login", "API Login", "Alert", "Download"]
STATES = ["Admin Event", "Success", "Failed", "Backed up with errors", "Started"]
PROFILES = ["Default", "Engineering", "Sales EMEA", "Executives"]
APOSTROPHES = ["\u2019", "'"]


def build_events(n: int, seed: int = 20170921) -> list[dict[str, Any]]:
    """Varied Druva-like events; one third carry '=' and '\\' in EventDetails."""
    rnd = random.Random(seed)
    start = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
    events = []
    for i in range(n):
        first = rnd.choice(FIRST)
        user = f"{first.lower()}.{rnd.choice(['admin', 'user', 'ops'])}@{rnd.choice(DOMAINS)}"
        device = f"{first}{rnd.choice(APOSTROPHES)}s {rnd.choice(MODELS)}"
        if i % 3 == 0:
            # Raw text with the characters CEF must escape ("=" and "\").
            details = (
                f"Restored C:\\Users\\{first}\\file{rnd.randint(1, 999)}.docx with rule "
                f"size={rnd.randint(1, 10**6)} mode=overwrite"
            )
        elif i % 3 == 1:
            details = f"Device:{user} initiated backup for a device {device}"
        else:
            details = (
                f"Total Backup Size:{rnd.randint(0, 10**9)}, Files Backed up:{rnd.randint(0, 5000)}, "
                f"Files Missed:{rnd.randint(0, 3)}"
            )
        version = ".".join(str(rnd.randint(0, 9)) for _ in range(3)) + f"r{rnd.randint(10**4, 10**5 - 1)}"
        events.append(
            {
                "ts": start + dt.timedelta(seconds=rnd.randint(0, 8 * 365 * 86400)),
                "host": rnd.choice(HOSTS),
                "type": rnd.choice(EVENT_TYPES),
                "sev": rnd.randint(0, 7),
                "fac": rnd.choice([6, 6, 16, 23]),
                "user": user,
                "device": device,
                "ver": version,
                "os": rnd.choice(OSES),
                "uid": rnd.randint(1, 100_000),
                "dsid": rnd.randint(1, 1_000_000),
                "state": rnd.choice(STATES),
                "details": details,
                "ip": ".".join(str(rnd.randint(1, 254)) for _ in range(4)),
                "pid": rnd.randint(1, 500),
                "pname": rnd.choice(PROFILES),
                "uname": first,
            }
        )
    return events


def _cef_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("=", "\\=")


def to_cef(e: dict[str, Any], signature_id: str = "") -> str:
    return (
        f"{e['ts']:%b %d %Y %H:%M:%S} {e['host']} "
        f"CEF:0|Druva|inSync|1|{signature_id}|{e['type']}|{e['sev']}|"
        f"suser={e['user']} dvchost={e['device']} cs2Label=ClientVersion cs2={e['ver']} "
        f"deviceFacility={e['fac']} cs3Label=ClientOS cs3={e['os']} duid={e['uid']} "
        f"deviceExternalId={e['dsid']} outcome={e['state']} cs1Label=EventDetails "
        f"cs1={_cef_escape(e['details'])} deviceTranslatedAddress={e['ip']} cn1Label=ProfileID "
        f"cn1={e['pid']} cs5Label=ProfileName cs5={e['pname']} duser={e['uname']}"
    )


def to_syslog(e: dict[str, Any]) -> str:
    # Druva's shape: multi-word APP-NAME, PROCID/MSGID "-", STRUCTURED-DATA missing (double space).
    return (
        f"<{e['fac'] * 8 + e['sev']}>1 {e['ts']:%Y-%m-%dT%H:%M:%S}Z {e['host']} Druva inSync - -  "
        f"Initiator={e['user']} inSyncDataSourceName={e['device']} ClientVersion={e['ver']} "
        f"EventType={e['type']} ClientOS={e['os']} inSyncUserID={e['uid']} "
        f"inSyncDataSourceID={e['dsid']} EventState={e['state']} EventDetails={e['details']} "
        f"IP={e['ip']} ProfileID={e['pid']} ProfileName={e['pname']} inSyncUserName={e['uname']}"
    )


def pin_to_one_core(cpu: int | None) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (os.sched_setaffinity unavailable)"
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return f"pinned to CPU {chosen} (of {allowed})"


@dataclass
class Contestant:
    name: str
    data: str
    parse: Callable[[str], Any]
    lines: list[str]
    # Untimed: gets (chunk, results) and yields True for each line parsed wrongly.
    check: Callable[[list[str], list[Any]], Iterable[bool]] | None = None
    elapsed: float = 0.0
    wrong: int = 0

    @property
    def rate(self) -> float:
        return len(self.lines) / self.elapsed


def race(contestants: list[Contestant]) -> None:
    """Time every contestant chunk by chunk, interleaved.

    Interleaving means a noisy neighbour or a CPU frequency change hits all parsers alike, so
    the ratios are stable even when the absolute figures move. Results are checked (untimed)
    and freed per chunk, so memory stays small.
    """
    n = len(contestants[0].lines)
    for i in range(0, n, CHUNK):
        for c in contestants:
            chunk = c.lines[i : i + CHUNK]
            parse = c.parse
            t0 = time.perf_counter()
            out = [parse(line) for line in chunk]
            c.elapsed += time.perf_counter() - t0
            if c.check is not None:
                c.wrong += sum(c.check(chunk, out))
            del out


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


# pycef header keys (no Druva attribute); everything else is an extension key or a folded label.
_PYCEF_HEADER = {"CEFVersion", "DeviceVendor", "DeviceProduct", "DeviceVersion", "DeviceEventClassID"}
_PYCEF_HEADER_ATTR = {"Name": "EventType", "DeviceName": "EventType", "Severity": "Severity"}
_PYCEF_HEADER_ATTR["DeviceSeverity"] = "Severity"


def pycef_mismatches(ours: dict[str, Any], theirs: dict[str, Any] | None) -> bool:
    """True if pycef's decoded values differ from ours (the prefix, which pycef drops, aside)."""
    if theirs is None:
        return True
    expected = {k: str(v) for k, v in ours.items() if k not in ("Timestamp", "Hostname", "EventClassID")}
    got: dict[str, str] = {}
    for key, value in theirs.items():
        if key in _PYCEF_HEADER:
            continue
        got[_PYCEF_HEADER_ATTR.get(key) or CEF_KEY_TO_ATTR.get(key, key)] = value
    return got != expected


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000, help="number of lines per format (default 200000)")
    ap.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last allowed one)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # old competitors emit deprecation warnings on 3.11
    logging.getLogger("pycef").propagate = False

    print(f"Python {sys.version.split()[0]}; {pin_to_one_core(args.cpu)}")
    t0 = time.perf_counter()
    events = build_events(args.lines)
    cef_lines = [to_cef(e) for e in events]
    cef_filled = [to_cef(e, "AuditTrail") for e in events]
    syslog_lines = [to_syslog(e) for e in events]
    del events
    escaped = sum("\\" in line for line in cef_lines)
    print(
        f"built {args.lines:,} CEF + {args.lines:,} RFC 5424 lines in {time.perf_counter() - t0:.1f}s "
        f"({escaped:,} CEF lines with \\= and \\\\ escapes)"
    )

    # Untimed self-check: both of our parsers must agree on every event and never fail.
    disagree = failed = 0
    for c, s in zip(cef_lines, syslog_lines, strict=True):
        rc, rs = parse_cef(c), parse_syslog(s)
        failed += "_parseError" in rc or "_parseError" in rs
        disagree += rc != rs
    print(f"self-check: parse errors {failed}, CEF/syslog records that differ {disagree}")

    def our_errors(_chunk: list[str], out: list[Any]) -> Iterable[bool]:
        return ("_parseError" in r for r in out)

    ours_cef = Contestant("c2c parse_cef", "Druva CEF as sent", parse_cef, cef_lines, our_errors)
    ours_syslog = Contestant("c2c parse_syslog", "Druva RFC 5424", parse_syslog, syslog_lines, our_errors)
    contestants = [ours_cef, ours_syslog]
    pycef_real = pycef_filled = strict_syslog = None
    pycef_parsed = 0
    strict_failed = 0

    try:
        import pycef  # type: ignore[import-untyped]
    except ImportError:
        print("pycef not installed: skipping it (pip install pycef==1.11)")
    else:
        name = f"pycef {version_of('pycef')}"

        def count_parsed(_chunk: list[str], out: list[Any]) -> Iterable[bool]:
            nonlocal pycef_parsed
            pycef_parsed += sum(r is not None for r in out)
            return ()

        def pycef_wrong(chunk: list[str], out: list[Any]) -> Iterable[bool]:
            for line, theirs in zip(chunk, out, strict=True):
                yield pycef_mismatches(parse_cef(line), theirs)

        pycef_real = Contestant(name, "Druva CEF as sent", pycef.parse, cef_lines, count_parsed)
        pycef_filled = Contestant(name, "Signature ID filled", pycef.parse, cef_filled, pycef_wrong)
        contestants += [pycef_real, pycef_filled]

    try:
        from syslog_rfc5424_parser import SyslogMessage  # type: ignore[import-untyped]
        from syslog_rfc5424_parser.message import ParseError  # type: ignore[import-untyped]
    except ImportError as exc:
        print(f"syslog-rfc5424-parser not importable ({exc}): skipping it")
    else:

        def strict_parse(line: str) -> Any:
            try:
                return SyslogMessage.parse(line)
            except ParseError:
                return None

        def syslog_wrong(_chunk: list[str], out: list[Any]) -> Iterable[bool]:
            nonlocal strict_failed
            for msg in out:
                if msg is None:
                    strict_failed += 1
                    yield True
                else:
                    # Ours: APP-NAME "Druva inSync", PROCID/MSGID nil, MSG starts at the first key.
                    yield msg.appname != "Druva inSync" or msg.procid is not None or msg.msg[:1] == " "

        name = f"syslog-rfc5424-parser {version_of('syslog-rfc5424-parser')}"
        strict_syslog = Contestant(name, "Druva RFC 5424", strict_parse, syslog_lines, syslog_wrong)
        contestants.append(strict_syslog)

    t0 = time.perf_counter()
    race(contestants)
    print(f"timed {len(contestants)} parsers x {args.lines:,} lines in {time.perf_counter() - t0:.0f}s")

    rows: list[tuple[str, str, str, str, str]] = []

    def row(c: Contestant, parsed: int, wrong: str) -> None:
        rows.append((c.name, c.data, f"{c.rate:,.0f}", f"{parsed:,}", wrong))

    row(ours_cef, args.lines - ours_cef.wrong, f"{ours_cef.wrong:,} parse errors")
    if pycef_real is not None and pycef_filled is not None:
        row(pycef_real, pycef_parsed, "all: returns None (empty Signature ID)")
        row(
            pycef_filled,
            args.lines,
            f"{pycef_filled.wrong:,} with wrong values (escapes kept); Timestamp/Hostname dropped on all",
        )
    row(ours_syslog, args.lines - ours_syslog.wrong, f"{ours_syslog.wrong:,} parse errors")
    if strict_syslog is not None:
        row(
            strict_syslog,
            args.lines - strict_failed,
            f'{strict_syslog.wrong:,} wrong (appname "Druva", procid "inSync"); body not split',
        )

    headers = ("parser", "input", "lines/s", "parsed", "wrong vs ours")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(5)]
    print()
    for r in [headers, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                cell.ljust(w) if i != 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    print()
    ok = failed == 0 and disagree == 0
    for label, ours, theirs, target in (
        ("parse_cef / pycef (Signature ID filled)", ours_cef, pycef_filled, TARGET_PYCEF),
        ("parse_syslog / syslog-rfc5424-parser", ours_syslog, strict_syslog, TARGET_SYSLOG),
    ):
        if theirs is None:
            print(f"{label}: competitor missing, no ratio")
            continue
        ratio = ours.rate / theirs.rate
        ok &= ratio >= target
        print(f"{label}: {ratio:.1f}x (target >= {target:.0f}x) {'OK' if ratio >= target else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
