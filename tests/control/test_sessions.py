"""Sessions: two test runs share one mock, each with its own journal, faults, stubs, rate limit."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import MockServer, Settings
from mock_server.control.python_api import SessionControls
from mock_server.sessions import MAX_SESSIONS
from mock_server.testing import transport
from tests.fixtures.client import T2I
from tests.support import IMAGES


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_retry_test() -> Callable[[Any], None]:
    """README's "Test your client" example, exactly as written: its test function."""
    section = README.read_text(encoding="utf-8").split("### Test your client", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), "README.md", "exec"), namespace)  # our own README, as the plugin test runs it
    test: Callable[[Any], None] = namespace["test_retries_after_a_rate_limit"]
    return test


@pytest.fixture(scope="module")
def two_keys() -> Iterator[MockServer]:
    with MockServer(Settings(access_log=False, api_keys=("key-a", "key-b", "key-c"))) as server:
        yield server


@pytest.fixture
def shared(two_keys: MockServer) -> MockServer:
    two_keys.reset()
    return two_keys


def test_two_sessions_run_the_readme_retry_example_at_once_and_see_only_their_own(shared: MockServer) -> None:
    test = readme_retry_test()
    sessions = [shared.session("job-a", api_keys=["key-a"]), shared.session("job-b", api_keys=["key-b"])]
    barrier, failures = threading.Barrier(2, timeout=10), []

    def run(session: SessionControls) -> None:
        try:
            barrier.wait()
            for _ in range(3):  # interleaved: each run queues its 429 while the other is mid-retry
                test(session)
                session.reset()
        except Exception as exc:  # reported below, with the session's name
            failures.append((session.session_name, exc))

    threads = [threading.Thread(target=run, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    for session in sessions:  # the last run of each, still in its journal
        test(session)
        assert [(call.status, call.session) for call in session.requests] == [
            (429, session.session_name),
            (200, session.session_name),
        ]
        assert session.requests[0].headers["authorization"] == "Bearer <redacted>"
    assert shared.requests.call_count == 0 and shared.faults == []


def test_the_control_plane_scopes_every_route_to_its_session(shared: MockServer) -> None:
    control = httpx.Client(base_url=f"{shared.url}/_mock", timeout=30)
    api = httpx.Client(base_url=shared.url, headers={"Authorization": "Bearer key-c"}, timeout=30)
    in_a = {"X-Mock-Session": "ci-a"}
    assert control.post("/faults", params={"session": "ci-a"}, json={"status": 503}).status_code == 201
    assert (
        control.post("/stubs", params={"session": "ci-b"}, json={"match": {"seed": 7}, "status": 504}).status_code
        == 201
    )
    assert control.put("/rate-limit", params={"session": "ci-c"}, json={"limit": 1}).status_code == 200
    statuses = [
        api.post("/api/v1/generate", json=T2I, headers=in_a).status_code,
        api.post("/api/v1/generate", json=T2I, headers={"X-Mock-Session": "ci-b"}).status_code,
        api.post("/api/v1/generate", json=T2I).status_code,
    ]
    statuses += [
        api.post("/api/v1/generate", json=T2I, headers={"X-Mock-Session": "ci-c"}).status_code for _ in range(2)
    ]
    assert statuses == [503, 504, 200, 200, 429]
    journals = {
        name: [doc["status"] for doc in control.get("/requests", params={"session": name}).json()["requests"]]
        for name in ("ci-a", "ci-b", "ci-c")
    }
    assert journals == {"ci-a": [503], "ci-b": [504], "ci-c": [200, 429]}
    assert [doc["status"] for doc in control.get("/requests").json()["requests"]] == [200]
    assert (
        control.get("/requests.har", params={"session": "ci-b"}).json()["log"]["entries"][0]["_eigenMock"]["stub"][
            "kind"
        ]
        == "error"
    )
    assert control.post("/reset", params={"session": "ci-c"}).status_code == 204
    assert control.get("/requests", params={"session": "ci-c"}).json()["count"] == 0
    assert control.get("/requests", params={"session": "ci-a"}).json()["count"] == 1
    listed = [entry["name"] for entry in control.get("/sessions").json()["sessions"]]
    assert listed == ["ci-a", "ci-b", "ci-c"]
    assert control.delete("/sessions/ci-a").status_code == 204 and control.delete("/sessions/ci-a").status_code == 404


@pytest.mark.parametrize("path", ["/health", "/requests", "/faults", "/stubs", "/rate-limit", "/models", "/ui/calls"])
def test_every_control_route_refuses_a_session_name_that_cannot_be_one(shared: MockServer, path: str) -> None:
    answer = httpx.get(f"{shared.url}/_mock{path}", params={"session": "../etc"})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "session"
    bad = httpx.post(f"{shared.url}/api/v1/generate", json=T2I, headers={"X-Mock-Session": "a b", **shared.headers})
    assert bad.status_code == 400 and "X-Mock-Session" in bad.json()["error"]["message"]


def test_a_session_s_latency_keys_and_bounds(shared: MockServer) -> None:
    opened = httpx.put(f"{shared.url}/_mock/sessions/slow", json={"latency": "300ms", "api_keys": ["key-c"]})
    assert opened.json() == {"name": "slow", "api_keys": 1, "latency": "300ms"}
    answer = httpx.post(f"{shared.url}/api/v1/generate", json=T2I, headers={"Authorization": "Bearer key-c"})
    assert answer.status_code == 200 and answer.elapsed.total_seconds() >= 0.3
    assert shared.session("slow").requests.call_count == 1
    taken = httpx.put(f"{shared.url}/_mock/sessions/other", json={"api_keys": ["key-c"]})
    assert taken.status_code == 400 and "bound to another session" in taken.json()["error"]["message"]
    for number in range(MAX_SESSIONS - 1):
        shared.session(f"s{number}")
    full = httpx.post(
        f"{shared.url}/api/v1/generate", json=T2I, headers={"X-Mock-Session": "one-too-many", **shared.headers}
    )
    assert full.status_code == 400 and "at most" in full.json()["error"]["message"]
    shared.reset()
    assert httpx.get(f"{shared.url}/_mock/sessions").json() == {"sessions": []}


def test_sessions_live_in_the_shared_store_that_workers_open(tmp_path: Path) -> None:
    settings = Settings(access_log=False, state_dir=tmp_path)
    with MockServer(settings) as first, MockServer(settings) as second:  # two "workers", one store
        first.session("ci-1").fail(502)
        first.session("ci-1").stub(seed=8, image=(IMAGES / "square.png").read_bytes())
        in_session = {**second.headers, "X-Mock-Session": "ci-1"}
        answer = httpx.post(f"{second.url}/api/v1/generate", json=T2I, headers=in_session)
        stubbed = httpx.post(f"{second.url}/api/v1/generate", json={**T2I, "seed": 8}, headers=in_session)
        assert answer.status_code == 502 and stubbed.json()["image_sha256"] == sha256(IMAGES / "square.png")
        assert [call.status for call in first.session("ci-1").requests] == [502, 200]
        assert first.requests.call_count == 0 and second.session("ci-1").faults == []


def test_an_in_process_transport_opens_sessions_too() -> None:
    mock = transport()
    with httpx.Client(transport=mock, base_url="http://eigen.test") as client, mock.session("inner") as inner:
        inner.stub(seed=7, status=504)
        assert client.post("/api/v1/generate", json=T2I, headers=inner.headers).status_code == 504
        assert (
            client.post("/api/v1/generate", json=T2I, headers={"Authorization": "Bearer eigen-mock-key"}).status_code
            == 200
        )
        assert [call.status for call in inner.requests] == [504] and inner.url == ""
    assert mock.runtime.sessions.names() == []
