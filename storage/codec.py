"""How a document becomes the bytes of a checksummed line, and back: the one home of orjson.

Every line the journal and the archive write is compact ASCII JSON, as the standard
library's encoder writes it: orjson writes the same text far faster, and where it would
differ (text beyond ASCII, DEL included, or a value it refuses) the standard encoder
writes it, so files stay byte for byte what they always were. A document may be held
already encoded (a writer on the hot path encodes it once, when it hands it over), and
is then written as it is; only this module knows what such a document is.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson

# A document as the store holds it: a dict of JSON values, or the same already encoded
# once (see encoded), which lines hold as it is. Read it only through decoded.
StoredDocument = dict[str, Any] | orjson.Fragment


def copy_document(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars): copy.deepcopy pays for memo
    tables and types documents never hold (see docs/performance.md)."""
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if type(value) is list:
        return [copy_document(item) for item in value]
    return value


def encoded(doc: Mapping[str, Any]) -> StoredDocument:
    """A snapshot of doc, encoded now, once: a writer's later changes to doc do not reach it,
    and no line encodes it again. A document orjson refuses (an integer over 64 bits) is copied."""
    try:
        return orjson.Fragment(orjson.dumps(doc))
    except orjson.JSONEncodeError:
        return dict(copy_document(doc))


def encoded_object(value: object, fields: Callable[[object], Any],
                   otherwise: Callable[[], dict[str, Any]]) -> StoredDocument:
    """value encoded once, as encoded does, where fields gives each object's JSON-ready fields
    (UTC times written with Z); otherwise() builds the document where orjson refuses a value."""
    try:
        return orjson.Fragment(orjson.dumps(value, default=fields, option=orjson.OPT_UTC_Z))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return otherwise()


def utc_text(value: object) -> str:
    """A datetime's text as encoded_object writes it (ISO 8601, UTC as Z)."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()


def decoded(stored: StoredDocument) -> dict[str, Any]:
    """The dict a stored document holds: itself, or a fresh one if it was stored encoded."""
    if not isinstance(stored, orjson.Fragment):
        return stored
    value = _fragment_value(stored)
    assert isinstance(value, dict)
    return value


def same_document(one: StoredDocument, other: StoredDocument) -> bool:
    """Whether two stored documents hold the same value; two encoded ones are compared as
    text, without decoding either (the same value always encodes to the same text)."""
    if isinstance(one, orjson.Fragment) and isinstance(other, orjson.Fragment):
        return orjson.dumps(one) == orjson.dumps(other)
    return decoded(one) == decoded(other)


def _fragment_value(fragment: orjson.Fragment) -> Any:
    text = orjson.dumps(fragment)  # its text as it is: a fragment offers no other way to it
    return loads(text)


def _encoded_value(value: object) -> Any:
    """For _ENCODER: the value of a document stored already encoded; nothing else is JSON."""
    if isinstance(value, orjson.Fragment):
        return _fragment_value(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One encoder for every line (json.dumps builds a new one per call when given options);
# ASCII output, with escapes, reads back the same (see docs/performance.md).
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_encoded_value)


def dumps(value: Any) -> str:
    """Compact ASCII JSON, as _ENCODER writes it; orjson writes it where its text is the same.

    (Documents hold no floats; orjson writes 1e-07 as 1e-7, which reads back the same.)
    """
    try:
        text = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: a non-string key, an integer over 64 bits
        return _ENCODER.encode(value)
    if text.isascii() and b"\x7f" not in text:
        return text.decode()
    return _ENCODER.encode(value)


def loads(text: bytes) -> Any:
    """The value JSON text holds (orjson, or json for what orjson leaves: an integer over 64 bits).
    Raises ValueError when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def line(body: str) -> bytes:
    """One line of a journal or archive: the crc32 of the body in hex, a space, the body, a newline."""
    data = body.encode()
    return b"%08x %s\n" % (zlib.crc32(data), data)


def record_line(record: Mapping[str, Any]) -> bytes:
    """The line holding record."""
    return line(dumps(record))


def read_line(text: bytes) -> dict[str, Any] | None:
    """The record on a line, or None when the line is damaged."""
    if not text.endswith(b"\n") or len(text) < 10 or text[8:9] != b" ":
        return None
    body = text[9:-1]
    try:
        if int(text[:8], 16) != zlib.crc32(body):
            return None
        record = loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
