"""A local emulator of the vendor APIs, for tests, the demo and benchmarks. Never imported by collection.

`Emulator` is a small HTTP framework on 127.0.0.1: vendor modules register routes on it, and tests
inject faults (status codes, Retry-After, delays, truncated bodies, connection resets) and move the
virtual clock, either through the Python API or through the /_emulator/* control endpoints.
"""

from __future__ import annotations

from c2c.emulator.core import Emulator, Fault, Request, Response

__all__ = ["Emulator", "Fault", "Request", "Response"]
