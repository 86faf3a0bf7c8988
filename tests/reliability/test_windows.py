"""A page is decoded as its body arrives, through a window of c2c.http.BODY_CHUNK bytes, and its lines wait in
a spool (memory, then an unlinked file in the state directory) until the body is known whole.

Over real HTTP on 127.0.0.1 (the Code42 file-events row: the 10,000-event pages of a backfill are where
windows and the spool matter), with windows and spool blocks shrunk so that small pages cross many of them,
and with each codec: what a window boundary splits (an item, a number, a multi-byte UTF-8 character, an
undecodable item, the cut of a cut body) changes nothing a user sees.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from c2c import http, jsoncodec, spool
from c2c.emulator.messages import Request, Response

from .harness import SCENARIOS, Harness, Result

CODE42 = next(s for s in SCENARIOS if s.id == "code42_file_events")
PREFIX = b'{"fileEvents":[{"note":'  # how an edited first page starts (see `first_page`)


@pytest.fixture(params=["stdlib", "stdlib-items", "msgspec"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test once per way a list is read: a window at a time (json.loads, or msgspec with the extra),
    whatever the window's size, or item by item (as a list shorter than jsoncodec.FAST_MIN_CHARS is)."""
    if request.param == "msgspec":
        pytest.importorskip("msgspec", reason="the fast extra (msgspec) is not installed")
        monkeypatch.setenv(jsoncodec.ENV, "")
    else:
        monkeypatch.setenv(jsoncodec.ENV, "stdlib")
    monkeypatch.setattr(jsoncodec, "FAST_MIN_CHARS", 1 << 40 if request.param == "stdlib-items" else 0)
    jsoncodec._msgspec.cache_clear()
    yield request.param
    jsoncodec._msgspec.cache_clear()


@pytest.fixture
def h(tmp_path: Path, codec: str) -> Iterator[Harness]:
    harness = Harness(CODE42, tmp_path, events=600, page_size=100)
    yield harness
    harness.close()


def small_windows(monkeypatch: pytest.MonkeyPatch, chunk: int, block: int = 1000) -> list[Path]:
    """Bodies read `chunk` bytes at a time; lines spooled to a file beyond `block` characters. Returns the
    directories spool files were made in (one entry per file)."""
    monkeypatch.setattr(http, "BODY_CHUNK", chunk)
    monkeypatch.setattr(spool, "BLOCK_CHARS", block)
    made: list[Path] = []
    real = spool.Spool._spill

    def spill(self: spool.Spool) -> None:
        if self._file is None:
            made.append(self.directory)
        real(self)

    monkeypatch.setattr(spool.Spool, "_spill", spill)
    return made


def page_of(response: Response) -> dict[str, Any] | None:
    """The JSON of a file-events page with events (the emulator serves it pre-encoded), else None."""
    body = json.loads(response.body) if isinstance(response.body, bytes) else response.body
    return body if isinstance(body, dict) and body.get("fileEvents") else None


def first_page(h: Harness, edit: Callable[[dict[str, Any]], bytes]) -> None:
    """Serve the first page of file events as `edit(its JSON)` (the rest as they are)."""
    served = {"n": 0}

    def wrap(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def wrapped(req: Request) -> Response:
            response = handler(req)
            if served["n"] == 0 and (page := page_of(response)) is not None:
                served["n"] += 1
                response.body = edit(page)
            return response
        return wrapped

    h.wrap_routes("data", wrap)


def with_note(note: str, raw: Callable[[bytes], bytes] = lambda b: b) -> Callable[[dict[str, Any]], bytes]:
    """The page with a first member `note` added to its first event, serialised compactly in UTF-8."""
    def edit(body: dict[str, Any]) -> bytes:
        events = body["fileEvents"]
        page = {"fileEvents": [{"note": note, **events[0]}, *events[1:]],
                **{k: v for k, v in body.items() if k != "fileEvents"}}
        text = raw(json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode())
        assert text.startswith(PREFIX)
        return text
    return edit


def no_spool_files(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if p.name.startswith(".c2c-page-")]


@pytest.mark.parametrize("chunk", [7, 333, 4096])
def test_every_event_once_through_windows_and_spool_of_any_size(h: Harness, monkeypatch, chunk) -> None:
    made = small_windows(monkeypatch, chunk)
    r = h.run()
    assert r.code == 0, r.stderr
    assert h.exactly_once(h.ids(r.events))
    assert r.health == []
    assert made, "pages went through a spool file"
    assert set(made) == {h.state_dir}, "in the state directory"
    assert no_spool_files(h.state_dir)


def test_the_same_records_as_whole_bodies_give(h: Harness, monkeypatch, tmp_path) -> None:
    whole = h.run()
    assert whole.code == 0, whole.stderr
    h.state_dir = tmp_path / "state-windowed"  # a fresh run over the same events
    small_windows(monkeypatch, 101)
    windowed = h.run()
    assert windowed.code == 0, windowed.stderr
    assert [{k: v for k, v in r.items() if k != "_time"} for r in windowed.events] == [
        {k: v for k, v in r.items() if k != "_time"} for r in whole.events]


NOTES = {  # a note, and the multi-byte character in it that a read boundary splits
    4: ("J\u00fcrgen \u0141\u00f3d\u017a \u6771\u4eac \U0001f600 end", "\U0001f600"),
    3: ("\u6771\u4eac", "\u4eac"),
    2: ("caf\u00e9", "\u00e9"),
}


@pytest.mark.parametrize(("size", "split_at"), [(n, k) for n in NOTES for k in range(1, n)])
def test_a_multi_byte_character_split_between_two_reads_arrives_whole(h: Harness, monkeypatch, size,
                                                                        split_at) -> None:
    note, inside = NOTES[size]
    offset = len(PREFIX) + 1 + note.encode().index(inside.encode())  # the character's first byte in the body
    small_windows(monkeypatch, offset + split_at)
    first_page(h, with_note(note))
    r = h.run()
    assert r.code == 0, r.stderr
    [noted] = [e for e in r.events if "note" in e]
    assert noted["note"] == note
    assert h.exactly_once(h.ids(r.events))


@pytest.mark.parametrize("digits", [1, 5, 12, 13, 15, 16])  # after "-", "-1234", "-1234567890.", ".2", "e", "e+"
def test_a_number_split_between_two_windows_keeps_all_its_digits(h: Harness, monkeypatch, digits) -> None:
    """A number as an item of the list (not an event: delivered raw, with a warning) ends where the window
    ends: only the next window tells whether more of it follows."""
    head = b'{"fileEvents":['
    small_windows(monkeypatch, len(head) + digits)
    first_page(h, lambda page: head + b"-1234567890.25e+2," + json.dumps(page, separators=(",", ":")).encode()[
        len(head):])
    r = h.run()
    assert r.code == 0, r.stderr
    [raw] = [e for e in r.events if "_raw" in e]
    assert raw["_raw"] == -1234567890.25e+2
    assert raw["_parseError"] == "not an event object"
    assert h.exactly_once(h.ids([e for e in r.events if "_raw" not in e]))


@pytest.mark.parametrize("split", [-3, 0, 5, 40])
def test_an_undecodable_item_across_a_window_boundary_is_delivered_raw_and_the_rest_goes_on(
        h: Harness, monkeypatch, split) -> None:
    """The item's invalid escape `\\E` sits `split` bytes after the boundary (before it when negative)."""
    note = "an invalid ESCAPE here"
    at = len(PREFIX) + 1 + note.index("ESCAPE")
    small_windows(monkeypatch, at - split)
    first_page(h, with_note(note, raw=lambda b: b.replace(b"ESCAPE", b"\\E", 1)))
    r = h.run()
    assert r.code == 0, r.stderr
    [raw] = [e for e in r.events if "_raw" in e]
    assert raw["_raw"].startswith('{"note":"an invalid \\E here"')
    assert "Invalid \\escape" in raw["_parseError"]
    [warning] = r.health
    assert warning["details"]["undecodedItems"] == 1
    delivered = h.ids([e for e in r.events if "_raw" not in e])
    assert len(delivered) == len(set(delivered)) == len(h.expected()) - 1, "every other event, once"


@pytest.mark.parametrize(("name", "cut"), [
    ("after an item's comma", lambda text: text.index(b'},{"note"') + 2 if b'},{"note"' in text
     else text.index(b"}},{") + 3),
    ("after an item, no comma", lambda text: text.index(b"}},{") + 2),
    ("inside a number", lambda text: text.index(b'"totalCount":') + len(b'"totalCount":') + 1),
    ("before the closing brace", lambda text: len(text) - 1),
])
def test_a_body_cut_where_a_window_ends_writes_nothing_and_moves_no_cursor(h: Harness, monkeypatch, name,
                                                                          cut) -> None:
    """The cut falls exactly at the end of a window (the window is the cut body, or a multiple divides it)."""
    made = small_windows(monkeypatch, 1 << 20, block=100)
    spoilt = {"n": 0}

    def spoil(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def wrapped(req: Request) -> Response:
            response = handler(req)
            if (page := page_of(response)) is not None:
                spoilt["n"] += 1
                body = with_note("x")(page)
                at = cut(body)
                monkeypatch.setattr(http, "BODY_CHUNK", at // 2 if at % 2 == 0 else at)
                response.body = body[:at]
            return response
        return wrapped

    h.wrap_routes("data", spoil)
    r = h.run()
    assert r.code == 5, r.stderr
    assert spoilt["n"] == 4, "every try met the cut body"
    assert r.events == [], "nothing of a cut body is written"
    [health] = r.health
    assert health["eventName"] == "ThirdPartyGenericError"
    assert "malformed body" in health["details"]["description"]
    assert "fileEvents" not in h.state().get("cursors", {})
    assert made, "the lines made before the cut went to a spool file"
    assert no_spool_files(h.state_dir)


def test_a_spool_directory_that_cannot_be_written_is_said_and_nothing_is_lost(h: Harness, monkeypatch,
                                                                              tmp_path) -> None:
    small_windows(monkeypatch, 4096, block=1000)
    missing = tmp_path / "no-such-dir"
    monkeypatch.setenv(spool.SPOOL_DIR_ENV, str(missing))
    r1 = h.run()
    assert r1.code == 6, r1.stderr
    assert r1.events == [], "a page that could not be kept is not written"
    [health] = r1.health
    assert (health["eventName"], health["status"]) == ("FirstPartyGenericError", "UnHealthy")
    assert str(missing) in health["details"]["description"]
    assert spool.SPOOL_DIR_ENV in health["details"]["description"]
    assert "fileEvents" not in h.state().get("cursors", {})

    monkeypatch.setenv(spool.SPOOL_DIR_ENV, str(tmp_path))
    r2 = h.run()
    assert r2.code == 0, r2.stderr
    assert h.exactly_once(h.ids(r2.events))
    assert [(x["eventName"], x["status"]) for x in r2.health] == [("FirstPartyGenericError", "Healthy")]
    assert no_spool_files(tmp_path)


def test_a_disk_that_fills_up_while_a_page_is_spooled_is_said_and_nothing_is_lost(h: Harness, monkeypatch) -> None:
    small_windows(monkeypatch, 4096, block=1000)
    import tempfile

    real = tempfile.TemporaryFile
    writes = {"n": 0}

    class Full:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.file = real(*args, **kwargs)

        def write(self, data: bytes) -> int:
            writes["n"] += 1
            if writes["n"] == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.file.write(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.file, name)

    monkeypatch.setattr(tempfile, "TemporaryFile", Full)
    r1 = h.run()
    assert r1.code == 6, r1.stderr
    assert r1.events == [], "a page that could not be kept whole is not written"
    [health] = r1.health
    assert health["eventName"] == "FirstPartyGenericError"
    assert "No space left on device" in health["details"]["description"]
    monkeypatch.setattr(tempfile, "TemporaryFile", real)
    r2 = h.run()
    assert r2.code == 0, r2.stderr
    assert h.exactly_once(h.ids(r2.events))


def test_a_small_page_needs_no_spool_file(h: Harness, monkeypatch) -> None:
    made = small_windows(monkeypatch, 1 << 18, block=1 << 18)
    r = h.run()
    assert r.code == 0, r.stderr
    assert h.exactly_once(h.ids(r.events))
    assert made == []


def test_a_connection_cut_mid_body_through_small_windows_is_retried(h: Harness, monkeypatch) -> None:
    small_windows(monkeypatch, 500)
    h.fault("data", truncate=True, skip=1, count=1)
    r: Result = h.run()
    assert r.code == 0, r.stderr
    assert h.exactly_once(h.ids(r.events))
    assert r.health == []


def test_a_gzip_body_through_small_windows(h: Harness, monkeypatch) -> None:
    small_windows(monkeypatch, 300)
    h.emu.gzip = True
    r = h.run()
    assert r.code == 0, r.stderr
    assert h.exactly_once(h.ids(r.events))
    assert h.emu.gzipped >= 6, "every page went over the wire compressed"


@pytest.mark.parametrize("size", [1, 50, 333, 1 << 20])
def test_an_undecodable_item_is_said_where_it_is_in_the_body_whatever_the_windows(codec, size) -> None:
    """The reason of a raw item counts lines and characters from the body's start, as json.loads of the whole
    body says it (the windows before it are gone)."""
    from c2c.jsonstream import Body, Poison, Shape, Window, decode

    events = ",\n  ".join(json.dumps({"id": i, "note": "caf\u00e9 " * i}, ensure_ascii=False) for i in range(30))
    text = '{"events": [\n  ' + events.replace('"id": 17', '"id": 17, "bad": "\\E"') + "\n]}"
    bodies = (Body(Shape.OBJECT_LIST, "events"),)
    whole = [i for i in decode(text, bodies).items if isinstance(i, Poison)]
    chunks = (text[i : i + size] for i in range(0, len(text), size))
    windowed = [i for i in decode(Window(chunks=chunks), bodies).items if isinstance(i, Poison)]
    assert windowed == whole
    assert "line 19 column" in whole[0].reason
