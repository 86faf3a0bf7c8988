"""The text path (the standard library encoder's record text, made without the dict) against the dict path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from c2c.jsoncodec import stdlib_encoder
from c2c.normalize import engine, mapper_for, text_line_for

ENCODE = stdlib_encoder()
META = {"_source": "text path", "_sourceCategory": "tests"}


def assert_line_is_dict(line: Any, fmt: str, data_type: str, event: Mapping[str, Any], time_text: str,
                        fields: Mapping[str, Any]) -> None:
    """`line`'s text of the event is the stdlib encoding of the record RecordMaker makes from the mapped dict,
    byte for byte; it gives up (None) only where the dict has notes."""
    mapper = mapper_for(fmt, data_type)
    assert mapper is not None
    record = {**fields, **mapper(event, time_text)}
    record.update({**META, "_dataType": data_type})
    record["_time"] = time_text
    text = line(event, time_text)
    if text is None:
        assert "_mappingNotes" in record, record
    else:
        assert text == ENCODE(record) + "\n"


def assert_text_is_dict(fmt: str, data_type: str, event: Mapping[str, Any], time_text: str,
                        fields: Mapping[str, Any] | None = None) -> None:
    """assert_line_is_dict, both from the generic code and from the code compiled for the event's shape."""
    fields = dict(fields or {})
    line = text_line_for(fmt, data_type, {**META, "_dataType": data_type}, fields)
    assert line is not None
    saved = engine.SHAPE_AFTER
    try:
        for after in (10**9, 1):  # never a shape's code, then the shape's code at its first event
            engine.forget_shapes()
            engine.SHAPE_AFTER = after
            assert_line_is_dict(line, fmt, data_type, event, time_text, fields)
    finally:
        engine.SHAPE_AFTER = saved
