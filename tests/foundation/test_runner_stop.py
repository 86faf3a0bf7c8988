"""Stopping a cycle early (signal or --max-seconds) ends it after the page in flight, for every data type."""

from __future__ import annotations

import io

from c2c.config import SourceConfig
from c2c.output import Emitter
from c2c.runner import Runner, RunOptions
from c2c.sources import SOURCES
from c2c.sources.base import Page, Source, Stream
from c2c.state import StateStore

from .conftest import parse_ndjson, read_state, source_doc


class _Pages(Stream):
    asked: list[str]

    def pages(self, cursor):
        self.source.asked.append(self.data_type)
        for i in range(int(cursor or 0), 3):
            if self.data_type == "alerts" and i == 0:
                self.source.stop_after_first_page()
            yield Page([{"n": i, "type": self.data_type}], i + 1)


class _Alerts(_Pages):
    data_type = "alerts"


class _Audit(_Pages):
    data_type = "auditEvents"


class _TwoStreams(Source):
    type = "Two streams (test)"
    stop = None

    def __init__(self, config, cache):
        super().__init__(config, cache)
        self.asked = []
        _TwoStreams.instances.append(self)

    def stop_after_first_page(self):
        _TwoStreams.stop.set()

    def streams(self):
        return [_Alerts(self), _Audit(self)]


def test_a_signal_stops_after_the_page_in_flight_and_skips_later_data_types(tmp_path, monkeypatch):
    monkeypatch.setitem(SOURCES, _TwoStreams.type, _TwoStreams)
    monkeypatch.setattr(_TwoStreams, "instances", [], raising=False)
    cfg = SourceConfig(file="t.json", json_path="source", type=_TwoStreams.type,
                       config={"name": "two", "baseURL": "http://127.0.0.1:9"}, hash="h")
    options = RunOptions()
    _TwoStreams.stop = options.stop
    out = io.BytesIO()

    [outcome] = Runner(StateStore(tmp_path), Emitter(out), options).run_cycle([cfg])

    assert outcome.error is None
    assert [r["n"] for r in parse_ndjson(out.getvalue().decode())] == [0]
    assert _TwoStreams.instances[0].asked == ["alerts"]  # auditEvents waits for the next cycle
    state = read_state(tmp_path)
    assert state["state"] == "Stopping"
    assert state["cursors"] == {"alerts": 1}


def test_max_seconds_ends_the_cycle_after_one_page(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url))
    first = run_c2c(["run", conf, "--max-seconds", "0"])
    assert first.code == 0, first.stderr
    assert first.ids == realize.ids[:10]
    assert run_c2c(["run", conf]).ids == realize.ids[10:]
