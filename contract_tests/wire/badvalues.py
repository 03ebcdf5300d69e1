"""Invalid values of a parameter, read off its schema in the spec: what a server must refuse."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def bad_values(schema: Mapping[str, Any], strict_json: bool = True) -> list[tuple[str, Any]]:
    """``(why it is invalid, value)`` for a JSON body, the most telling first."""
    return list(_by_bounds(schema)) + list(_by_type(schema, strict_json))


def _by_bounds(schema: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    kind = schema.get("type")
    if "maximum" in schema:
        yield f"above its maximum {schema['maximum']}", schema["maximum"] + 1
    if "minimum" in schema:
        yield f"below its minimum {schema['minimum']}", schema["minimum"] - 1
    if "enum" in schema:
        yield "not one of its values", f"not-{schema['enum'][0]}"
    if kind == "string" and "maxLength" in schema:
        yield f"longer than {schema['maxLength']} characters", "x" * (schema["maxLength"] + 1)
    if kind == "string" and schema.get("minLength", 0) > 0:
        yield "empty", ""


def _by_type(schema: Mapping[str, Any], strict_json: bool) -> Iterator[tuple[str, Any]]:
    kind = schema.get("type")
    if kind == "integer":
        yield "a fraction where an integer is required", schema.get("minimum", 0) + 0.5
    if strict_json and kind in ("integer", "number"):
        yield "a number as a JSON string", str(schema.get("minimum", 1))
    if strict_json and kind == "boolean":
        yield "a boolean as a JSON string", "true"
    if kind in ("integer", "number", "boolean") or strict_json:
        yield "null", None
