"""The file-event query compiler: Code42's `groups` of filters -> a predicate and the event.inserted bounds.

Errors are `Problem`s, answered as Code42 answers a bad query (400 with a `problems` list).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from c2c.emulator.core import Response
from c2c.emulator.times import NS, epoch_or_iso_ns, parse_iso_ns

Predicate = Callable[[dict[str, Any]], bool]


class Problem(Exception):
    def __init__(self, kind: str, description: str = "", status: int = 400) -> None:
        super().__init__(kind)
        self.kind, self.description, self.status = kind, description or kind, status

    def response(self) -> Response:
        return Response(self.status, {"fileEvents": None, "nextPgToken": None, "totalCount": 0,
                                      "problems": [{"type": self.kind, "description": self.description}]})



OPERATORS = {"IS", "IS_NOT", "IS_ANY", "IS_NONE", "EXISTS", "DOES_NOT_EXIST", "GREATER_THAN", "LESS_THAN", "ON",
             "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN_THE_LAST"}
SORT_KEYS = {"event.inserted", "@timestamp", "event.id", "event.ingested", "file.sizeInBytes", "risk.score"}
DATE_TERMS = {"@timestamp", "event.inserted", "event.ingested"}


def dotted(event: dict[str, Any], term: str) -> Any:
    if term in event:
        return event[term]
    value: Any = event
    for part in term.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _duration_ns(text: str) -> int:
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", str(text))
    if not m or not any(m.groups()):
        raise Problem("ILLEGAL_VALUE", f"bad duration {text!r}")
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 * NS + s * NS


def compile_filters(body: dict[str, Any], now_ns: int) -> tuple[Predicate, int, int, bool]:
    """A predicate on event dicts, the event.inserted bounds implied by AND-ed filters, and whether the
    query is nothing but those bounds (so the predicate need not be evaluated)."""
    groups = body.get("groups")
    if not groups:
        raise Problem("MISSING_GROUPS", "groups must not be empty")
    lo, hi, only_inserted, count = 0, 2**62, True, 0
    and_outer = str(body.get("groupClause", "AND")).upper() == "AND"
    compiled_groups: list[tuple[bool, list[Predicate]]] = []
    for g in groups:
        filters = g.get("filters")
        if not filters:
            raise Problem("MISSING_FILTERS", "a group has no filters")
        and_inner = str(g.get("filterClause", "AND")).upper() == "AND"
        preds: list[Predicate] = []
        for f in filters:
            count += 1
            term, op, value = f.get("term"), str(f.get("operator", "")).upper(), f.get("value")
            if op not in OPERATORS:
                raise Problem("ILLEGAL_OPERATOR", f"unknown operator {op!r}")
            if term in DATE_TERMS and op in ("ON_OR_AFTER", "ON_OR_BEFORE", "ON", "GREATER_THAN", "LESS_THAN",
                                             "WITHIN_THE_LAST"):
                try:
                    t = now_ns - _duration_ns(value) if op == "WITHIN_THE_LAST" else epoch_or_iso_ns(value)
                except (ValueError, OverflowError) as exc:
                    raise Problem("ILLEGAL_VALUE", f"bad date {value!r}") from exc
                assert t is not None
                if op == "ON":
                    day = t - t % (86400 * NS)
                    a, b = day, day + 86400 * NS - 1
                elif op in ("ON_OR_AFTER", "WITHIN_THE_LAST"):
                    a, b = t, 2**62
                elif op == "GREATER_THAN":
                    a, b = t + 1, 2**62
                elif op == "ON_OR_BEFORE":
                    a, b = 0, t
                else:
                    a, b = 0, t - 1
                if term == "event.inserted" and and_outer and (and_inner or len(filters) == 1):
                    lo, hi = max(lo, a), min(hi, b)
                else:
                    only_inserted = False
                preds.append(_range_predicate(term, a, b))
                continue
            only_inserted = False
            preds.append(_term_predicate(term, op, value))
        compiled_groups.append((and_inner, preds))
    if count > 1024:
        raise Problem("MAX_FILTERS_EXCEEDED", "at most 1024 criteria")
    if len(groups) > 1 and not and_outer:
        only_inserted = False

    def predicate(e: dict[str, Any]) -> bool:
        results = (all(p(e) for p in ps) if a else any(p(e) for p in ps) for a, ps in compiled_groups)
        return all(results) if and_outer else any(results)

    return predicate, lo, hi, only_inserted


def _range_predicate(term: str, a: int, b: int) -> Predicate:
    return lambda e: _in_range(dotted(e, term), a, b)


def _in_range(value: Any, a: int, b: int) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return a <= parse_iso_ns(value) <= b
    except ValueError:
        return False


def _term_predicate(term: str, op: str, value: Any) -> Predicate:
    def norm(v: Any) -> list[Any]:
        return v if isinstance(v, list) else [v]

    if op in ("IS", "IS_ANY"):
        wanted = {str(v) for v in norm(value)}
        return lambda e: any(str(v) in wanted for v in norm(dotted(e, term)) if v is not None)
    if op in ("IS_NOT", "IS_NONE"):
        unwanted = {str(v) for v in norm(value)}
        return lambda e: not any(str(v) in unwanted for v in norm(dotted(e, term)) if v is not None)
    if op == "EXISTS":
        return lambda e: dotted(e, term) not in (None, [], "")
    if op == "DOES_NOT_EXIST":
        return lambda e: dotted(e, term) in (None, [], "")
    if op in ("GREATER_THAN", "LESS_THAN"):
        bound = float(value)
        return (lambda e: _num(dotted(e, term)) > bound) if op == "GREATER_THAN" else (
            lambda e: _num(dotted(e, term)) < bound)
    raise Problem("ILLEGAL_OPERATOR", f"{op} does not apply to {term}")


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else float("nan")

