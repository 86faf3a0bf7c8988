"""Remember which config files already passed schema validation, so an exec run every minute skips
jsonschema (~60 ms of import and validation) for a config it has seen before.

A file is "known" by a hash of: this c2c's version, the bytes of its schemas and of its config checks,
the file's bytes, and the value of every ${VAR} the file names. Change any of them and the file is
validated again in full. The list lives in the state directory (0600, a plain cache: losing it only
costs one full validation, so it is written atomically but not fsynced, and any error reading or
writing it is ignored). `c2c check` never uses it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from c2c import __version__, schemas
from c2c.state import StateStore

log = logging.getLogger(__name__)

FILE_NAME = "validated-configs"  # not *.json: the state directory's *.json files are source states
MAX_ENTRIES = 64
_VAR_NAME = re.compile(rb"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@cache
def _fingerprint() -> bytes:
    h = hashlib.sha256(__version__.encode())
    for stem in (*schemas.SHARED, *schemas.SCHEMA_FILES.values(), schemas.WRAPPER):
        h.update((schemas.schema_dir() / f"{stem}.json").read_bytes())
    for module in ("config.py", "schemas.py"):  # schemas.py: the list of source types the wrapper allows
        h.update(Path(__file__).with_name(module).read_bytes())
    return h.digest()


def file_key(text: bytes, env: Mapping[str, str]) -> str:
    h = hashlib.sha256(_fingerprint())
    h.update(len(text).to_bytes(8, "big") + text)
    for var in sorted(set(_VAR_NAME.findall(text))):
        value = env.get(var.decode())
        h.update(var + (b"\0unset\0" if value is None else b"=" + value.encode("utf-8", "surrogatepass")) + b"\0")
    return h.hexdigest()


class KnownConfigs:
    def __init__(self, directory: Path) -> None:
        self.store = StateStore(directory)  # the list lives in the state directory, through the store
        self.path = directory / FILE_NAME
        self._keys: list[str] | None = None
        self._added: list[str] = []

    def _load(self) -> list[str]:
        if self._keys is None:
            self._keys = (self.store.read_cache_file(FILE_NAME) or "").split()
        return self._keys

    def __contains__(self, key: str) -> bool:
        return key in self._load()

    def add(self, key: str) -> None:
        if key not in self._load():
            self._added.append(key)

    def save(self) -> None:
        if not self._added:
            return
        keys = (self._load() + self._added)[-MAX_ENTRIES:]
        try:
            self.store.write_cache_file(FILE_NAME, "\n".join(keys) + "\n")
        except OSError as exc:
            log.debug("validated-config cache not written: %s", exc)
            return
        self._keys, self._added = keys, []
