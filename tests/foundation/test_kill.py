"""A run killed between pages loses nothing: the next run resumes from the last checkpoint."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

from c2c.emulator.core import Fault

from .conftest import TRACKER_PATH, c2c_command, c2c_env, parse_ndjson, source_doc, wait_for

PAGE = 10


def _start(conf, state_dir):
    return subprocess.Popen(
        c2c_command(["run", conf]),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=c2c_env(state_dir),
        text=True,
    )


def test_sigkill_while_a_later_page_is_in_flight(make_realize, write_config, run_c2c, state_dir):
    realize = make_realize(events=200, page_size=PAGE)
    conf = write_config(source_doc(realize.base_url))
    # The sixth data request hangs: the process is killed while waiting for it.
    realize.emu.inject(Fault(path=TRACKER_PATH, delay=30, skip=5))
    proc = _start(conf, state_dir)
    try:
        lines = [proc.stdout.readline() for _ in range(5 * PAGE)]
        wait_for(lambda: len(realize.tracker_requests()) == 6)
    finally:
        proc.kill()
        proc.communicate()
    first = [json.loads(line)["id"] for line in lines]
    assert first == realize.ids[: 5 * PAGE]
    realize.emu.clear_faults()

    second = run_c2c(["run", conf])

    assert second.code == 0, second.stderr
    # The checkpoint of page 5 was written before page 6 was requested: nothing repeats, nothing is lost.
    assert first + second.ids == realize.ids


def test_sigkill_at_an_arbitrary_moment_loses_nothing(make_realize, write_config, run_c2c, state_dir):
    realize = make_realize(events=200, page_size=PAGE)
    conf = write_config(source_doc(realize.base_url))
    realize.emu.inject(Fault(path=TRACKER_PATH, delay=0.02, count=-1))  # slow enough to die mid-way
    proc = _start(conf, state_dir)
    try:
        lines = [proc.stdout.readline() for _ in range(7 * PAGE + 3)]
    finally:
        proc.kill()
        rest, _ = proc.communicate()
    text = "".join(lines) + rest
    text = text[: text.rfind("\n") + 1]  # a line cut by the kill is incomplete: a shipper drops it too
    first = [r["id"] for r in parse_ndjson(text)]
    assert 7 * PAGE < len(first) < 200
    realize.emu.clear_faults()

    second = run_c2c(["run", conf])

    assert second.code == 0, second.stderr
    union = Counter(first + second.ids)
    assert set(union) == set(realize.ids)
    duplicates = sum(n - 1 for n in union.values())
    assert duplicates <= PAGE
