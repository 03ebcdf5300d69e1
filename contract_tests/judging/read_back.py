"""A request body read back from its bytes on the wire, as a server reading the spec would read it.

Schemathesis labels a case negative when it *generated* an invalid value, but serialisation can
make it valid again (a negated multipart field written as a text part that parses fine, a
duplicate dropped, a number written as the same text). Whether the server had to reject a
request is decided here, from the bytes it was sent, against the spec's request schema.
"""

from __future__ import annotations

import math
from typing import Any

from ..library import FILE_FIELDS
from ..spec import ContractSpec
from ..wire.exchange import SentRequest

_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "on": True, "off": False}


def wire_body(sent: SentRequest, spec: ContractSpec) -> tuple[str, object] | None:
    """``(media, body)`` as the spec's schema sees it; ``None`` when the bytes are no body of either media type."""
    if sent.media == "json":
        return ("json", sent.json) if sent.json is not None else None
    if sent.media != "multipart" or not sent.parts:
        return None
    schemas = spec.properties("multipart")
    body: dict[str, Any] = {}
    for part in sent.parts:
        schema = schemas.get(part.name, {})
        value: object = part.value if part.filename is not None or part.name in FILE_FIELDS else _typed(part, schema)
        if schema.get("type") == "array":
            body.setdefault(part.name, []).append(value)
        elif part.name in body:
            return None  # a scalar sent twice: invalid whatever the values
        else:
            body[part.name] = value
    return "multipart", body


def valid_on_the_wire(sent: SentRequest, spec: ContractSpec) -> bool:
    """Whether the bytes sent make a request that the spec's request schema accepts."""
    read = wire_body(sent, spec)
    return read is not None and spec.request_is_valid(read[1], read[0])


# Twin of mock_server/generation/validation.py's _parse_text; keep both: the suite never imports mock_server.
def _typed(part: Any, schema: dict[str, Any]) -> object:
    text = part.value if isinstance(part.value, str) else part.value.decode("utf-8", "replace")
    kind, value = schema.get("type"), text.strip()
    try:
        if kind == "integer":
            return int(value, 10)
        if kind == "number":
            number = float(value)
            return number if math.isfinite(number) else text
    except ValueError:
        return text
    if kind == "boolean":
        return _BOOLEANS.get(value.lower(), text)
    return text
