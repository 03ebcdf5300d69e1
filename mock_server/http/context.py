"""Per-request context as pure ASGI middleware: request id, access log, last-resort 500.

Outermost of our middleware, so every response (including Starlette's own 404/405 and any
unexpected exception) carries ``X-Request-Id`` and gets one access-log line. The log line has
method, path, status, milliseconds and request id: never headers, so never the API key. A request
that got no answer (the client went away, or a fault broke the connection) is logged with ``-``
for its status, as the journal records ``null``.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.errors import EigenMockError, InternalError, ModelUnavailable, render_error
from mock_server.faults.responses import TRANSPORT_KEY, SimulatedNetworkFault
from mock_server.rng import new_request_id

REQUEST_ID_KEY = "eigen_mock.request_id"
access_logger = logging.getLogger("eigen_mock.access")
error_logger = logging.getLogger("eigen_mock.error")
#: How uvicorn cancels the requests still in flight once its graceful timeout has passed.
_GRACEFUL_CUT = "Task cancelled, timeout graceful shutdown exceeded"


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
        started = time.perf_counter()
        status: int | None = None
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
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
        except ClientDisconnect:
            status = None  # the client left while sending: nobody to answer, and no bug of ours
        except asyncio.CancelledError as exc:
            if not absorb_shutdown_cut(exc):
                raise
            error_logger.warning(
                "request %s cut short: the server is stopping and its graceful timeout passed", request_id
            )
            if not response_started:
                await _send_error(send_with_id, request_id, shutting_down())
            elif (transport := scope.get(TRANSPORT_KEY)) is not None:
                transport.abort()  # half an answer sent: the client must see it end early
                await asyncio.sleep(0)  # uvicorn learns of it, so it does not answer in turn
        except Exception:
            error_logger.exception("unhandled error in request %s", request_id)
            if not response_started:
                await _send_internal_error(send_with_id, request_id)
        finally:
            if self.access_log:
                elapsed = (time.perf_counter() - started) * 1000
                shown = "-" if status is None else status
                access_logger.info("%s %s %s %.1fms %s", scope["method"], scope["path"], shown, elapsed, request_id)


def shutting_down() -> ModelUnavailable:
    """The answer to a request cut at shutdown (a 503, with ``Retry-After``: another server may be up)."""
    return ModelUnavailable(
        "the mock is shutting down: this request was cut at its graceful timeout", headers={"Retry-After": "1"}
    )


def absorb_shutdown_cut(exc: BaseException) -> bool:
    """True if ``exc`` is uvicorn cutting this request because ``--graceful-timeout`` passed; the
    task's cancellation is then withdrawn, so that the request can still be answered (a 503)."""
    if not isinstance(exc, asyncio.CancelledError) or _GRACEFUL_CUT not in exc.args:
        return False
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
    return True


async def _send_internal_error(send: Send, request_id: str) -> None:
    await _send_error(send, request_id, InternalError("internal error; this is a bug in the server"))


async def _send_error(send: Send, request_id: str, error: EigenMockError) -> None:
    status, body, headers = render_error(error, request_id)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
