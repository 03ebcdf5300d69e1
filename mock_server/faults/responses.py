"""Sending an answer the way a fault says: slowly, cut short, malformed, or not at all.

The HTTP side of ``faults.py``. Breaking a connection needs the socket: under uvicorn the app
reaches it through the transport that ``MockApp`` puts into the scope (``TRANSPORT_KEY``), so
``CONNECTION_RESET_BY_PEER`` is a real TCP reset and ``EMPTY_RESPONSE`` a real close with no
bytes. Where there is no socket (``httpx.ASGITransport``, our in-process ``transport()``), the
response raises ``SimulatedNetworkFault`` instead, which the in-process transport turns into the
httpx exception a real connection would have given; under another ASGI server the same exception
ends the response after its start line, which that server answers by closing the connection.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mock_server.faults.fault import BREAKS_BEFORE_RESPONSE, Fault

TRANSPORT_KEY = "eigen_mock.transport"
_DISCONNECT_WAIT_SECONDS = 2.0


class SimulatedNetworkFault(Exception):
    """A connection fault where no socket can be reached; ``kind`` names it (``NETWORK_FAULTS``)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"injected fault: {kind}")
        self.kind = kind


def transport_from_send(send: Any) -> asyncio.Transport | None:
    """uvicorn's transport behind its ASGI ``send`` (a bound method of its request cycle), if any."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if isinstance(transport, asyncio.Transport) else None


class FaultyResponse(Response):
    """Wraps a finished ``Response`` and sends it as ``fault`` says."""

    def __init__(self, inner: Response, fault: Fault) -> None:
        super().__init__(bytes(inner.body), inner.status_code)
        self.raw_headers = list(inner.raw_headers)
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport: asyncio.Transport | None = scope.get(TRANSPORT_KEY)
        kind = self.fault.fault
        if kind is None:
            await self._dribble(send) if self.fault.dribble else await super().__call__(scope, receive, send)
        elif kind == "MALFORMED_JSON":
            await self._malformed_json(send)
        elif transport is None:
            if kind not in BREAKS_BEFORE_RESPONSE:
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            raise SimulatedNetworkFault(kind)
        else:
            await _BREAKERS[kind](self, send, transport)
            await _wait_for_disconnect(receive)

    async def _dribble(self, send: Send) -> None:
        chunks, total_ms = self.fault.dribble or (1, 0.0)
        body, pause = self.body, total_ms / 1000 / chunks
        size = -(-len(body) // chunks) or 1
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        for index in range(chunks):
            await anyio.sleep(pause)  # never time.sleep: other requests go on meanwhile
            piece = body[index * size:(index + 1) * size]
            await send({"type": "http.response.body", "body": piece, "more_body": index < chunks - 1})

    async def _malformed_json(self, send: Send) -> None:
        body = bytes(self.body)
        body = body if body.startswith(b"{") else b'{"image_base64":"' + body[:64].hex().encode()
        cut = body[: max(len(body) // 2, 1)]
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(cut)).encode())]
        headers += [(name, value) for name, value in self.raw_headers if name.startswith(b"x-")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": cut})

    async def _reset(self, send: Send, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:  # SO_LINGER 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    async def _empty(self, send: Send, transport: asyncio.Transport) -> None:
        transport.close()

    async def _random_then_close(self, send: Send, transport: asyncio.Transport) -> None:
        transport.write(os.urandom(64).replace(b"HTTP", b"xxxx"))
        transport.close()

    async def _malformed_chunk(self, send: Send, transport: asyncio.Transport) -> None:
        headers = [(name, value) for name, value in self.raw_headers if name != b"content-length"]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        transport.write(b"not a chunk size\r\n" + os.urandom(32))  # breaks the chunked framing
        transport.close()

    async def _truncated(self, send: Send, transport: asyncio.Transport) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        transport.close()


_BREAKERS: dict[str, Callable[[FaultyResponse, Send, asyncio.Transport], Any]] = {
    "CONNECTION_RESET_BY_PEER": FaultyResponse._reset,
    "EMPTY_RESPONSE": FaultyResponse._empty,
    "RANDOM_DATA_THEN_CLOSE": FaultyResponse._random_then_close,
    "MALFORMED_RESPONSE_CHUNK": FaultyResponse._malformed_chunk,
    "TRUNCATED_BODY": FaultyResponse._truncated,
}


async def _wait_for_disconnect(receive: Receive) -> None:
    """Return only once the server has seen the connection go, so it does not answer a 500 into it."""
    with anyio.move_on_after(_DISCONNECT_WAIT_SECONDS):
        while (await receive())["type"] != "http.disconnect":
            pass
