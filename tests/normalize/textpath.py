"""The text path (the standard library encoder's record text, made without the dict) against the dict path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from c2c.jsoncodec import stdlib_encoder
from c2c.normalize import mapper_for, text_line_for

ENCODE = stdlib_encoder()
META = {"_source": "text path", "_sourceCategory": "tests"}


def assert_text_is_dict(fmt: str, data_type: str, event: Mapping[str, Any], time_text: str,
                        fields: Mapping[str, Any] | None = None) -> None:
    """The text line is the stdlib encoding of the record RecordMaker makes from the mapped dict, byte for
    byte; it gives up (None) only where the dict has notes."""
    fields = dict(fields or {})
    meta = {**META, "_dataType": data_type}
    line = text_line_for(fmt, data_type, meta, fields)
    mapper = mapper_for(fmt, data_type)
    assert line is not None
    assert mapper is not None
    record = {**fields, **mapper(event, time_text)}
    record.update(meta)
    record["_time"] = time_text
    text = line(event, time_text)
    if text is None:
        assert "_mappingNotes" in record, record
    else:
        assert text == ENCODE(record) + "\n"
