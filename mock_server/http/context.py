"""Per-request context as pure ASGI middleware: request id, access log, last-resort 500.

Outermost of our middleware, so every response (including Starlette's own 404/405 and any
unexpected exception) carries ``X-Request-Id`` and gets one access-log line. The log line has
method, path, status, milliseconds and request id: never headers, so never the API key.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.errors import InternalError, render_error
from mock_server.faults.responses import SimulatedNetworkFault
from mock_server.rng import new_request_id

REQUEST_ID_KEY = "eigen_mock.request_id"
access_logger = logging.getLogger("eigen_mock.access")
error_logger = logging.getLogger("eigen_mock.error")


def request_id_of(scope: Scope) -> str:
    found: str = scope.get(REQUEST_ID_KEY) or new_request_id()
    return found


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = scope[REQUEST_ID_KEY] = new_request_id()
        started, status = time.perf_counter(), 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = message.get("headers", ())
                for name, _ in headers:
                    if name.lower() == b"x-request-id":
                        break
                else:  # the message is the sender's: a copy gets the header
                    message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except SimulatedNetworkFault:
            raise  # an injected broken connection: no 500 may paper over it
        except Exception:
            error_logger.exception("unhandled error in request %s", request_id)
            if not response_started:
                await _send_internal_error(send_with_id, request_id)
        finally:
            if self.access_log:
                elapsed = (time.perf_counter() - started) * 1000
                access_logger.info("%s %s %d %.1fms %s", scope["method"], scope["path"], status, elapsed, request_id)


async def _send_internal_error(send: Send, request_id: str) -> None:
    status, body, headers = render_error(InternalError("internal error; this is a bug in the server"), request_id)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
