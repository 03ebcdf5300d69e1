"""What the suite reads from the OpenAPI document: parameter domains, error codes, id formats.

The spec is the single source of truth: ranges, enums, defaults and the error codes allowed for
each status come from here, so a change to the contract changes the checks with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .resources import read_yaml, spec_path

_REQUEST_SCHEMAS = {"json": "GenerateJsonRequest", "multipart": "GenerateMultipartRequest"}
_URI = "urn:eigen-contract:openapi"


# Twin of mock_server/spec.py's Spec (the spec reader); keep both: the suite never imports mock_server.
@dataclass(frozen=True)
class ContractSpec:
    document: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> ContractSpec:
        return cls(read_yaml(path or spec_path()))

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Follow local ``$ref`` chains (``#/components/...``) until a concrete schema."""
        seen = 0
        while "$ref" in schema and seen < 32:
            node: Any = self.document
            for part in str(schema["$ref"]).removeprefix("#/").split("/"):
                node = node[part]
            schema, seen = node, seen + 1
        return dict(schema)

    def properties(self, media: str = "json") -> dict[str, dict[str, Any]]:
        """Every request parameter of ``media`` (``json`` or ``multipart``) with its resolved schema."""
        raw = self.document["components"]["schemas"][_REQUEST_SCHEMAS[media]]["properties"]
        return {name: self.resolve(schema) for name, schema in raw.items()}

    @cached_property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return self.properties("json")

    @cached_property
    def parameter_types(self) -> dict[str, str]:
        """Each parameter's JSON type (how a multipart text part must be read)."""
        return {name: str(schema.get("type")) for name, schema in self.parameters.items()}

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(self.document["components"]["schemas"][_REQUEST_SCHEMAS["json"]]["required"])

    def default(self, name: str) -> Any:
        return self.parameters[name].get("default")

    @cached_property
    def request_id_pattern(self) -> re.Pattern[str]:
        return re.compile(self.document["components"]["schemas"]["RequestId"]["pattern"])

    @cached_property
    def error_codes(self) -> dict[int, frozenset[str]]:
        """The contract's error codes allowed for each documented status of the operation."""
        responses = self.document["paths"]["/api/v1/generate"]["post"]["responses"]
        codes: dict[int, frozenset[str]] = {}
        for status, response in responses.items():
            if str(status).startswith(("4", "5")):
                schema = self.resolve(self.resolve(response)["content"]["application/json"]["schema"])
                codes[int(status)] = frozenset(self._codes(schema))
        codes[404] = frozenset({"not_found"})  # any other path: described in info, not under the operation
        return codes

    def _codes(self, schema: Mapping[str, Any]) -> Iterator[str]:
        for part in schema.get("allOf", []):
            code = self.resolve(part).get("properties", {}).get("error", {}).get("properties", {}).get("code", {})
            yield from code.get("enum", [])
            if "const" in code:
                yield code["const"]

    def request_is_valid(self, body: object, media: str) -> bool:
        """Whether a request body (file parts as any string) is valid for the spec's request schema."""
        registry: Registry[Any] = Registry().with_resource(
            _URI, Resource.from_contents(dict(self.document), default_specification=DRAFT202012)
        )
        schema = {"$ref": f"{_URI}#/components/schemas/{_REQUEST_SCHEMAS[media]}"}
        return bool(Draft202012Validator(schema, registry=registry).is_valid(_files_as_text(body)))


def _files_as_text(value: object) -> object:
    """Binary file parts stand in as text: the schema types them as (binary) strings."""
    if isinstance(value, bytes | bytearray) or hasattr(value, "data") and isinstance(value, str):
        return "<file>"
    if isinstance(value, dict):
        return {key: _files_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_files_as_text(item) for item in value]
    return value
