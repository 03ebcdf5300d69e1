"""The spec checked against the server: handlers for every operationId, every documented status reachable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from mock_server import Settings, create_app
from mock_server.app import ResolverError
from mock_server.generation.library import CatalogError
from mock_server.http import endpoints as endpoints_module
from mock_server.s3.embedded import EmbeddedS3
from mock_server.spec import OPERATION_PATH, SPEC_URI
from tests.fixtures.app import AppFactory, InProcessClient
from tests.support import spec

T2I = {"model": "eigen-image", "prompt": "p"}

# status → how to reach it; the test below insists this covers every status the spec documents.
RECIPES: dict[int, Callable[[InProcessClient], httpx.Response]] = {
    200: lambda c: c.generate(json=T2I),
    400: lambda c: c.generate(json={**T2I, "width": 1}),
    401: lambda c: InProcessClient(c.app, {}).generate(json=T2I),
    405: lambda c: c.get(OPERATION_PATH),
    413: lambda c: c.generate(json={**T2I, "prompt": "x" * 70_000}),
    415: lambda c: c.generate(content=b"x", headers={**c.headers, "Content-Type": "text/plain"}),
    429: lambda c: c.generate(json=T2I, headers={**c.headers, "X-Mock-Fault": "rate_limited"}),
    500: lambda c: c.generate(json=T2I, headers={**c.headers, "X-Mock-Fault": "500"}),
    502: lambda c: c.generate(json={**T2I, "s3_output_path": "s3://missing-bucket-zz/k.png"}),
    503: lambda c: c.generate(json=T2I, headers={**c.headers, "X-Mock-Fault": "503"}),
    504: lambda c: c.generate(json=T2I, headers={**c.headers, "X-Mock-Fault": "504"}),
}


def test_every_operation_id_has_a_handler_and_no_handler_is_undocumented() -> None:
    assert spec().operation_ids == set(endpoints_module.HANDLERS)


def test_missing_handler_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoints_module, "HANDLERS", {})
    monkeypatch.setattr("mock_server.app.HANDLERS", {})
    with pytest.raises(ResolverError, match="generate"):
        create_app(Settings())


def test_the_recipes_cover_exactly_the_documented_statuses() -> None:
    assert set(RECIPES) == spec().response_statuses


@pytest.mark.parametrize("status", sorted(RECIPES))
def test_every_documented_status_is_reachable_and_matches_its_schema(
    app_factory: AppFactory, s3_server: EmbeddedS3, status: int
) -> None:
    client = InProcessClient(app_factory(max_body_bytes=65_536, s3_endpoint_url=s3_server.endpoint_url))
    response = RECIPES[status](client)
    assert response.status_code == status, response.text
    documented = _response(status)
    media = response.headers["content-type"]
    assert media in documented["content"]
    _validate(response.json(), documented["content"][media]["schema"])
    for name, header in documented.get("headers", {}).items():
        resolved = spec().resolve(header)
        if resolved.get("required"):
            assert name.lower() in response.headers, name


def _response(status: int) -> dict[str, Any]:
    found = spec().document["paths"][OPERATION_PATH]["post"]["responses"][str(status)]
    return spec().resolve(found) if "$ref" in found else dict(found)


def _validate(document: Any, schema: dict[str, Any]) -> None:
    validator = Draft202012Validator({**schema, "$id": "urn:test"} if "$ref" not in schema else
                                     {"$ref": SPEC_URI + schema["$ref"]}, registry=spec().registry)
    errors = [error.message for error in validator.iter_errors(document)]
    assert not errors, errors


def test_model_library_naming_a_parameter_the_spec_lacks_is_refused(tmp_path: Path) -> None:
    library = {"models": {"m": {"modes": {"text-to-image": {"response_field": "image_base64",
                                                            "parameters": ["width", "sharpness"]}}}}}
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(library))
    with pytest.raises(CatalogError, match="sharpness"):
        create_app(Settings(models_path=path))


def test_a_users_model_library_is_served(tmp_path: Path) -> None:
    library = {"models": {"my-model": {"modes": {"text-to-image": {"response_field": "my_image_base64",
                                                                   "parameters": ["width", "height"]}}}}}
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(library))
    client = InProcessClient(create_app(Settings(models_path=path, access_log=False)))
    body = client.generate(json={"model": "my-model", "prompt": "p", "width": 600}).json()
    assert body["my_image_base64"] == body["image_base64"] and body["width"] == 600
    assert client.generate(json={"model": "eigen-image", "prompt": "p"}).json()["error"]["code"] == "unknown_model"
