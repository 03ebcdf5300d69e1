"""The OpenAPI document, loaded once: request schemas, parameter schemas and defaults.

Everything the server knows about parameter types, ranges, enums and defaults comes from here,
so the spec stays the single source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_server import resources

MediaKind = Literal["json", "multipart"]

SPEC_URI = "urn:eigen-mock:openapi"
OPERATION_PATH = "/api/v1/generate"
_REQUEST_SCHEMAS: dict[MediaKind, str] = {
    "json": "GenerateJsonRequest",
    "multipart": "GenerateMultipartRequest",
}
#: Parameters that carry source images (files in multipart, base64 text in JSON).
FILE_PARAMETERS = ("image_file", "image", "images")


# Twin of contract_tests/spec.py's ContractSpec (the spec reader); keep both: the suite never imports mock_server.
@dataclass(frozen=True)
class Spec:
    document: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> Spec:
        text = (path or resources.spec_path()).read_text(encoding="utf-8")
        return cls(resources.load_yaml(text))

    @cached_property
    def registry(self) -> Registry[Any]:
        resource: Resource[Any] = Resource.from_contents(dict(self.document), default_specification=DRAFT202012)
        registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        return registry

    def schema(self, name: str) -> dict[str, Any]:
        """A component schema as written (``$ref``s inside are left for ``resolve``)."""
        found: dict[str, Any] = self.document["components"]["schemas"][name]
        return found

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` chains until a concrete schema."""
        while "$ref" in schema:
            schema = self.registry.resolver().lookup(SPEC_URI + schema["$ref"]).contents
        return dict(schema)

    def validator(self, media: MediaKind) -> Draft202012Validator:
        ref = {"$ref": f"{SPEC_URI}#/components/schemas/{_REQUEST_SCHEMAS[media]}"}
        return Draft202012Validator(ref, registry=self.registry)

    def fast_validator(self, media: MediaKind) -> jsonschema_rs.Validator:
        """The same schema compiled by jsonschema-rs, far cheaper per valid body than jsonschema, but
        its errors do not carry what the contract's error codes need, so it only says yes or no."""
        ref = {"$ref": f"{SPEC_URI}#/components/schemas/{_REQUEST_SCHEMAS[media]}"}
        return jsonschema_rs.validator_for(ref, registry=self.fast_registry, validate_formats=False)

    @cached_property
    def fast_registry(self) -> jsonschema_rs.Registry:
        return jsonschema_rs.Registry([(SPEC_URI, dict(self.document))])

    def properties(self, media: MediaKind) -> dict[str, dict[str, Any]]:
        """Every request parameter of ``media`` with its resolved schema, in spec order."""
        raw = self.schema(_REQUEST_SCHEMAS[media])["properties"]
        return {name: self.resolve(schema) for name, schema in raw.items()}

    @cached_property
    def parameter_names(self) -> frozenset[str]:
        return frozenset(self.properties("json"))

    @cached_property
    def defaults(self) -> dict[str, Any]:
        return {name: schema["default"] for name, schema in self.properties("json").items() if "default" in schema}

    @cached_property
    def operation_ids(self) -> frozenset[str]:
        ids: set[str] = set()
        for item in self.document["paths"].values():
            ids.update(op["operationId"] for op in item.values() if isinstance(op, dict) and "operationId" in op)
        return frozenset(ids)

    @cached_property
    def response_statuses(self) -> frozenset[int]:
        responses = self.document["paths"][OPERATION_PATH]["post"]["responses"]
        return frozenset(int(status) for status in responses if status.isdigit())
