"""The source registry: schemaRef.type -> the class that collects it. Listed explicitly."""

from __future__ import annotations

from c2c.sources.base import Source
from c2c.sources.code42_incydr import Code42Incydr
from c2c.sources.druva_cyber_resilience import DruvaCyberResilience
from c2c.sources.druva_insync import DruvaInSync

SOURCES: dict[str, type[Source]] = {
    cls.type: cls for cls in (DruvaCyberResilience, DruvaInSync, Code42Incydr)
}
