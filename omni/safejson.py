"""JSON from outside (a request body, a webhook) is read through loads() here, never json.loads.

json.loads of `[[[[...` nested some thousand levels deep raises RecursionError, which nothing
catches as bad input, and nesting a little shallower parses, only to break whatever walks the
result recursively (a fingerprint's json.dumps, an error's field paths). A NUL character
(`\\u0000`) parses, and then breaks PostgreSQL, which keeps no NUL in text or jsonb. loads()
turns each into a ValueError, the error every caller already treats as "not JSON", so a
client gets a 400.
"""

from __future__ import annotations

import json
from typing import Any

# No body Omni reads nests deeper than a handful of levels (a product with its variants and
# their prices is 4).
MAX_DEPTH = 32

_NUL_ESCAPE = "\\u0000"


class UnsafeJSON(ValueError):
    """Well-formed JSON that Omni refuses: nested too deep, or with a NUL character."""


def loads(data: bytes | str, **kwargs: Any) -> Any:
    """json.loads, but UnsafeJSON (a ValueError) for nesting deeper than MAX_DEPTH or a NUL
    character in a key or value. The common body costs two C-speed scans of its text."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise UnsafeJSON(f"JSON nested more than {MAX_DEPTH} levels deep.") from None
    # Only a text that could hold what is refused is walked: more brackets than the depth
    # allows, or a NUL escape (JSON has no other way to write one inside a string).
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    if deep or _NUL_ESCAPE in text:
        _check(value)
    return value


def _check(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise UnsafeJSON(f"JSON nested more than {MAX_DEPTH} levels deep.")
            for key, child in item.items():
                if "\x00" in key:
                    raise UnsafeJSON("JSON with a NUL character.")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise UnsafeJSON(f"JSON nested more than {MAX_DEPTH} levels deep.")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and "\x00" in item:
            raise UnsafeJSON("JSON with a NUL character.")
