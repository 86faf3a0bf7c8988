"""Resuming from the state file: every event exactly once across runs, the access token reused."""

from __future__ import annotations

import io
import time

import pytest

from c2c.config import load_sources
from c2c.output import Emitter
from c2c.runner import Runner
from c2c.state import StateStore

from .conftest import parse_ndjson, read_state, source_doc


@pytest.mark.parametrize("last_page_token", ["empty", "same"])
def test_each_run_emits_only_new_events(make_realize, write_config, run_c2c, state_dir, last_page_token):
    realize = make_realize(last_page_token=last_page_token)
    conf = write_config(source_doc(realize.base_url))

    first = run_c2c(["run", conf])
    assert first.code == 0, first.stderr
    assert first.ids == realize.ids

    new = [e["id"] for e in realize.svc.add_events(7)]  # fewer than a page
    second = run_c2c(["run", conf])
    assert second.ids == new

    realize.reset_requests()
    third = run_c2c(["run", conf])
    assert third.code == 0
    assert third.records == []
    assert len(realize.tracker_requests()) == 1
    assert realize.token_requests() == []  # the token cached in the state file is still good

    new = [e["id"] for e in realize.svc.add_events(23)]  # more than two pages
    fourth = run_c2c(["run", conf])
    assert fourth.ids == new
    assert len(realize.svc.issuer.tokens) == 1  # one token for all four runs
    assert read_state(state_dir)["eventsEmitted"] == 25 + 7 + 23


@pytest.mark.parametrize("last_page_token", ["empty", "same"])
def test_caught_up_run_with_page_sized_backlog_keeps_position(make_realize, write_config, run_c2c, last_page_token):
    # Exactly one page of events: the only page is also the last one.
    realize = make_realize(events=10, last_page_token=last_page_token)
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).ids == realize.ids
    for _ in range(2):
        assert run_c2c(["run", conf]).records == []
    new = [e["id"] for e in realize.svc.add_events(10)]
    assert run_c2c(["run", conf]).ids == new


def _run_in_process(conf, state_dir):
    out = io.BytesIO()
    outcomes = Runner(StateStore(state_dir), Emitter(out)).run_cycle(load_sources([str(conf)]))
    assert [o.error for o in outcomes] == [None]
    return parse_ndjson(out.getvalue().decode())


def test_token_is_renewed_shortly_before_expires_in(make_realize, write_config, state_dir, monkeypatch):
    # Move time for both sides (the emulator serves from this process, so it shares time.time).
    realize = make_realize(token_ttl=300)
    conf = write_config(source_doc(realize.base_url))
    real_time = time.time
    shift = 0.0
    monkeypatch.setattr(time, "time", lambda: real_time() + shift)

    assert len(_run_in_process(conf, state_dir)) == 25
    assert len(realize.token_requests()) == 1

    shift = 200.0  # well inside the lifetime: reused
    _run_in_process(conf, state_dir)
    assert len(realize.token_requests()) == 1

    shift = 290.0  # within the renewal margin before expires_in: a new token first, never a 401
    realize.reset_requests()
    _run_in_process(conf, state_dir)
    assert len(realize.token_requests()) == 1
    assert [status for _req, status, _body in realize.answered] == [200]
    newest = realize.access_tokens[-1]
    assert realize.tracker_requests()[0].headers["authorization"] == f"Bearer {newest}"
