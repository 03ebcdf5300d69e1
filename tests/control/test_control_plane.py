"""The /_mock/ control plane over plain HTTP: curl, a Node script, tokens, and the spec it keeps."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.routing import Route

from mock_server import MockServer, Settings, create_app
from mock_server.resources import control_spec_path
from tests.fixtures.client import T2I

NODE_SCRIPT = Path(__file__).with_name("control_plane.mjs")


def curl(*args: str) -> tuple[int, dict[str, str], str]:
    """Run curl; (status, lower-case headers, body)."""
    assert shutil.which("curl"), "curl is needed for this test"
    done = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "30", *args], capture_output=True, text=True, timeout=60, check=True
    )
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    status_line, *header_lines = head.split("\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_curl_queues_a_fault_sees_it_applied_and_reads_the_journal(live_mock: MockServer) -> None:
    base = live_mock.url
    status, _, body = curl(
        "-X",
        "POST",
        f"{base}/_mock/faults",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"status": 429, "retryAfter": 2}',
    )
    assert status == 201 and json.loads(body)["faults"][0]["id"] == "f1"
    status, headers, body = curl(
        f"{base}/api/v1/generate",
        "-H",
        f"Authorization: Bearer {live_mock.api_key}",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps(T2I),
    )
    assert (status, headers["retry-after"], json.loads(body)["error"]["code"]) == (429, "2", "rate_limited")
    status, _, body = curl(f"{base}/_mock/requests?status=429")
    journal = json.loads(body)
    assert status == 200 and journal["count"] == 1
    assert journal["requests"][0]["fault"]["description"] == "429 rate_limited"
    assert journal["requests"][0]["headers"]["authorization"] == "Bearer <redacted>"
    assert curl("-X", "DELETE", f"{base}/_mock/requests")[0] == 204
    assert json.loads(curl(f"{base}/_mock/requests")[2])["count"] == 0
    assert curl("-X", "POST", f"{base}/_mock/reset")[0] == 204


def test_a_node_script_drives_faults_rate_limit_models_stubs_latency_and_journal(live_mock: MockServer) -> None:
    assert shutil.which("node"), "node is needed for this test"
    done = subprocess.run(
        ["node", str(NODE_SCRIPT), live_mock.url, live_mock.api_key], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["statuses"] == [503, 200, 200, 429]
    assert report["queued"] == ["f1"] and report["left"] == []
    assert report["custom_model"] == 200 and report["after_reset"] == 400
    assert report["journal"] == [
        [503, "f1"],
        [200, None],
        [200, None],
        [429, None],
        [200, None],
        [200, None],
        [200, None],
        [400, None],
    ]
    assert report["har"] == {"version": "1.2", "statuses": [503, 200, 200, 429, 200, 200, 200], "inlined": 7}
    assert report["stub"] == {"id": "s1", "size": [768, 512], "jpeg": True, "sha256": True}
    assert report["session"] == {"status": 504, "journal": [[504, "node-job"]], "listed": ["node-job"], "closed": 204}
    assert report["latency"] == {"status": 200, "waited": True}


def test_the_journal_can_be_filtered_and_paged(
    live_mock: MockServer, mock_api: httpx.Client, mock_control: httpx.Client
) -> None:
    for seed in (1, 2, 3):
        mock_api.post("/api/v1/generate", json={**T2I, "seed": seed})
    mock_api.post("/api/v1/generate", json={**T2I, "model": "nope"})
    every = mock_control.get("/requests").json()["requests"]
    assert [doc["seq"] for doc in every] == sorted(doc["seq"] for doc in every)
    assert mock_control.get("/requests", params={"status": 400}).json()["count"] == 1
    assert [
        d["params"]["seed"]
        for d in mock_control.get("/requests", params={"limit": 2, "status": 200}).json()["requests"]
    ] == [2, 3]
    assert mock_control.get("/requests", params={"since": every[1]["seq"]}).json()["count"] == 2
    assert mock_control.get("/requests", params={"limit": "x"}).json()["error"]["param"] == "limit"


def test_faults_can_be_listed_removed_and_refused(mock_control: httpx.Client) -> None:
    added = mock_control.post("/faults", json=[{"status": 500}, {"fault": "EMPTY_RESPONSE", "times": 2}]).json()
    assert [entry["id"] for entry in added["faults"]] == ["f1", "f2"]
    assert mock_control.delete("/faults/f1").status_code == 204
    assert mock_control.delete("/faults/f1").status_code == 404
    assert [entry["remaining"] for entry in mock_control.get("/faults").json()["faults"]] == [2]
    refused = mock_control.post("/faults", json={"status": 500, "fault": "EMPTY_RESPONSE"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "fault"
    oops = mock_control.post("/faults", content=b"{oops", headers={"Content-Type": "application/json"})
    assert oops.json()["error"]["code"] == "invalid_json"
    assert mock_control.delete("/faults").status_code == 204 and mock_control.get("/faults").json() == {"faults": []}


def test_the_model_library_can_be_read_changed_written_back_and_reset(
    mock_api: httpx.Client, mock_control: httpx.Client
) -> None:
    library = mock_control.get("/models").json()
    eigen = next(model for model in library["models"] if model["id"] == "eigen-image")
    library["models"].append({**eigen, "id": "house-model"})
    assert mock_control.put("/models", json=library).status_code == 200
    assert mock_api.post("/api/v1/generate", json={**T2I, "model": "house-model"}).status_code == 200
    bad = mock_control.put(
        "/models",
        json={
            "models": {"x": {"modes": {"text-to-image": {"response_field": "image_base64", "parameters": ["colour"]}}}}
        },
    )
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["message"]
    assert mock_control.post("/reset").status_code == 204
    assert (
        mock_api.post("/api/v1/generate", json={**T2I, "model": "house-model"}).json()["error"]["code"]
        == "unknown_model"
    )


def test_a_control_token_guards_the_control_plane_and_the_api_key_does_not_open_it() -> None:
    with MockServer(Settings(access_log=False, control_token="ctl-secret")) as mock:
        url = f"{mock.url}/_mock/requests"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers=mock.headers).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer ctl-secret"}).status_code == 200
        assert httpx.get(url, params={"token": "ctl-secret"}).status_code == 200


def test_a_disabled_control_plane_is_not_there() -> None:
    with MockServer(Settings(access_log=False, control_enabled=False)) as mock:
        response = httpx.get(f"{mock.url}/_mock/requests")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def _routes_in_app() -> set[tuple[str, str]]:
    app = create_app(Settings(access_log=False))
    return {
        (route.path, method)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/_mock")
        for method in (route.methods or set()) - {"HEAD"}
    }


def test_control_yaml_documents_exactly_the_control_routes() -> None:
    document: dict[str, Any] = yaml.safe_load(control_spec_path().read_text())
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    assert documented == _routes_in_app()
    assert not any(
        path.startswith("/_mock")
        for path in yaml.safe_load((control_spec_path().parent / "eigen.yaml").read_text())["paths"]
    )


@pytest.mark.parametrize("path", ["/_mock/health", "/_mock/control.yaml", "/_mock/openapi.json"])
def test_read_only_control_routes_answer(live_mock: MockServer, path: str) -> None:
    assert httpx.get(f"{live_mock.url}{path}").status_code == 200


def test_control_yaml_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(yaml.safe_load(control_spec_path().read_text()))


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def test_a_405_lists_every_method_of_the_path(live_mock: MockServer) -> None:
    document: dict[str, Any] = yaml.safe_load(control_spec_path().read_text())
    for path, item in document["paths"].items():
        concrete = (
            path.replace("{fault_id}", "f1")
            .replace("{stub_id}", "s1")
            .replace("{name}", "gallery.css")
            .replace("{sha256}", "0" * 64)
        )
        answer = httpx.request("PATCH", f"{live_mock.url}{concrete}", timeout=30)
        methods = {key for key in item if key in HTTP_METHODS}  # a path item also holds `parameters`
        allowed = {method.upper() for method in methods} | ({"HEAD"} if "get" in methods else set())
        assert answer.status_code == 405, path
        assert set(answer.headers["allow"].split(", ")) == allowed, path
        assert answer.json()["error"]["code"] == "method_not_allowed"


def test_queued_faults_are_as_control_yaml_says(mock_control: httpx.Client) -> None:
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    document: dict[str, Any] = yaml.safe_load(control_spec_path().read_text())
    registry: Registry[Any] = Registry().with_resource("urn:control", DRAFT202012.create_resource(document))
    answer_schema = "urn:control#/paths/~1_mock~1faults/post/responses/201/content/application~1json/schema"
    validator = Draft202012Validator({"$ref": answer_schema}, registry=registry)
    answers = [
        mock_control.post("/faults", json=body)
        for body in (
            {"status": 503},
            [{"fault": "EMPTY_RESPONSE", "match": {"mode": "text-to-image"}}],
            {"fixedDelayMilliseconds": 5, "match": {"headers": {"x-a": "b"}}, "times": None},
        )
    ]
    for answer in [*answers, mock_control.get("/faults")]:
        assert answer.status_code in (200, 201)
        assert not list(validator.iter_errors(answer.json())), answer.json()
    empty = mock_control.post("/faults", json=[])
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "invalid_parameter"
