"""The compiled fast path (jsonschema-rs) and the reference validator (jsonschema) never disagree.

Valid bodies skip jsonschema entirely, so a body jsonschema-rs wrongly accepts would reach the
renderer unchecked; these properties compare the two verdicts on bodies made around every bound,
enum and type of the spec's request schemas, plus arbitrary JSON.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.generation.validation import RequestValidator
from mock_server.spec import MediaKind
from tests.support import spec

MEDIA: tuple[MediaKind, ...] = ("json", "multipart")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=6,
)


def _near(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values on and around what ``schema`` allows: its bounds, lengths and enum, in several types."""
    numbers: list[float] = []
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in schema:
            bound = schema[key]
            numbers += [bound - 1, bound - 0.5, bound, bound + 0.5, bound + 1, float(bound)]
    lengths = [schema[key] + d for key in ("minLength", "maxLength") if key in schema for d in (-1, 0, 1)]
    odd = st.sampled_from([0, 1, -1, 1.5, 2**64, "", "1", True, "\ud800"])  # a lone surrogate: Rust strings refuse it
    options: list[st.SearchStrategy[Any]] = [json_values, odd]
    if numbers:
        options.append(st.sampled_from(numbers) | st.sampled_from([int(n) for n in numbers]))
    if lengths:
        options.append(st.sampled_from([max(0, n) for n in lengths]).map(lambda n: "x" * n))
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]) | st.sampled_from([str(v).upper() for v in schema["enum"]]))
    if schema.get("type") == "array":
        options.append(st.lists(st.text(max_size=3), max_size=3))
    return st.one_of(options)


def bodies(media: MediaKind) -> st.SearchStrategy[dict[str, Any]]:
    properties = spec().properties(media)
    base = st.fixed_dictionaries({}, optional={"model": st.just("eigen-image"), "prompt": st.just("a fox")})
    chosen = st.lists(st.sampled_from([*properties, "size", "extra"]), max_size=5, unique=True)
    extra = chosen.flatmap(lambda names: st.fixed_dictionaries({n: _near(properties.get(n, {})) for n in names}))
    return st.builds(lambda b, e: {**b, **e}, base, extra)


@pytest.fixture(scope="module")
def validators() -> RequestValidator:
    return RequestValidator(spec())


@pytest.mark.parametrize("media", MEDIA)
@given(data=st.data())
def test_fast_and_reference_validators_agree(validators: RequestValidator, media: MediaKind, data: Any) -> None:
    instance = data.draw(bodies(media), label="body")
    reference = not list(spec().validator(media).iter_errors(instance))
    assert validators.is_valid(media, instance) == reference, instance
