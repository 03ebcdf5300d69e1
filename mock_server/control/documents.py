"""Control-plane request bodies: JSON (or YAML where allowed) parsed and checked as plain data.

A control-plane body becomes a fault, a rate limit or a model library that every later request
uses, so it is refused whole unless it is plain JSON data: objects with string keys, arrays,
strings that are text (no unpaired surrogate), finite numbers, booleans and null. YAML's extras
(dates, sets, binary, non-string keys) and JSON's non-standard ``NaN``/``Infinity`` are refused
here, so they cannot be applied first and fail later (a ``.nan`` model library used to be applied
and then make every answer carry ``NaN``). YAML goes through ``bounded_yaml``. Pure and blocking:
the HTTP layer runs it off the event loop. No HTTP here.
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from mock_server import surrogates
from mock_server.control import bounded_yaml
from mock_server.errors import InvalidJson


def parse(body: bytes, *, allow_yaml: bool) -> Any:
    """The document in ``body``; ``InvalidJson`` naming the problem if it is not plain JSON data."""
    language = "YAML or JSON" if allow_yaml else "JSON"
    try:
        document = bounded_yaml.load(body) if allow_yaml else json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidJson(f"the body is not valid {language}: {str(exc)[:200]}") from None
    except RecursionError:
        raise InvalidJson(f"the body is not valid {language}: it is nested too deeply") from None
    problem = _problem(document, "$")
    if problem is not None:
        raise InvalidJson(f"the body is not plain JSON data: {problem}")
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _problem(value: Any, where: str, depth: int = 0) -> str | None:
    """What makes ``value`` (at JSON path ``where``) not plain JSON data, or None."""
    if depth > 64:
        return f"{where} is nested more than 64 levels"
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where} is {value!r}, not a finite number"
    if isinstance(value, str):
        return None if surrogates.is_text(value) else f"{where} holds an unpaired UTF-16 surrogate, which is not text"
    if isinstance(value, list):
        return next((p for i, item in enumerate(value) if (p := _problem(item, f"{where}[{i}]", depth + 1))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not surrogates.is_text(key):
                return f"{where} has a key {str(key)[:40]!r} that is not a text string"
            problem = _problem(item, f"{where}.{key[:40]}", depth + 1)
            if problem is not None:
                return problem
        return None
    return f"{where} is a {type(value).__name__}, which JSON does not have"
