"""The cursor strategies a data type picks from: where the next page starts, what is new, what to persist.

- `Chain`: a position the vendor hands back with each page (Druva's tracker, inSync v1's progress cookie).
- `TokenWindow`: a closed time window read with page tokens (Code42 file events, keyed by id across the overlap).
- `NumberWindow` (`number_window`): a time window read by page number, deduped by content: a closed window
  resumed across runs with counted hashes (Code42 audit events, `CountedWindow`), or the look-back re-read
  every run with one hash per key (Code42 sessions, re-emitted when their content changes, `KeyedLookback`).

A strategy never sends, decodes or writes: the pipeline asks it for the next `Request`, hands it each
decoded record of one attempt at a page (`Read.keep`: is it new?) and the page's `Reply`, and once the page
is written and flushed asks it to `commit` (the cursor to persist). An attempt that fails is dropped
with its `Read`: nothing moves until a page is delivered.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from c2c import timefmt
from c2c.errors import CursorRejected, PageTooBig, ThirdPartyGenericError

log = logging.getLogger(__name__)

MAX_IDS = 200_000  # a cap on dedupe memory for pathological bursts: past it the oldest ids go (dups, not loss)
MAX_TOKEN_RECOVERIES = 5


@dataclass(frozen=True, slots=True)
class Request:
    """A request as data (built by a pure function of the cursor position); `cursor_sent` says whether it
    carries the persisted cursor, so that the vendor's "cursor rejected" rules apply to it."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    cursor_sent: bool = False


@dataclass(slots=True)
class Reply:
    """What a page said besides its items: the body's other members, its cookies, how many items it held."""

    members: dict[str, Any]
    cookies: dict[str, str]
    items: int


def content_hash(event: Mapping[str, Any]) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(canonical.encode(), digest_size=10).hexdigest()


def epoch_ns(value: Any) -> int | None:
    try:
        return timefmt.to_epoch_ns(value) if isinstance(value, str) and value else None
    except (ValueError, OverflowError):
        return None


class Read:
    """One attempt at one page: `keep` decides per record, `finish` sees the rest of the reply."""

    def keep(self, record: dict[str, Any]) -> bool:
        return True

    def finish(self, reply: Reply) -> None:
        self.reply = reply

    reply: Reply


class Walk:
    """A data type's position for one run. `done` once the vendor has nothing more (for this run)."""

    done = False
    warning: str | None = None  # a health warning for the next page (a restarted chain)
    details: dict[str, Any] | None = None

    def request(self) -> Request:
        raise NotImplementedError

    def read(self) -> Read:
        return Read()

    def commit(self, read: Read) -> Any:
        """The page of `read` was written and flushed: move, and return the cursor to persist."""
        raise NotImplementedError

    def rejected(self, exc: CursorRejected, refresh_token: Callable[[], bool]) -> None:
        """The vendor refused the cursor: recover (the next request differs) or raise."""
        raise ThirdPartyGenericError(str(exc), status=exc.status) from exc

    def shrink(self, exc: PageTooBig) -> None:
        raise ThirdPartyGenericError(str(exc), status=exc.status) from exc


# ---- Chain: tracker or progress cookie -----------------------------------------------------------------
@dataclass(frozen=True)
class ChainSpec:
    key: str  # the cursor member holding the position (and how it is named in messages)
    request: Callable[[str | None, bool], Request]  # (position, expiry waived) -> the request
    position: Callable[[Reply], str | None]  # the position a reply hands back (None: none given)
    more: Callable[[Reply], bool] | None = None  # the vendor says whether more pages wait (None: it does not)
    id_field: str | None = None  # dedupe by this id while the position stays (the last page may repeat)
    restarts: bool = False  # a rejected position restarts the chain from the oldest event, counted
    api: str | None = None  # a tag: a cursor of another chain (another API of the data type) is not used


class _ChainRead(Read):
    def __init__(self, walk: Chain) -> None:
        self.walk = walk
        self.ids: list[Any] = []
        self.kept = 0

    def keep(self, record: dict[str, Any]) -> bool:
        field_ = self.walk.spec.id_field
        if field_ is not None:
            if record.get(field_) in self.walk.seen:
                return False
            if record.get(field_) is not None:
                self.ids.append(record[field_])
        self.kept += 1
        return True


class Chain(Walk):
    def __init__(self, spec: ChainSpec, saved: Any) -> None:
        self.spec = spec
        st = saved if isinstance(saved, dict) and (spec.api is None or saved.get("api") == spec.api) else {}
        self.position: str | None = st.get(spec.key)
        self.seen: set[Any] = set(st.get("seenIds", []))
        self.delivered, self.duplicates = int(st.get("delivered", 0)), int(st.get("duplicates", 0))
        self.restarts = int(st.get("restarts", 0))
        self.waived = False

    def request(self) -> Request:
        return self.spec.request(self.position, self.waived)

    def read(self) -> Read:
        return _ChainRead(self)

    def commit(self, read: Read) -> Any:
        assert isinstance(read, _ChainRead)
        reply = read.reply
        given = self.spec.position(reply)
        advanced = given is not None and given != self.position
        if advanced:
            self.position, self.seen = given, set()
        else:
            self.seen.update(read.ids)
        self.delivered += read.kept
        more = self.spec.more(reply) if self.spec.more is not None else None
        self.done = not advanced or reply.items == 0 or more is False
        if not advanced and reply.items and more:
            log.warning("more pages announced but the %s did not move; stopping this run", self.spec.key)
        return self.cursor()

    def cursor(self) -> dict[str, Any]:
        c: dict[str, Any] = {"api": self.spec.api} if self.spec.api else {}
        c[self.spec.key] = self.position
        if self.spec.id_field:
            c["seenIds"] = sorted(self.seen, key=str)
        if self.spec.restarts:
            c.update(delivered=self.delivered, duplicates=self.duplicates, restarts=self.restarts)
        return c

    def rejected(self, exc: CursorRejected, refresh_token: Callable[[], bool]) -> None:
        if exc.expired and not self.waived:
            # Expired (or its token did): retry once with a fresh token and the expiry waived.
            log.info("%s refused (%s); retrying with a fresh token and its expiry waived", self.spec.key, exc)
            refresh_token()
            self.waived = True
            return
        if not self.spec.restarts or self.position is None:
            super().rejected(exc, refresh_token)
        again = self.delivered
        self.position, self.seen, self.delivered = None, set(), 0
        self.duplicates += again
        self.restarts += 1
        self.warning = (f"{self.spec.key} rejected: {exc}; collecting again from the oldest event the vendor "
                        f"keeps, so the {again} event(s) delivered since the last restart are delivered again "
                        f"(duplicates: {again})")
        self.details = {"duplicates": again, "duplicatesTotal": self.duplicates, "restarts": self.restarts}
        log.warning("%s", self.warning)


# ---- TokenWindow: a closed window on an insertion time, read with page tokens, ids across the overlap ----
@dataclass(frozen=True)
class TokenWindowSpec:
    request: Callable[[int, int, str, int], Request]  # (start ms, end ms, page token, page size)
    identity: Callable[[dict[str, Any]], tuple[str | None, int | None]]  # record -> (id, inserted ns)
    next_token: Callable[[Reply], str | None]
    now_ms: Callable[[], int]
    lookback_ms: int
    overlap_ms: int
    page_size: int
    min_page_size: int = 100


class _TokenRead(Read):
    def __init__(self, walk: TokenWindow) -> None:
        self.walk = walk
        self.ids = dict(walk.ids)  # the last page's cursor holds the previous dict: never mutate it
        self.resume_ns, self.max_ns = walk.resume_ns, walk.max_ns

    def keep(self, record: dict[str, Any]) -> bool:
        eid, ns = self.walk.spec.identity(record)
        if eid is not None and eid in self.ids:
            return False
        if ns is None:
            log.warning("event without a usable insertion time (id %s): cannot dedupe it", eid)
            return True
        if eid is not None:
            self.ids[eid] = ns // 1_000_000
        self.resume_ns = ns if self.resume_ns is None else max(self.resume_ns, ns)
        self.max_ns = ns if self.max_ns is None else max(self.max_ns, ns)
        return True


class TokenWindow(Walk):
    def __init__(self, spec: TokenWindowSpec, saved: Any) -> None:
        self.spec = spec
        c = saved if isinstance(saved, dict) else {}
        self.max_ns: int | None = c.get("maxInsertedNs")
        self.ids: dict[str, int] = dict(c.get("ids") or {})
        if c.get("windowEnd") is None:
            start = (self.max_ns // 1_000_000 - spec.overlap_ms if self.max_ns is not None
                     else spec.now_ms() - spec.lookback_ms)
            c = {"windowStart": start, "windowEnd": spec.now_ms(), "resumeNs": None}
        self.start, self.end, self.resume_ns = int(c["windowStart"]), int(c["windowEnd"]), c.get("resumeNs")
        self.token, self.recoveries, self.page_size, self.lower = "", 0, spec.page_size, self.start

    def request(self) -> Request:
        if self.token == "":  # (re)start the window where it got to; follow a token with the same query
            self.lower = max(self.start, self.resume_ns // 1_000_000) if self.resume_ns is not None else self.start
        return self.spec.request(self.lower, self.end, self.token, self.page_size)

    def read(self) -> Read:
        return _TokenRead(self)

    def commit(self, read: Read) -> Any:
        assert isinstance(read, _TokenRead)
        self.ids, self.resume_ns, self.max_ns = read.ids, read.resume_ns, read.max_ns
        if self.max_ns is not None:
            cutoff = self.max_ns // 1_000_000 - self.spec.overlap_ms
            self.ids = {k: v for k, v in self.ids.items() if v >= cutoff}
            if len(self.ids) > MAX_IDS:
                self.ids = dict(sorted(self.ids.items(), key=lambda kv: kv[1])[-MAX_IDS:])
        given = self.spec.next_token(read.reply)
        if given is not None and given == self.token:
            log.warning("the same page token came back twice; ending the window")
        self.done = given is None or not read.reply.items or given == self.token
        self.token = given or ""
        window = ({"windowStart": None, "windowEnd": None, "resumeNs": None} if self.done
                  else {"windowStart": self.start, "windowEnd": self.end, "resumeNs": self.resume_ns})
        return {**window, "maxInsertedNs": self.max_ns, "ids": self.ids}

    def rejected(self, exc: CursorRejected, refresh_token: Callable[[], bool]) -> None:
        if self.token == "" or self.recoveries >= MAX_TOKEN_RECOVERIES:
            why = "on a query without a token" if self.token == "" else f"{self.recoveries + 1} times in this run"
            raise ThirdPartyGenericError(f"{exc} {why}") from exc
        self.recoveries += 1
        log.warning("%s; re-querying from %s", exc, timefmt.from_epoch_ms(self.lower))
        self.token = ""  # the same window from the newest insertion time reached, deduped by id

    def shrink(self, exc: PageTooBig) -> None:
        if self.page_size <= self.spec.min_page_size:
            raise ThirdPartyGenericError(f"{exc} even at page size {self.page_size}") from exc
        self.page_size = max(self.spec.min_page_size, self.page_size // 4)
        log.warning("%s; retrying with page size %d", exc, self.page_size)


# ---- NumberWindow: a time window read by page number, deduped by content --------------------------------
@dataclass(frozen=True)
class NumberWindowSpec:
    request: Callable[[int, int | None, int], Request]  # (start ms, end ms or None: open, page number)
    page_size: int
    now_ms: Callable[[], int]
    lookback_ms: int  # a first run reads this far back
    time_ns: Callable[[dict[str, Any]], int | None]  # a record's time (window bound and overlap)
    overlap_ms: int = 0  # a new window starts this far before the newest record delivered
    # None: counted content dedupe over a closed window that resumes (records without identity: audit).
    # A function: the record's key; the window is the look-back (`lookback_ms`, or `first_lookback_ms` if
    # longer on a first run), re-read from page 0 every run, and a record is new when its content differs
    # from the last one delivered under its key (records that change after they begin: sessions).
    key: Callable[[dict[str, Any]], str | None] | None = None
    first_lookback_ms: int = 0
    # A keyed entry an older c2c saved held a value, not a hash: is the record new against that value?
    legacy_new: Callable[[dict[str, Any], Any], bool] | None = None


def number_window(spec: NumberWindowSpec, saved: Any) -> Walk:
    return KeyedLookback(spec, saved) if spec.key is not None else CountedWindow(spec, saved)


class _NumberPages(Walk):
    """Page 0, 1, ... of one window; done at the first short page."""

    spec: NumberWindowSpec
    start: int
    end: int | None
    page = 0

    def request(self) -> Request:
        return self.spec.request(self.start, self.end, self.page)

    def _turn(self, read: Read) -> None:
        self.done = read.reply.items < self.spec.page_size
        self.page += 1


class _CountRead(Read):
    """Counted content dedupe: two genuinely identical events at one instant are both delivered."""

    def __init__(self, walk: CountedWindow) -> None:
        self.walk = walk
        self.counts = dict(walk.counts)
        self.max_ns, self.oldest_ms = walk.max_ns, walk.oldest_ms

    def keep(self, record: dict[str, Any]) -> bool:
        ns = self.walk.spec.time_ns(record)
        ms = ns // 1_000_000 if ns is not None else self.walk.end
        h = content_hash(record)
        n = self.counts[h][1] + 1 if h in self.counts else 1
        self.counts[h] = [ms, n]
        self.oldest_ms = ms if self.oldest_ms is None else min(self.oldest_ms, ms)
        if n <= (self.walk.prior[h][1] if h in self.walk.prior else 0):
            return False
        if ns is not None:
            self.max_ns = ns if self.max_ns is None else max(self.max_ns, ns)
        return True


class CountedWindow(_NumberPages):
    """A closed window [start, end] (a fixed end keeps offsets from shifting while paging). A run stopped
    mid-window resumes with the window shrunk to end at the oldest record delivered (+1 ms)."""

    end: int

    def __init__(self, spec: NumberWindowSpec, saved: Any) -> None:
        self.spec = spec
        c = saved if isinstance(saved, dict) else {}
        self.floor = int(c.get("floor") or spec.now_ms() - spec.lookback_ms)
        self.max_ns: int | None = c.get("maxNs")
        window = c.get("window") or {
            "start": self.max_ns // 1_000_000 - spec.overlap_ms if self.max_ns is not None else self.floor,
            "end": spec.now_ms(),
        }
        self.start, self.end = int(window["start"]), int(window["end"])
        self.prior: dict[str, list[int]] = c.get("hashes") or {}
        self.counts: dict[str, list[int]] = {}  # what this read has met: hash -> [ms, count]
        self.oldest_ms: int | None = None

    def read(self) -> Read:
        return _CountRead(self)

    def commit(self, read: Read) -> Any:
        assert isinstance(read, _CountRead)
        self._turn(read)
        self.max_ns, self.oldest_ms = read.max_ns, read.oldest_ms
        # Hashes matter only where a later query can meet them again: the overlap below the newest record,
        # and (mid-window) the instant a resumed window ends at.
        top = self.max_ns // 1_000_000 - self.spec.overlap_ms if self.max_ns is not None else self.end
        edge = self.oldest_ms + 1 if (self.oldest_ms is not None and not self.done) else -1
        counts = {h: v for h, v in read.counts.items() if v[0] >= top or v[0] <= edge}
        merged = {h: v for h, v in self.prior.items() if v[0] >= top or v[0] <= edge}
        for h, (ms, n) in counts.items():
            if n > (merged[h][1] if h in merged else 0):
                merged[h] = [ms, n]
        self.counts = counts
        window = None if self.done else {"start": self.start,
                                          "end": (self.oldest_ms if self.oldest_ms is not None else self.end) + 1}
        self.prior = merged  # within a run the window is closed, so offsets are stable: go on by page number
        return {"floor": self.floor, "maxNs": self.max_ns, "window": window, "hashes": merged}


class _KeyRead(Read):
    def __init__(self, walk: KeyedLookback) -> None:
        self.walk = walk
        self.known = dict(walk.known)

    def keep(self, record: dict[str, Any]) -> bool:
        assert self.walk.spec.key is not None
        key = self.walk.spec.key(record)
        if key is None:
            return False
        h = content_hash(record)
        ns = self.walk.spec.time_ns(record)
        previous = self.known.get(key)
        self.known[key] = [ns // 1_000_000 if ns is not None else self.walk.start, h]
        if previous is not None and not isinstance(previous[-1], str) and self.walk.spec.legacy_new is not None:
            return self.walk.spec.legacy_new(record, previous[-1])  # an older c2c's entry: no re-emission
        return previous is None or previous[-1] != h


class KeyedLookback(_NumberPages):
    """The look-back window, open-ended, re-read every run; one content hash per key (cursor `sessions`)."""

    def __init__(self, spec: NumberWindowSpec, saved: Any) -> None:
        self.spec = spec
        lookback = spec.lookback_ms if isinstance(saved, dict) else max(spec.lookback_ms, spec.first_lookback_ms)
        self.start, self.end = spec.now_ms() - lookback, None
        known = saved.get("sessions") if isinstance(saved, dict) else None
        self.known: dict[str, list[Any]] = {k: v for k, v in (known or {}).items() if v[0] >= self.start}

    def read(self) -> Read:
        return _KeyRead(self)

    def commit(self, read: Read) -> Any:
        assert isinstance(read, _KeyRead)
        self._turn(read)
        self.known = read.known
        return {"sessions": self.known}
