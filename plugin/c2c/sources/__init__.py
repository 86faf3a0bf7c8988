"""The source registry: schemaRef.type -> the class that collects it.

A type's module is `c2c.sources.<its schema stem>` (c2c.schemas.SCHEMA_FILES, the one list of types), and its
class is the Source subclass defined there. Imported on first lookup, so a run loads only the sources its
configs use (an inSync source's CEF/Syslog parsers cost a Druva Cyber Resilience exec run nothing).
"""

from __future__ import annotations

import importlib

from c2c import schemas
from c2c.sources.base import Source


def source_class(source_type: str) -> type[Source]:
    """The one Source subclass that `c2c.sources.<stem>` defines for `source_type` (KeyError: no such type)."""
    module = importlib.import_module(f"c2c.sources.{schemas.SCHEMA_FILES[source_type]}")
    [cls] = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Source)
             and c.__module__ == module.__name__ and c.type == source_type]
    return cls


class _Registry(dict[str, type[Source]]):
    """A dict that imports a source's module the first time its type is looked up."""

    def __missing__(self, source_type: str) -> type[Source]:
        cls = self[source_type] = source_class(source_type)
        return cls


SOURCES: dict[str, type[Source]] = _Registry()
