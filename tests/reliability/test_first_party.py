"""Our own side failing (FirstPartyGeneric): the reader closes stdout, or the state cannot be written.
The checkpoint never moves past what reached stdout, and the next run delivers the rest."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import tempfile
from collections.abc import Hashable

import pytest

from .harness import Harness


def _complete_lines(h: Harness, data: bytes) -> list[Hashable]:
    return [h.scenario.event_id(json.loads(line)) for line in data.split(b"\n")[:-1]]


def test_reader_closing_stdout_exits_6_without_checkpointing_and_next_run_re_emits(harness: Harness) -> None:
    read_fd, write_fd = os.pipe()
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 4096)  # a small pipe: c2c blocks in write() until we read
    proc = harness.spawn(stdout=write_fd)
    os.close(write_fd)
    received = b""
    page = harness.page_size
    while received.count(b"\n") < 3 * page + page // 2:  # the reader goes away in the middle of page 4
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        received += chunk
    os.close(read_fd)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 6, err.decode()
    assert b"cannot write to stdout" in err
    assert b"Traceback" not in err
    st = harness.state()
    assert st["state"] == "Error"
    assert st["error"]["class"] == "FirstPartyGenericError"
    assert "nextAttempt" not in st, "the next run (with a new reader) retries at once"

    first = _complete_lines(harness, received)
    r2 = harness.run()
    assert r2.code == 0, r2.stderr
    second = harness.ids(r2.events)
    assert harness.at_least_once(first + second), "the checkpoint did not pass what the reader got"
    assert harness.surplus(first + second) <= harness.page_size, "only the page being written is repeated"
    assert [(h["eventName"], h["status"]) for h in r2.health] == [("FirstPartyGenericError", "Healthy")]


def test_state_not_writable_mid_run_exits_6_and_next_run_re_emits(harness: Harness, monkeypatch) -> None:
    real_mkstemp = tempfile.mkstemp
    calls = {"n": 0}

    def mkstemp(*args, **kwargs):  # the disk fills up at the 4th state save (after page 3 is written)
        calls["n"] += 1
        if calls["n"] >= 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    r1 = harness.run()
    monkeypatch.setattr(tempfile, "mkstemp", real_mkstemp)
    assert r1.code == 6
    assert "No space left on device" in r1.stderr
    assert [(h["eventName"], h["status"]) for h in r1.health] == [("FirstPartyGenericError", "UnHealthy")]
    first = harness.ids(r1.events)

    r2 = harness.run()
    assert r2.code == 0, r2.stderr
    second = harness.ids(r2.events)
    assert harness.at_least_once(first + second)
    assert harness.surplus(first + second) <= harness.page_size, "only the page whose checkpoint failed is repeated"


@pytest.mark.reference_row
def test_unusable_state_directory_exits_6_collects_nothing_and_says_so_on_stdout(harness: Harness, tmp_path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    harness.state_dir = blocker / "state"
    r = harness.run()
    assert r.code == 6
    assert r.events == [], "nothing is collected that could not be checkpointed"
    [health] = r.health  # but the SIEM hears of it (issue #11: a broken deployment looked healthy)
    assert (health["eventName"], health["status"]) == ("FirstPartyGenericError", "UnHealthy")
    assert "cannot create state directory" in health["details"]["description"]
    assert "cannot create state directory" in r.stderr
    assert harness.data_requests() == 0
