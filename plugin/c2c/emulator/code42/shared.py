"""What every emulated Code42 data type shares: the tenant, its users, and a seeded hash for generated data."""

from __future__ import annotations

TENANT = "147e9445-2f30-4a91-8b2a-9455332e880a"
USERS = ["ana.silva", "bo.chen", "carla.diaz", "dev.patel", "eli.novak", "fay.okafor"]


def mix(*parts: int) -> int:
    """A fast deterministic 64-bit hash of integers (splitmix64 steps)."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x

