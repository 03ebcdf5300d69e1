"""Bearer-key check for the public API (and, with its own token, the control plane)."""

from __future__ import annotations

import hmac

from mock_server.errors import InvalidApiKey, MissingApiKey


def check_bearer(header: str | None, keys: tuple[str, ...]) -> None:
    """Raise unless ``header`` is ``Bearer <key>`` for one of ``keys``; no keys means no auth.

    Every key is compared, in constant time, so the time taken says nothing about which key
    or how much of one matched. The key is never put into a message.
    """
    if not keys:
        return
    if header is None or not header.strip():
        raise MissingApiKey("send your API key as 'Authorization: Bearer <key>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidApiKey("the Authorization header must be 'Bearer <key>'")
    given = token.strip().encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    if not matched:
        raise InvalidApiKey("the API key is not valid")
