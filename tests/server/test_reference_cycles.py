"""A served request leaves no reference cycle behind.

Garbage in a cycle is freed only by the cyclic collector, whose pauses over a server's heap stall
the event loop: one closure left in the ASGI scope (it referred to the scope) once made p99 at 32
connections 7-9x p50. Requests here go straight through the ASGI app (the mock's own objects, not
a client's), each kind warmed up first so that what a first request builds once (caches,
imports) is not counted.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.app import create_app
from mock_server.settings import Settings
from tests.support import source_png

KEY = "eigen-mock-key"
BOUNDARY = "cyclecheck"

Request = tuple[str, str, list[tuple[bytes, bytes]], bytes]
Kind = Callable[[int], list[Request]]


def _json(path: str, document: Any, *, key: str | None = KEY, extra: dict[str, str] | None = None) -> Request:
    headers = {"content-type": "application/json", **(extra or {})}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    return "POST", path, [(k.encode(), v.encode()) for k, v in headers.items()], json.dumps(document).encode()


def _multipart(seed: int) -> Request:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (("model", "eigen-image"), ("prompt", "winter"), ("seed", str(seed)))
    ]
    image = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image_file"; filename="s.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + source_png()
    body = b"".join(parts) + image + f"\r\n--{BOUNDARY}--\r\n".encode()
    headers = [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        (b"authorization", f"Bearer {KEY}".encode()),
    ]
    return "POST", "/api/v1/generate", headers, body


def _generate(seed: int, **fields: Any) -> dict[str, Any]:
    return {"model": "eigen-image", "prompt": "a lighthouse", "width": 512, "height": 512, "seed": seed, **fields}


REQUESTS: dict[str, Callable[[int], Request]] = {
    "new seed": lambda seed: _json("/api/v1/generate", _generate(seed)),
    "repeated": lambda seed: _json("/api/v1/generate", _generate(42)),
    "jpeg binary": lambda seed: _json("/api/v1/generate", _generate(seed, output_format="jpg", binary_response=True)),
    "edit upload": _multipart,
    "missing key": lambda seed: _json("/api/v1/generate", _generate(seed), key=None),
    "invalid body": lambda seed: _json("/api/v1/generate", {"model": "eigen-image", "width": seed}),
    "not JSON": lambda seed: (
        "POST",
        "/api/v1/generate",
        [(b"content-type", b"application/json"), (b"authorization", f"Bearer {KEY}".encode())],
        b"{",
    ),
    "injected fault": lambda seed: _json("/api/v1/generate", _generate(seed), extra={"X-Mock-Fault": "429"}),
    "slow-body fault": lambda seed: _json(
        "/api/v1/generate",
        _generate(seed),
        extra={"X-Mock-Fault": '{"status": 503, "chunkedDribbleDelay": {"numberOfChunks": 2, "totalDuration": 1}}'},
    ),
    "named session": lambda seed: _json("/api/v1/generate", _generate(seed), extra={"X-Mock-Session": "cycles"}),
    "unknown path": lambda seed: ("GET", "/nowhere", [], b""),
    "wrong method": lambda seed: ("GET", "/api/v1/generate", [], b""),
    "journal read": lambda seed: ("GET", "/_mock/requests", [], b""),
}
#: Kinds of more than one request, all measured: a control-plane write and what it changes.
SEQUENCES: dict[str, Kind] = {
    "queued fault": lambda seed: [
        _json("/_mock/faults", {"status": 503, "times": 1}, key=None),
        _json("/api/v1/generate", _generate(seed)),
    ],
    "journal cleared": lambda seed: [
        ("DELETE", "/_mock/requests", [], b""),
        _json("/api/v1/generate", _generate(seed)),
    ],
}

#: What each kind is answered: a kind that reached another path would test that path instead.
EXPECTED = {
    "new seed": [200],
    "repeated": [200],
    "jpeg binary": [200],
    "edit upload": [200],
    "missing key": [401],
    "invalid body": [400],
    "not JSON": [400],
    "injected fault": [429],
    "slow-body fault": [503],
    "named session": [200],
    "unknown path": [404],
    "wrong method": [405],
    "journal read": [200],
    "queued fault": [201, 503],
    "journal cleared": [204, 200],
}


async def _serve(app: Any, request: Request) -> int:
    method, path, headers, body = request
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


@contextmanager
def _collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(scope="module")
def app() -> Any:
    # Thumbnails off: the gallery's background thread would make garbage of its own meanwhile.
    return create_app(Settings(thumbnails=0))


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    # One loop for every request: a loop made and closed per request is garbage of its own.
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted([*REQUESTS, *SEQUENCES])), seed=st.integers(1, 2**31))
def test_a_request_leaves_no_reference_cycle(app: Any, loop: asyncio.AbstractEventLoop, kind: str, seed: int) -> None:
    make: Kind = SEQUENCES.get(kind) or (lambda seed: [REQUESTS[kind](seed)])
    for warm in (seed + 1, seed + 2):
        for request in make(warm):
            loop.run_until_complete(_serve(app, request))
    with _collector_off():
        statuses = [loop.run_until_complete(_serve(app, request)) for request in make(seed)]
        unreachable = gc.collect()
    assert 500 not in statuses, (kind, statuses)  # a queued 503 is the answer asked for
    assert statuses == EXPECTED[kind], (kind, statuses)
    assert unreachable == 0, f"{kind}: {unreachable} objects freed only by the cyclic collector"
