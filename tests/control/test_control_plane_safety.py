"""The control plane is safe to run: bounded bodies, plain data only, no browser can drive it.

Over a real socket on 127.0.0.1 (the Host and Origin checks depend on the address a request
came in on). Each test is one of the probes that used to succeed.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import MockServer, Settings
from mock_server.cli import main
from mock_server.control.origins import exposure_problem, is_loopback, refusal
from tests.fixtures.client import T2I
from tests.support import assert_error

JSON = {"Content-Type": "application/json"}


def yaml_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs": each level aliases the one before ``width`` times (about 480 bytes)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines)


# -- bodies ---------------------------------------------------------------------------------------


def test_a_large_control_body_is_413_and_nothing_is_applied(live_mock: MockServer, mock_control: httpx.Client) -> None:
    before = mock_control.get("/models").json()
    huge = json.dumps({"models": {f"m{i}": {"alias_of": "eigen-image"} for i in range(60_000)}}).encode()
    assert len(huge) > Settings().max_control_body_bytes

    response = mock_control.put("/models", content=huge, headers=JSON)

    assert_error(response, 413, "payload_too_large")
    assert mock_control.get("/models").json() == before


def test_a_yaml_alias_bomb_is_refused_at_once(
    live_mock: MockServer, mock_control: httpx.Client, mock_api: httpx.Client
) -> None:
    response = mock_control.put("/models", content=yaml_bomb().encode(), headers={"Content-Type": "application/yaml"})

    assert_error(response, 400, "invalid_json")
    assert "aliases are expanded" in response.json()["error"]["message"]
    assert mock_api.post("/api/v1/generate", json=T2I).status_code == 200


@pytest.mark.parametrize("number", [".nan", ".inf", "-.inf"])
def test_a_non_finite_number_in_a_model_library_is_refused_before_anything_is_applied(
    live_mock: MockServer, mock_control: httpx.Client, mock_api: httpx.Client, number: str
) -> None:
    before = mock_control.get("/models").json()
    library = f"models:\n  fast:\n    base_seconds: {number}\n    modes:\n      text-to-image:\n" \
              "        response_field: image_base64\n        parameters: [width, height]\n"  # fmt: skip

    response = mock_control.put("/models", content=library.encode(), headers={"Content-Type": "application/yaml"})

    assert_error(response, 400, "invalid_json")
    assert mock_control.get("/models").json() == before
    answer = mock_api.post("/api/v1/generate", json=T2I)
    assert answer.status_code == 200 and "NaN" not in answer.text and "Infinity" not in answer.text


def test_a_library_with_an_out_of_range_number_is_refused_by_the_catalog(
    live_mock: MockServer, mock_control: httpx.Client
) -> None:
    library = {
        "models": {
            "fast": {
                "base_seconds": 1e300,
                "modes": {"text-to-image": {"response_field": "image_base64", "parameters": ["width"]}},
            }
        }
    }

    response = mock_control.put("/models", json=library)

    assert_error(response, 400, "invalid_parameter", param="models")
    assert "base_seconds" in response.json()["error"]["message"]


@pytest.mark.parametrize("text", ['{"status": NaN}', '{"status": 503, "retryAfter": Infinity}', "[" * 100_000])
def test_json_that_is_not_plain_data_is_invalid_json(mock_control: httpx.Client, text: str) -> None:
    assert_error(mock_control.post("/faults", content=text.encode(), headers=JSON), 400, "invalid_json")
    assert mock_control.get("/faults").json()["faults"] == []


def test_yaml_extras_that_json_lacks_are_refused(mock_control: httpx.Client) -> None:
    for text in ("models: {2020-01-01: {alias_of: eigen-image}}", "models: !!set {a, b}", "models: !!binary aGk="):
        response = mock_control.put("/models", content=text.encode(), headers={"Content-Type": "application/yaml"})
        assert_error(response, 400, "invalid_json")


def test_a_large_library_under_the_limit_is_accepted(live_mock: MockServer, mock_control: httpx.Client) -> None:
    """Parsed and checked in a worker thread (over 4 KiB), and applied whole."""
    library = mock_control.get("/models").json()
    library["models"] += [{"id": f"m{i}", "alias_of": "eigen-image"} for i in range(15_000)]
    response = mock_control.put("/models", json=library)
    assert response.status_code == 200, response.text
    assert len(response.json()["models"]) == len(library["models"])


# -- who may drive it -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "10.0.0.5", "[2001:db8::1]:80"])
def test_a_foreign_host_header_on_loopback_is_refused(live_mock: MockServer, host: str) -> None:
    """DNS rebinding: a page whose name now resolves to 127.0.0.1 cannot read the journal."""
    with httpx.Client(base_url=live_mock.url) as client:
        response = client.get("/_mock/requests", headers={"Host": host})

    assert_error(response, 403, "forbidden")
    assert "Host" in response.json()["error"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8000", "api.localhost", "127.0.0.2", "[::1]:9"])
def test_loopback_host_headers_are_accepted(live_mock: MockServer, host: str) -> None:
    with httpx.Client(base_url=live_mock.url) as client:
        assert client.get("/_mock/health", headers={"Host": host}).status_code == 200


def test_a_cross_site_write_is_refused_and_changes_nothing(live_mock: MockServer, mock_api: httpx.Client) -> None:
    mock_api.post("/api/v1/generate", json=T2I)
    with httpx.Client(base_url=f"{live_mock.url}/_mock") as client:
        for path, body in (("/reset", None), ("/faults", '{"status": 503}')):
            evil = {"Origin": "https://evil.example", **({} if body is None else JSON)}
            response = client.post(path, content=body, headers=evil)
            assert_error(response, 403, "forbidden")
        assert client.get("/requests").json()["count"] == 1
        assert client.get("/faults").json()["faults"] == []
        assert client.get("/requests", headers={"Origin": "null"}).status_code == 403


def test_a_page_on_another_loopback_port_and_the_mocks_own_origin_may_use_it(live_mock: MockServer) -> None:
    with httpx.Client(base_url=f"{live_mock.url}/_mock") as client:
        assert client.post("/reset", headers={"Origin": "http://localhost:3000"}).status_code == 204
        assert client.post("/reset", headers={"Origin": live_mock.url}).status_code == 204


@pytest.mark.parametrize(
    "media", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
def test_a_write_that_is_not_json_is_415(live_mock: MockServer, media: str) -> None:
    """The simple requests a page can send without a preflight are never control-plane writes."""
    with httpx.Client(base_url=f"{live_mock.url}/_mock") as client:
        response = client.post("/faults", content=b'{"status": 503}', headers={"Content-Type": media})
        assert_error(response, 415, "unsupported_media_type")
        if media:
            assert_error(client.post("/reset", headers={"Content-Type": media}), 415, "unsupported_media_type")
        assert client.get("/faults").json()["faults"] == []


def test_the_public_api_is_not_subject_to_the_control_planes_checks(live_mock: MockServer) -> None:
    with httpx.Client(base_url=live_mock.url, headers=live_mock.headers) as client:
        response = client.post("/api/v1/generate", json=T2I, headers={"Host": "api.example", "Origin": "https://x.y"})
        assert response.status_code == 200


# -- exposure --------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "mock.internal"])
def test_serving_the_control_plane_on_the_network_without_a_token_is_refused(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    assert main(["serve", "--host", host, "--port", "9", "--no-s3"]) == 2
    message = capsys.readouterr().err
    assert "--control-token" in message and "--allow-open-control" in message
    assert time.monotonic() - started < 30  # refused before anything starts


def test_exposure_needs_a_token_or_an_explicit_choice() -> None:
    def problem(host: str, **options: object) -> str | None:
        values = {"control_enabled": True, "control_token": None, "allow_open": False, **options}
        return exposure_problem(host, **values)  # type: ignore[arg-type]

    assert problem("0.0.0.0") is not None
    assert problem("0.0.0.0", control_token="t") is None
    assert problem("0.0.0.0", allow_open=True) is None
    assert problem("0.0.0.0", control_enabled=False) is None
    for loopback in ("127.0.0.1", "localhost", "::1", "127.8.9.10"):
        assert problem(loopback) is None and is_loopback(loopback)


def test_refusal_rules_without_a_socket() -> None:
    assert refusal("127.0.0.1", "127.0.0.1:8000", None) is None
    assert refusal("127.0.0.1", "evil.example", None) is not None
    assert refusal("192.168.1.2", "mock.lan:8000", None) is None  # not loopback: names are the user's
    assert refusal("192.168.1.2", "mock.lan:8000", "http://mock.lan:8000") is None
    assert refusal("192.168.1.2", "mock.lan:8000", "http://evil.example") is not None
    assert refusal(None, None, "http://[bad") is not None


@given(
    server=st.none() | st.sampled_from(["127.0.0.1", "::1", "10.1.2.3", "0.0.0.0"]),
    host=st.none() | st.text(max_size=30),
    origin=st.none() | st.text(max_size=30),
)
def test_any_host_and_origin_are_judged_without_an_error(
    server: str | None, host: str | None, origin: str | None
) -> None:
    verdict = refusal(server, host, origin)
    assert verdict is None or isinstance(verdict, str)
    if server == "127.0.0.1" and host is not None and host.isalpha() and host.lower() != "localhost":
        assert verdict is not None  # a plain name other than localhost, on loopback
