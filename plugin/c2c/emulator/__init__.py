"""A local emulator of the vendor APIs, for tests, the demo and benchmarks. Never imported by collection.

`Emulator` is a small HTTP framework on 127.0.0.1: vendor modules (`druva`, `insync`, `code42`) register
routes on it, and tests inject faults (status codes, Retry-After, delays, truncated or cut bodies, HTML
pages, one poisoned item, connection resets) and move the virtual clock through the Python API.

It ships in the wheel, because `c2c demo` and `c2c emulator` need it there. What must not ship switched
on is the means to steer it: the control endpoints that inject faults or move the clock
(`/_emulator/faults`, `/_emulator/clock`, `/_emulator/<vendor>/...`) exist only when asked for, with
`Emulator(faults=True)` or `c2c emulator --faults`; `c2c demo` never turns them on. The collection path
never imports this package (tests/emulator/test_apart.py checks both directions), and the emulator reads
and writes times with its own `times` module, never the client's `c2c.timefmt`, so that a mistaken belief
of the client cannot also be the emulator's by construction.
"""

from __future__ import annotations

from c2c.emulator.core import Emulator, Fault, Request, Response

__all__ = ["Emulator", "Fault", "Request", "Response"]
