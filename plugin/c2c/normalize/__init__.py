"""Optional OCSF 1.8.0 / ECS 9.4 output: declared tables (`ocsf.py`, `ecs.py`) compiled by `engine.py`.

Imported only when a source's outputFormat is not `raw` (an idle or raw `c2c run` never loads it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Mapper = Callable[[Mapping[str, Any], str], dict[str, Any]]


def tables(fmt: str) -> dict[str, Any]:
    if fmt == "ocsf":
        from c2c.normalize import ocsf

        return ocsf.TABLES
    if fmt == "ecs":
        from c2c.normalize import ecs

        return ecs.TABLES
    raise ValueError(f"unknown output format {fmt!r} (raw, ocsf or ecs)")


@cache
def mapper_for(fmt: str, data_type: str) -> Mapper | None:
    """The compiled mapping of one data type to `fmt`; None for raw and for data types without a table."""
    if fmt == "raw":
        return None
    table = tables(fmt).get(data_type)
    if table is None:
        return None
    from c2c.normalize.engine import compile_table

    return compile_table(table)


TextLine = Callable[[Mapping[str, Any], str], str | None]


def text_line_for(fmt: str, data_type: str, meta: Mapping[str, str], fields: Mapping[str, Any]) -> TextLine | None:
    """(event, record time) -> the whole line (with its "\\n") as RecordMaker makes it from the mapped dict
    (the custom `fields` first, c2c's `meta` and `_time` last), in the standard library encoder's text, key
    for key; None where only the dict does (see engine.compile_case). It skips building the dict and
    encoding it: most of the cost of a mapped record. None for a custom field that could clash."""
    table = tables(fmt).get(data_type) if fmt != "raw" else None
    if table is None:
        return None
    from c2c.normalize.engine import _J, top_keys

    if any(k.startswith("_") or k in top_keys(table) for k in fields):
        return None  # RecordMaker renames or overrides such a key: the dict's way
    text = _text_mapper(fmt, data_type)
    head = "{" + _J(dict(fields))[1:-1] + "," if fields else "{"
    tail = "," + _J(dict(meta))[1:-1] + ',"_time":'
    return lambda event, time_text: text(event, time_text, head, tail)


@cache
def _text_mapper(fmt: str, data_type: str) -> Callable[[Mapping[str, Any], str, str, str], str | None]:
    from c2c.normalize.engine import compile_table

    return compile_table(tables(fmt)[data_type], text=True)  # type: ignore[return-value]
