"""What a mapping table is made of: rows (target <- source path, constant or named converter) and cases.

A table maps one data type to one output format. Its `rows` apply to every event; `select` picks one of
its `cases` per event from the vendor's own kind of event (an action, a type), and the case adds its rows
(an OCSF class, its activity). Rows apply in order, so a constant written first is the default a later
row overwrites when the event has the field. The engine (`engine.py`) compiles a table into plain
functions once; nothing here runs per event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The pseudo-source for the record's own `_time` (the source's event-time rule, YYYY-MM-DDTHH:MM:SS.mmmZ).
TIME = "_time"


@dataclass(frozen=True)
class Converter:
    """A small named function of one value; returns None when the value does not convert (noted)."""

    name: str
    fn: Callable[[Any], Any]
    doc: str
    same_for: type | None = None  # values of exactly this type come back as they are (the engine skips the call)
    # What it gives when not None, exactly: "str", "int" or "strs" (a list of strings), written as JSON unchecked.
    returns: str | None = None
    expr: str | None = None  # the same as `fn`, as one expression of `v` (inlined by the engine)
    env: Mapping[str, Any] = field(default_factory=dict)  # the names `expr` uses
    steps: tuple[Any, ...] = ()  # a chain's converters and lookups, applied in turn (inlined by the engine)


@dataclass(frozen=True)
class Lookup:
    """An enum mapping: vendor value -> target value. An unknown value is noted and kept unmapped."""

    name: str
    mapping: Mapping[Any, Any]
    doc: str = ""

    def fn(self, value: Any) -> Any:
        try:
            return self.mapping.get(value)
        except TypeError:  # a list or an object where a scalar was expected
            return None


@dataclass(frozen=True)
class Row:
    """target <- first present of `sources` (converted), or <- `const` when there is no source.

    A target ending in `[]` collects values into a list (each once). `fill` rows set their constant only
    when the object holding the target exists (a `type_id` an OCSF object requires, e.g.). `derived`
    rows read fields other rows map, so they leave them where those rows decide. `combine` rows pass
    the converter a tuple of all their sources (a path from a directory and a name), not the first present.
    """

    target: str
    sources: tuple[str, ...] = ()
    convert: Converter | Lookup | None = None
    const: Any = None
    fill: bool = False
    derived: bool = False
    combine: bool = False


@dataclass(frozen=True)
class Case:
    name: str
    rows: tuple[Row, ...]
    title: str = ""
    # Target paths that must be set (`a|b`: either); else the event falls back to the table's fallback case.
    requires: tuple[str, ...] = ()
    fallback: str | None = None  # default: the table's


@dataclass(frozen=True)
class Select:
    """Pick a case: the first (source, converter, {value: case name}) whose value is listed wins."""

    rules: tuple[tuple[str, Converter | Lookup | None, Mapping[Any, str]], ...]
    default: str
    note_default: bool = True  # False where the default case is an ordinary kind (most audit types)


@dataclass(frozen=True)
class Table:
    data_type: str
    fmt: str  # "ocsf" or "ecs"
    title: str
    rows: tuple[Row, ...]
    cases: tuple[Case, ...] = ()
    select: Select | None = None
    fallback: str | None = None  # the case an event falls back to when its case's requirements are not met
    namespace: str = "unmapped"  # where unmapped vendor fields go: OCSF `unmapped`, ECS `code42` / `druva`
    notes: tuple[str, ...] = field(default=())


def f(target: str, *sources: str, conv: Converter | Lookup | None = None, derived: bool | None = None) -> Row:
    """A row; one through a Lookup is derived unless told: an enum id stands for the vendor's word, which
    stays in unmapped (OCSF) or the vendor namespace (ECS)."""
    return Row(target, tuple(sources), conv, derived=isinstance(conv, Lookup) if derived is None else derived)


def combined(target: str, *sources: str, conv: Converter) -> Row:
    return Row(target, tuple(sources), conv, derived=True, combine=True)


def const(target: str, value: str | int | float | bool | tuple[str, ...]) -> Row:
    return Row(target, const=value)


def fill(target: str, value: str | int | float | bool) -> Row:
    return Row(target, const=value, fill=True)
