"""``POST /api/v1/generate`` skips Starlette's own layers (``MockApp``), and answers as the long way does."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.app import MockApp, create_app
from mock_server.settings import Settings
from tests.fixtures.app import InProcessClient
from tests.server.test_robustness import bodies, json_values

#: Varies per answer; everything else must be the same both ways.
_PER_ANSWER = {"request_id", "created"}


def _long_way() -> Starlette:
    app = create_app(Settings(access_log=False))
    assert isinstance(app, MockApp)
    app.operation_handler = None  # every request through Starlette's middleware and router
    return app


SHORT = InProcessClient(create_app(Settings(access_log=False)))
LONG = InProcessClient(_long_way())


def _comparable(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in response.headers.items() if k not in {"x-request-id", "content-length"}}
    if response.headers.get("content-type") != "application/json":
        return response.status_code, headers, response.content
    body = response.json()
    found = body.get("error", body)
    for name in _PER_ANSWER:
        found.pop(name, None)
    return response.status_code, headers, body


@settings(max_examples=60, deadline=None)
@given(
    body=bodies,
    extra=st.dictionaries(st.sampled_from(["seed", "width", "binary_response"]), json_values, max_size=2),
    media=st.sampled_from(["application/json", "text/plain", None]),
)
def test_the_short_way_answers_as_the_long_way(body: dict[str, Any], extra: dict[str, Any], media: str | None) -> None:
    data = json.dumps({"seed": 3, **body, **extra}).encode()
    headers = {**SHORT.headers, **({} if media is None else {"Content-Type": media})}
    short, long = (client.generate(content=data, headers=headers) for client in (SHORT, LONG))
    assert _comparable(short) == _comparable(long)


def test_other_methods_and_paths_still_take_the_long_way(client: InProcessClient) -> None:
    assert client.get("/api/v1/generate").status_code == 405
    assert client.post("/api/v1/generate/", json={}).status_code == 404
    assert client.request("PUT", "/api/v1/generate", json={}).headers["allow"] == "POST"


def test_middleware_added_to_the_app_sees_the_operation_take_the_short_way() -> None:
    seen: list[str] = []  # path, status, and whether Starlette's router matched a route ("endpoint")

    class Spy:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    way = "router" if "endpoint" in scope else "short"
                    seen.append(f"{scope['method']} {scope['path']} {message['status']} {way}")
                await send(message)

            await self.app(scope, receive, sending)

    app = create_app(Settings(access_log=False))
    app.add_middleware(Spy)
    client = InProcessClient(app)
    client.generate(json={"model": "eigen-image", "prompt": "p", "width": 512, "height": 512})
    client.get("/api/v1/generate")
    assert seen == ["POST /api/v1/generate 200 short", "GET /api/v1/generate 405 router"]
