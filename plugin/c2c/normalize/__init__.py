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
