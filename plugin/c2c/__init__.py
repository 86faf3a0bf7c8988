"""c2c: pull security events from SaaS vendor APIs and write NDJSON for a log shipper."""

__version__ = "0.1.0"
