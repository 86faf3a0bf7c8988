"""The source registry: schemaRef.type -> the class that collects it. Listed explicitly.

Each entry names its module rather than importing it, so a run loads only the sources its configs
use (an inSync source's CEF/Syslog parsers cost a Druva Cyber Resilience exec run nothing).
"""

from __future__ import annotations

import importlib

from c2c.sources.base import Source

CLASSES: dict[str, str] = {
    "Code42Incydr": "c2c.sources.code42_incydr:Code42Incydr",
    "Druva Cyber Resilience": "c2c.sources.druva_cyber_resilience:DruvaCyberResilience",
    "Druva inSync": "c2c.sources.druva_insync:DruvaInSync",
}


class _Registry(dict[str, type[Source]]):
    """A dict that imports a source's module the first time its type is looked up."""

    def __missing__(self, source_type: str) -> type[Source]:
        module, _, name = CLASSES[source_type].partition(":")
        cls: type[Source] = getattr(importlib.import_module(module), name)
        self[source_type] = cls
        return cls


SOURCES: dict[str, type[Source]] = _Registry()
