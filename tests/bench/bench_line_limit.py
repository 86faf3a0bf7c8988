"""Cost of the line-size limit: RecordMaker.line on ordinary events, and fit() on oversized ones.

Run: PYTHONPATH=plugin python tests/bench/bench_line_limit.py
"""

from __future__ import annotations

import random
import time

from c2c.emulator.druva import make_realize_event
from c2c.output import MAX_LINE_BYTES, RecordMaker


def main() -> None:
    rng = random.Random(1)
    events = [make_realize_event(rng, i) for i in range(1, 50_001)]
    maker = RecordMaker("bench", "cat", {"env": "x"}, "realizeEvents")
    start = time.perf_counter()
    total = sum(len(maker.line(e, "2024-01-01T00:00:00.000Z")) for e in events)
    took = time.perf_counter() - start
    print(f"ordinary events: {len(events) / took:,.0f} lines/s ({total / len(events):.0f} chars/line)")

    for size in (2 * MAX_LINE_BYTES, 8 * MAX_LINE_BYTES):
        big = {**events[0], "details": {"blob": "x\"é" * (size // 4)}, "extra": ["y" * 1000] * 200}
        start = time.perf_counter()
        line = maker.line(big, None)
        took = time.perf_counter() - start
        print(f"oversized event of {size / MAX_LINE_BYTES:.0f} MiB limit: cut to {len(line.encode()):,} bytes "
              f"in {took * 1000:.1f} ms")
    maker.take_notices()


if __name__ == "__main__":
    main()
