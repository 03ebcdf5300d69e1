"""``Planted``: ASGI middleware that lets a ``Bug`` change one thing on the way in or out."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .wire import Answer, Sent


class Bug:
    """A server bug: override ``request`` (return an ``Answer`` to short-circuit) and/or ``response``."""

    def request(self, sent: Sent) -> Sent | Answer:
        return sent

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer


class Planted:
    def __init__(self, app: ASGIApp, bug: Bug) -> None:
        self.app = app
        self.bug = bug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Sent(scope["method"], scope["path"], list(scope["headers"]), await _read(receive))
        outcome = self.bug.request(sent)
        if isinstance(outcome, Answer):
            answer = outcome
        else:
            path = {"path": outcome.path, "raw_path": outcome.path.encode()} if outcome.path != sent.path else {}
            forwarded = {**scope, "method": outcome.method, "headers": outcome.headers, **path}
            answer = self.bug.response(outcome, await _call(self.app, forwarded, outcome))
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})


async def _read(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False) and message["type"] == "http.request"
    return b"".join(chunks)


async def _call(app: ASGIApp, scope: Scope, sent: Sent) -> Answer:
    delivered = False
    start: Message = {}
    body: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": sent.body, "more_body": False}

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, capture)
    return Answer(start["status"], list(start.get("headers", [])), b"".join(body))
