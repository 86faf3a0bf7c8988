"""Per-source state: one JSON file per source, written atomically, mode 0600, guarded by a lock.

The runner is the only owner. The file holds the collection state (Pending ... Collecting, Error),
each data type's cursor, the cached access token, the last error and the next attempt time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from c2c.errors import FirstPartyGenericError, SourceLocked

STATES = ("Pending", "Started", "Initialized", "Authenticated", "Collecting", "Error", "Stopping")


def default_state_dir() -> Path:
    if os.environ.get("C2C_STATE_DIR"):
        return Path(os.environ["C2C_STATE_DIR"])
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "c2c"
    return Path.home() / ".local" / "state" / "c2c"


def file_stem(name: str) -> str:
    """A safe, stable file name for a source name (names may hold spaces, slashes, anything)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:48] or "source"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def write_atomic(path: Path, text: str, *, durable: bool, prefix: str, suffix: str) -> None:
    """Write `text` to a 0600 temp file beside `path` (fsynced when `durable`), then rename it over `path`.
    A temp file left by a failure is removed; OSError is the caller's to report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class SourceState:
    """The persisted state of one source. `save()` is the only write: atomic, and durable unless told not to be."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @property
    def state(self) -> str:
        return str(self.data.get("state", "Pending"))

    def cursor(self, data_type: str) -> Any:
        return self.data.setdefault("cursors", {}).get(data_type)

    def set_cursor(self, data_type: str, cursor: Any) -> None:
        self.data.setdefault("cursors", {})[data_type] = cursor

    def data_type(self, name: str) -> dict[str, Any]:
        """The state of one data type: its own state, last error, backoff, when its cursor last moved."""
        entry: dict[str, Any] = self.data.setdefault("dataTypes", {}).setdefault(name, {})
        return entry

    def set_state(self, state: str) -> None:
        assert state in STATES, state
        if self.data.get("state") != state:
            self.data["state"] = state
            self.data["stateSince"] = time.time()

    def restart(self) -> None:
        """`c2c restart`: leave Error (the source and each data type), forget backoffs, keep the cursors. The
        error records stay (status shows them; the recovery emits the Healthy record)."""
        for entry in (self.data, *self.data.get("dataTypes", {}).values()):
            entry.pop("nextAttempt", None)
            entry["failures"] = 0
            if entry.get("state") == "Error":
                entry["state"] = "Pending"
        self.set_state("Pending")

    def save(self, durable: bool = True) -> None:
        """temp file in the same directory, fsync, rename: a crash leaves the old or the new file, whole.

        `durable=False` skips the fsync: the rename is still atomic (a crashed process leaves the old
        or the new file), only a power loss may bring back the previous version. The runner uses it
        for the state-name transitions, which move no cursor.
        """
        try:
            write_atomic(self.path, json.dumps(self.data, separators=(",", ":")), durable=durable,
                         prefix=f".tmp-{self.path.stem}-", suffix=".json")
        except OSError as exc:
            raise FirstPartyGenericError(f"cannot write state file {self.path} ({exc.strerror})") from exc


class StateStore:
    """The state directory. Creates it 0700; opens and locks one source at a time."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def path_for(self, name: str) -> Path:
        return self.dir / f"{file_stem(name)}.json"

    def read(self, name: str) -> dict[str, Any] | None:
        try:
            with self.path_for(name).open(encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise FirstPartyGenericError(f"cannot read state file {self.path_for(name)} ({exc})") from exc
        if not isinstance(data, dict):  # edited by hand: report it, never crash on it
            raise FirstPartyGenericError(f"cannot read state file {self.path_for(name)} (not a JSON object)")
        return data

    def all(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        if not self.dir.is_dir():
            return
        for p in sorted(self.dir.glob("*.json")):
            if p.name.startswith(".tmp-"):
                continue
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                yield p, data

    def is_locked(self, name: str) -> bool:
        """Another process holds the source's lock (it is collecting it right now)."""
        lock_path = self.dir / f"{file_stem(name)}.lock"
        try:
            fd = os.open(lock_path, os.O_RDONLY)
        except OSError:
            return False  # no lock file: never collected here
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            os.close(fd)
        return False

    def _ensure_dir(self) -> None:
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise FirstPartyGenericError(f"cannot create state directory {self.dir} ({exc.strerror})") from exc

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[SourceState]:
        """Lock the source (non-blocking: a second run skips it) and yield its state."""
        self._ensure_dir()
        lock_path = self.dir / f"{file_stem(name)}.lock"
        try:
            lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise FirstPartyGenericError(f"cannot open lock file {lock_path} ({exc.strerror})") from exc
        try:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise SourceLocked(f"source {name!r} is being collected by another c2c process") from exc
            # A kill -9 during save() leaves its temp file behind; under the lock no save is running.
            for stale in self.dir.glob(f".tmp-{file_stem(name)}-*.json"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            data = self.read(name) or {"name": name}
            yield SourceState(self.path_for(name), data)
        finally:
            os.close(lock_fd)  # closing releases the flock
