"""Stopping a cycle early (signal or --max-seconds) ends it after the page in flight, for every data type."""

from __future__ import annotations

import io
import json

from c2c import progress, ratelimit
from c2c.config import load_sources
from c2c.emulator.code42 import IncydrService
from c2c.emulator.core import Emulator
from c2c.output import Emitter
from c2c.runner import Runner, RunOptions
from c2c.state import StateStore

from .conftest import parse_ndjson, read_state, source_doc


class _StopOnFirstPage:
    def __init__(self, stop):
        self.stop, self.pages = stop, []

    def page(self, source, data_type, events):
        self.pages.append(data_type)
        self.stop.set()  # as a SIGTERM during the first page would

    def waiting(self, source, data_type, seconds, reason):
        pass


def test_a_signal_stops_after_the_page_in_flight_and_skips_later_data_types(tmp_path):
    emu = Emulator()
    emu.clock.freeze()
    IncydrService(emu, client_id="stop-id", secret="stop-secret", events=50, audit_events=300, sessions=200,
                  late_permille=0, rate_limit=0)
    emu.start()
    ratelimit.forget()
    try:
        conf = tmp_path / "c.json"
        conf.write_text(json.dumps({"api.version": "v1", "source": {"schemaRef": {"type": "Code42Incydr"},
                                    "sourceType": "Universal", "config": {
                                        "name": "two", "baseURL": emu.base_url, "clientID": "stop-id",
                                        "secretKey": "stop-secret", "dataCollection": ["alerts", "auditEvents"],
                                        "auditEventsPageSize": 100}}}))
        options = RunOptions()
        reporter = _StopOnFirstPage(options.stop)
        progress.install(reporter)
        out = io.BytesIO()
        [outcome] = Runner(StateStore(tmp_path / "state"), Emitter(out), options).run_cycle(
            load_sources([str(conf)]))
    finally:
        progress.install(None)
        emu.stop()
        ratelimit.forget()

    assert outcome.error is None
    records = parse_ndjson(out.getvalue().decode())
    assert reporter.pages == ["auditEvents"]  # one page, then the later data type waits for the next cycle
    assert {r["_dataType"] for r in records} == {"auditEvents"}
    assert len(records) == 100
    assert not any(r.path.startswith("/v1/sessions") for r in emu.requests)
    state = read_state(tmp_path / "state")
    assert state["state"] == "Stopping"
    assert set(state["cursors"]) == {"auditEvents"}


def test_max_seconds_ends_the_cycle_after_one_page(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url))
    first = run_c2c(["run", conf, "--max-seconds", "0"])
    assert first.code == 0, first.stderr
    assert first.ids == realize.ids[:10]
    assert run_c2c(["run", conf]).ids == realize.ids[10:]
