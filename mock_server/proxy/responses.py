"""An upstream's answer, forwarded or recorded, put back on the wire as it came.

Apart from ``forwarding.py`` so that the client side of the proxy imports no Starlette; which
headers cross is decided there (``NOT_RETURNED``).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import Response

from mock_server.proxy.forwarding import NOT_RETURNED


def passthrough_response(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> Response:
    """A response with exactly this status, these end-to-end headers and this body."""
    response = Response(body, status_code=status)
    kept = [(name.lower().encode("latin-1", "replace"), value.encode("latin-1", "replace"))
            for name, value in headers if name.lower() not in NOT_RETURNED]
    response.raw_headers = [*kept, (b"content-length", str(len(body)).encode())]
    return response
