"""JSON text in and out: msgspec when the `fast` extra is installed, the standard library otherwise.

The content is the same either way (a test compares them field by field). msgspec refuses what the
standard library accepts beyond strict JSON, and each such value takes the standard library's path, for
that one body or item only:

- decoding: NaN, Infinity, numbers beyond a double, lone surrogate escapes (msgspec rejects them);
- encoding: lone surrogates, and the non-finite floats of a stdlib-decoded value (written NaN/Infinity,
  as `json.dumps` does; msgspec would write null). Integers of any size are kept by both.

Floats may be spelled differently (msgspec `1e16`, the standard library `1e+16`): the same number.
`C2C_JSON_CODEC=stdlib` turns msgspec off (the benchmarks compare both in one run). Without the extra,
nothing beyond the standard library is imported: the one `import msgspec` attempt fails and is cached.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections.abc import Callable, Iterator
from functools import cache
from types import ModuleType
from typing import Any

ENV = "C2C_JSON_CODEC"
# Lists shorter than this (in the window at hand) are read item by item (`raw_decode`), even with the extra:
# a window's reading gains nothing measurable there, and an idle run (one small page) never imports msgspec.
FAST_MIN_CHARS = 1 << 16


class NonFinite(float):
    """NaN or ±Infinity that the standard library decoded: kept as such when encoded (msgspec refuses it)."""


def _parse_float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(value)


def stdlib_loads(data: str | bytes) -> Any:
    """`json.loads`, marking non-finite numbers so that the msgspec encoder hands them back to the stdlib."""
    return json.loads(data, parse_constant=NonFinite, parse_float=_parse_float)


@cache
def _msgspec() -> ModuleType | None:
    if os.environ.get(ENV, "").strip().lower() == "stdlib":
        return None
    try:
        import msgspec
    except ImportError:
        return None
    return msgspec


def fast_backend() -> str | None:
    """'msgspec' when the fast extra is installed and not turned off, else None."""
    return "msgspec" if _msgspec() is not None else None


def stdlib_encoder() -> Callable[[Any], str]:
    """Compact JSON text, non-ASCII kept. The C encoder called directly: `JSONEncoder.encode` builds a new one
    per call, a third of the cost of encoding a typical event. No circular-reference check: records come
    from JSON text, which cannot hold a cycle."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    try:
        from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

        c_encode = c_make_encoder(None, str, encode_basestring, None, ":", ",", False, False, True)
        join = "".join
        sample = {"a": [1, 2.5, None, True, "\u00e9"]}
        if join(c_encode(sample, 0)) != encode(sample):
            return encode
    except (ImportError, TypeError):  # no C accelerator, or another signature
        return encode
    return lambda o: join(c_encode(o, 0))


def _refuse(obj: Any) -> Any:
    # A NonFinite goes back to the stdlib (which writes NaN); any other unknown type is written as str(), as
    # the stdlib encoder's default=str does.
    if isinstance(obj, float):
        raise TypeError("non-finite float")
    return str(obj)


def encoder() -> Callable[[Any], str]:
    """The per-record encoder: msgspec with the stdlib for the values it refuses, or the stdlib alone."""
    std = stdlib_encoder()
    msgspec = _msgspec()
    if msgspec is None:
        return std
    fast = msgspec.json.Encoder(enc_hook=_refuse).encode

    def encode(obj: Any) -> str:
        try:
            return fast(obj).decode("utf-8")  # type: ignore[no-any-return]
        except (TypeError, ValueError, OverflowError):  # UnicodeEncodeError is a ValueError
            return std(obj)

    return encode


def lines_encoder() -> Callable[[list[Any]], bytes]:
    """Many records at once as UTF-8 JSON lines, each its `encoder()` text and "\\n" (one call per batch: with
    msgspec, `encode_lines`, which skips a str per record; a batch it refuses goes record by record)."""
    one = encoder()

    def each(objs: list[Any]) -> bytes:
        # Line by line: an ASCII line is copied as it is, where a joined batch with one wide character is not. The
        # empty last item gives the last "\n" without copying the batch again.
        return b"\n".join([*map(str.encode, map(one, objs)), b""]) if objs else b""

    msgspec = _msgspec()
    if msgspec is None:
        return each
    fast = msgspec.json.Encoder(enc_hook=_refuse).encode_lines

    def encode_lines(objs: list[Any]) -> bytes:
        try:
            return fast(objs)  # type: ignore[no-any-return]
        except (TypeError, ValueError, OverflowError):
            return each(list(map(plain, objs)))

    return encode_lines


# The row types made so far, by names; bounded (a stream of ever-new shapes makes a type per shape).
_ROW_TYPES: dict[tuple[str, ...], Callable[..., Any] | None] = {}
_MAX_ROW_TYPES = 256


def row_type(names: tuple[str, ...]) -> Callable[..., Any] | None:
    """With the fast extra, a type whose instances, made from one value per name in order, the encoders write as
    the JSON object of those names and values: a msgspec Struct, which costs a seventh of a dict to make and less
    to encode. None without the extra, or for names msgspec cannot write (a quote, a backslash, a control
    character): dicts then."""
    msgspec = _msgspec()
    if msgspec is None:
        return None
    made = _ROW_TYPES.get(names, _ROW_TYPES)
    if made is not _ROW_TYPES:
        return made  # type: ignore[return-value]
    fields = [f"f{i}" for i in range(len(names))]
    try:
        # No cyclic-GC tracking: a row holds strings and ints only.
        made = msgspec.defstruct("Row", fields, rename=dict(zip(fields, names, strict=True)), gc=False)
    except (ValueError, TypeError):
        made = None
    if len(_ROW_TYPES) >= _MAX_ROW_TYPES:
        _ROW_TYPES.clear()
    _ROW_TYPES[names] = made
    return made


def plain(obj: Any) -> Any:
    """A record as the standard library encodes it: a `row_type` row as the dict it stands for, else itself."""
    names = getattr(obj.__class__, "__struct_encode_fields__", None)
    if names is None:
        return obj
    msgspec = _msgspec()
    assert msgspec is not None  # a row exists only with the extra
    return dict(zip(names, msgspec.structs.astuple(obj), strict=True))


def decoder() -> Callable[[str | bytes], Any]:
    """`json.loads` for a whole body: msgspec, falling back to the stdlib for a body msgspec refuses (the
    stdlib's error is the one raised when neither decodes it)."""
    msgspec = _msgspec()
    if msgspec is None:
        return json.loads
    fast = msgspec.json.Decoder().decode
    refused = msgspec.DecodeError

    def loads(data: str | bytes) -> Any:
        try:
            return fast(data)
        except refused:
            return stdlib_loads(data)

    return loads


def stdlib_raw_decode() -> Callable[[str, int], tuple[Any, int]]:
    """`JSONDecoder().raw_decode` for a body read by the standard library; when msgspec will encode, one that
    marks non-finite numbers (NonFinite), so that they are written back as the standard library writes them.
    Safe to call at import time: it looks for msgspec without importing it (an idle run never loads it)."""
    if os.environ.get(ENV, "").strip().lower() == "stdlib" or importlib.util.find_spec("msgspec") is None:
        return json.JSONDecoder().raw_decode
    return json.JSONDecoder(parse_constant=NonFinite, parse_float=_parse_float).raw_decode


@cache
def _raw_decoders() -> tuple[Any, Callable[[Any], Any], type[Exception]]:
    msgspec: Any = _msgspec()
    assert msgspec is not None
    return msgspec.json.Decoder(list[msgspec.Raw]), msgspec.json.Decoder().decode, msgspec.DecodeError


def _items(raws: list[Any]) -> Iterator[Any]:
    decode, refused = _raw_decoders()[1:]
    for raw in raws:
        try:
            yield decode(raw)
        except refused:  # valid JSON msgspec does not hold (a number beyond a double): the stdlib's reading
            yield stdlib_loads(bytes(raw))


def _read_list(text: str) -> Iterator[Any] | None:
    as_list, _, refused = _raw_decoders()
    try:
        raws = as_list.decode(text)
    except refused:
        return None
    return _items(raws)


def _read_list_stdlib(text: str) -> Iterator[Any] | None:
    try:
        items: list[Any] = json.loads(text)
    except ValueError:
        return None
    return iter(items)


def list_reader() -> Callable[[str], Iterator[Any] | None]:
    """The reading of a JSON array's text that c2c.jsonstream hands a window of a body at a time: an iterator
    over its items, or None when the text is refused (not a whole list, a bad item, or with the fast extra
    not strict JSON), which the caller then reads item by item, exactly as a body too short for this.
    With the fast extra msgspec (each item kept as a raw slice until it is decoded: the list is validated as
    JSON before the first item); without it `json.loads` (one call per window rather than one `raw_decode`
    per item: a third less CPU, and the window's keys are shared strings, as in a whole body's decoding)."""
    return _read_list if _msgspec() is not None else _read_list_stdlib
