"""kill -9 at random (seeded) moments during a large backfill: every event still reaches stdout, and each kill
costs at most the page in flight in duplicates. The backlog, page size and number of kills are the row's
`chaos` (a parsing source gets a smaller backlog, never fewer than 8 kills)."""

from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from collections.abc import Hashable

from .harness import Harness

SEED = 20240607


def _parse(h: Harness, data: bytes) -> tuple[list[Hashable], int]:
    """Ids of the complete lines; a line cut by the kill (no trailing newline) is not delivered."""
    lines = data.split(b"\n")
    cut = 1 if lines[-1] else 0
    ids = [h.scenario.event_id(json.loads(line)) for line in lines[:-1]
           if json.loads(line).get("_dataType") != "health"]
    return ids, cut


def _run_and_kill(h: Harness, rng: random.Random, stderr_file: object, max_lines: int) -> tuple[bytes, bool]:
    proc = h.spawn(stderr=stderr_file)
    assert proc.stdout is not None
    chunks: list[bytes] = []
    if rng.random() < 1 / 3:
        # A moment in time: during start-up, authentication, or blocked writing into a full pipe.
        time.sleep(rng.uniform(0.0, 0.5))
    else:
        # A moment in the output: after a random number of lines.
        target, seen = rng.randint(1, max_lines), 0
        while seen < target:
            line = proc.stdout.readline()
            if not line:
                break
            chunks.append(line)
            seen += 1
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    chunks.append(proc.stdout.read())
    proc.stdout.close()
    proc.wait(timeout=30)
    return b"".join(chunks), killed


def test_sigkill_during_backfill_loses_nothing(make_harness, scenario, tmp_path) -> None:
    chaos = scenario.chaos
    page = chaos.page_size
    # Kills by line count land in the first ~half of the backlog on average (1500 lines for 20,000 / 15).
    max_lines = max(page + 1, chaos.events * 9 // (chaos.kills * 8))
    h: Harness = make_harness(events=chaos.events, page_size=page, seed=chaos.seed)
    rng = random.Random(SEED)
    twins = h.twins()
    delivered: Counter[Hashable] = Counter()
    kills = cut_lines = 0
    with (tmp_path / "stderr.txt").open("wb") as err:
        for _ in range(chaos.kills):
            data, killed = _run_and_kill(h, rng, err, max_lines)
            ids, cut = _parse(h, data)
            kills += killed
            cut_lines += cut
            assert h.surplus(ids) == 0, "no duplicates within one run"
            repeated = h.surplus(delivered + Counter(ids)) - h.surplus(delivered)
            assert repeated <= page + twins, f"a restart repeated {repeated} events: more than the page in flight"
            delivered.update(ids)

    reached = (delivered & h.expected()).total()  # how far the killed runs got, for the figures
    final = h.spawn()
    out, errs = final.communicate(timeout=60)
    assert final.returncode == 0, errs.decode()
    ids, cut = _parse(h, out)
    assert cut == 0
    assert h.surplus(delivered + Counter(ids)) - h.surplus(delivered) <= page + twins
    delivered.update(ids)

    assert kills >= chaos.kills - 2, "the kills mostly landed before the backfill was done"
    assert h.at_least_once(delivered.elements()), "every event reached stdout at least once"
    duplicates = h.surplus(delivered)
    assert duplicates <= kills * page
    assert not list(h.state_dir.glob(".tmp-*")), "temp files of killed saves are cleaned up"
    st = h.state()
    assert st["state"] == "Collecting"
    print(f"\nchaos: {kills} kills, {duplicates} duplicates ({duplicates / max(1, kills):.0f}/kill), "
          f"{cut_lines} cut lines, {reached} of {h.expected().total()} events before the last run "
          f"({twins} identical to another)")
