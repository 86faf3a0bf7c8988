"""Per-source state: one JSON file per source, written atomically, mode 0600, guarded by a lock.

The state store is the only way to the files, and the runner the only writer of a source's state: a typed
`SourceRecord` (the cycle's `Phase`, each data type's cursor and own state, the cached access token, the
last error and the next attempt time). `c2c restart`, `c2c rename`, the token cache and the validated-config
cache go through the store's API. The file format is docs/state.md.
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
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from c2c import logs
from c2c.errors import FirstPartyGenericError, SourceLocked, UsageError


class Phase(StrEnum):
    """Where a source's cycle stands (the Sumo Logic C2C states), or a data type's own state."""

    PENDING = "Pending"
    STARTED = "Started"
    INITIALIZED = "Initialized"
    AUTHENTICATED = "Authenticated"
    COLLECTING = "Collecting"
    ERROR = "Error"
    STOPPING = "Stopping"


STATES = tuple(p.value for p in Phase)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object of the file, or {} when it is something else (edited by hand: never crash on it)."""
    return value if isinstance(value, dict) else {}


def _phase(value: Any) -> Phase:
    try:
        return Phase(value)
    except ValueError:
        return Phase.PENDING


@dataclass
class LastError:
    """The last error of a source or data type: its class (health eventName), message (scrubbed), when."""

    cls: str
    message: str
    at: float
    data_type: str | None = None  # on a source: the data type whose error this sums up

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"class": self.cls, "message": self.message, "at": self.at}
        if self.data_type is not None:
            out["dataType"] = self.data_type
        return out

    @classmethod
    def from_json(cls, raw: Any) -> LastError | None:
        if not isinstance(raw, dict) or not raw:
            return None
        return cls(str(raw.get("class", "Error")), str(raw.get("message", "")), _num(raw.get("at")) or 0.0,
                   raw.get("dataType"))


@dataclass
class Retry:
    """Error bookkeeping shared by a source and a data type: the error, failures in a row, the backoff."""

    error: LastError | None = None
    failures: int = 0
    next_attempt: float | None = None  # epoch seconds, after a transient error

    def retry_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"failures": self.failures}
        if self.error is not None:
            out["error"] = self.error.to_json()
        if self.next_attempt is not None:
            out["nextAttempt"] = self.next_attempt
        return out


@dataclass
class DataTypeRecord(Retry):
    state: Phase = Phase.PENDING
    cursor: Any = None  # the strategy's own JSON (c2c.cursors); persisted under "cursors" in the file
    config_hash: str | None = None  # the config its error was met with
    cursor_at: float | None = None  # when the cursor last moved
    last_page: float | None = None  # when a page was last read
    events_emitted: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state.value, **self.retry_json(), "eventsEmitted": self.events_emitted}
        for key, value in (("configHash", self.config_hash), ("cursorAt", self.cursor_at),
                           ("lastPage", self.last_page)):
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any], cursor: Any) -> DataTypeRecord:
        return cls(error=LastError.from_json(raw.get("error")), failures=int(raw.get("failures") or 0),
                   next_attempt=_num(raw.get("nextAttempt")), state=_phase(raw.get("state")), cursor=cursor,
                   config_hash=raw.get("configHash"), cursor_at=_num(raw.get("cursorAt")),
                   last_page=_num(raw.get("lastPage")), events_emitted=int(raw.get("eventsEmitted") or 0))


@dataclass
class SourceRecord(Retry):
    """The persisted state of one source: the only thing the state file holds."""

    name: str = ""
    state: Phase = Phase.PENDING
    state_since: float | None = None
    config_hash: str | None = None
    events_emitted: int = 0
    last_success: float | None = None
    data_types: dict[str, DataTypeRecord] = field(default_factory=dict)
    token: dict[str, Any] | None = None  # the cached access token (c2c.auth), never printed

    def data_type(self, name: str) -> DataTypeRecord:
        return self.data_types.setdefault(name, DataTypeRecord())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "state": self.state.value, **self.retry_json(),
                               "eventsEmitted": self.events_emitted}
        for key, value in (("stateSince", self.state_since), ("configHash", self.config_hash),
                           ("lastSuccess", self.last_success)):
            if value is not None:
                out[key] = value
        out["cursors"] = {n: d.cursor for n, d in self.data_types.items() if d.cursor is not None}
        out["dataTypes"] = {n: d.to_json() for n, d in self.data_types.items()}
        out["cache"] = {"token": self.token} if self.token else {}
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any], name: str) -> SourceRecord:
        cursors, kinds, cache = _obj(raw.get("cursors")), _obj(raw.get("dataTypes")), _obj(raw.get("cache"))
        data_types = {n: DataTypeRecord.from_json(_obj(kinds.get(n)), cursors.get(n)) for n in {*cursors, *kinds}}
        return cls(error=LastError.from_json(raw.get("error")), failures=int(raw.get("failures") or 0),
                   next_attempt=_num(raw.get("nextAttempt")), name=str(raw.get("name", name)),
                   state=_phase(raw.get("state")), state_since=_num(raw.get("stateSince")),
                   config_hash=raw.get("configHash"), events_emitted=int(raw.get("eventsEmitted") or 0),
                   last_success=_num(raw.get("lastSuccess")), data_types=data_types,
                   token=cache.get("token") if isinstance(cache.get("token"), dict) else None)


class TokenCache:
    """The access token cache of one source (c2c.auth reads and writes it; the runner's save persists it)."""

    def __init__(self, record: SourceRecord) -> None:
        self._record = record

    def get(self) -> dict[str, Any] | None:
        return self._record.token

    def put(self, entry: dict[str, Any]) -> None:
        self._record.token = entry

    def forget(self) -> None:
        self._record.token = None


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
    """The state of one source, locked. `record` is typed; `save()` is the only write: atomic, and durable
    unless told not to be."""

    def __init__(self, path: Path, record: SourceRecord) -> None:
        self.path = path
        self.record = record

    @property
    def state(self) -> Phase:
        return self.record.state

    def cursor(self, data_type: str) -> Any:
        entry = self.record.data_types.get(data_type)
        return None if entry is None else entry.cursor

    def set_cursor(self, data_type: str, cursor: Any) -> None:
        self.record.data_type(data_type).cursor = cursor

    def data_type(self, name: str) -> DataTypeRecord:
        return self.record.data_type(name)

    def token_cache(self) -> TokenCache:
        return TokenCache(self.record)

    def set_state(self, state: Phase) -> None:
        if self.record.state != state:
            self.record.state = state
            self.record.state_since = time.time()

    def restart(self) -> None:
        """`c2c restart`: leave Error (the source and each data type), forget backoffs, keep the cursors. The
        error records stay (status shows them; the recovery emits the Healthy record)."""
        for entry in self.record.data_types.values():
            entry.next_attempt, entry.failures = None, 0
            if entry.state is Phase.ERROR:
                entry.state = Phase.PENDING
        self.record.next_attempt, self.record.failures = None, 0
        self.set_state(Phase.PENDING)

    def save(self, durable: bool = True) -> None:
        """temp file in the same directory, fsync, rename: a crash leaves the old or the new file, whole.

        `durable=False` skips the fsync: the rename is still atomic (a crashed process leaves the old
        or the new file), only a power loss may bring back the previous version. The runner uses it
        for the state-name transitions, which move no cursor.
        """
        try:
            write_atomic(self.path, json.dumps(self.record.to_json(), separators=(",", ":")), durable=durable,
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

    def load(self, name: str) -> SourceRecord | None:
        data = self.read(name)
        return None if data is None else SourceRecord.from_json(data, name)

    def all(self) -> Iterator[tuple[Path, SourceRecord]]:
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
                yield p, SourceRecord.from_json(data, str(data.get("name", "?")))

    def read_cache_file(self, file_name: str) -> str | None:
        """A cache the store keeps beside the states (not a source state: never *.json); None if unreadable."""
        try:
            return (self.dir / file_name).read_text(encoding="ascii")
        except (OSError, ValueError):
            return None

    def write_cache_file(self, file_name: str, text: str) -> None:
        """Write a cache atomically (not fsynced: losing it costs only the work it saves); OSError is raised."""
        self._mkdir()
        write_atomic(self.dir / file_name, text, durable=False, prefix=".tmp-", suffix=".cache")

    def rename(self, old: str, new: str) -> Path:
        """Give `old`'s state to the source now named `new` (its cursors, token and errors), under both locks."""
        if self.read(new) is not None:
            raise UsageError(f"a source named {new!r} already has state in {self.dir}")
        with self.open(old) as state, self.open(new) as target:
            if not state.path.exists():
                raise UsageError(f"no state for a source named {old!r} in {self.dir}")
            state.record.name = new
            target.record = state.record
            target.save()
            state.path.unlink()
        return target.path

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

    def _mkdir(self) -> None:
        if not self.dir.exists():  # a mistyped --state-dir must not pass unnoticed
            logs.say(f"creating the state directory {self.dir}", "warning")
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _ensure_dir(self) -> None:
        try:
            self._mkdir()
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
            yield SourceState(self.path_for(name), self.load(name) or SourceRecord(name=name))
        finally:
            os.close(lock_fd)  # closing releases the flock
