"""c2c: pull security events from SaaS vendor APIs and write NDJSON for a log shipper."""

__version__ = "0.1.0"
# The name on PyPI (`pip install c2c-collector`); "c2c" there is an unrelated project. Import name and command: c2c.
DISTRIBUTION = "c2c-collector"
