"""The emulator's virtual clock."""

from __future__ import annotations

import time


class Clock:
    """Virtual time: real time plus an offset that tests move forward, or frozen (only `advance` moves it)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen_at: float | None = None

    def now(self) -> float:
        return (self.frozen_at if self.frozen_at is not None else time.time()) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def freeze(self) -> None:
        """Stop real time from moving the clock: tests then get exactly the data set they advanced to."""
        if self.frozen_at is None:
            self.frozen_at = time.time()
