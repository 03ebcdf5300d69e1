"""The HTTP fast paths keep their promises: the same bytes and verdicts as the plain standard library."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.datatypes import RenderSpec
from mock_server.errors import InvalidJson, InvalidParameter
from mock_server.generation.generator import Generation
from mock_server.http.parsing import only_text, parse_json
from mock_server.http.responses import json_body
from mock_server.imaging.renderer import Renderer

RENDERER = Renderer(cache_size=8)


def t2i(seed: int) -> RenderSpec:
    return RenderSpec("eigen-image", "text-to-image", "a fox", seed, 512, 512, "png")


class _Plan:
    def __init__(self, model_id: str, response_field: str, s3: str | None) -> None:
        self.model_id = model_id
        self.mode = "text-to-image"
        self.response_field = response_field
        self.binary_response = False
        self.s3_output = s3


#: Extra fields are the model's own (``use_lightning``), never one of the fields every response has.
extra_names = st.text().filter(
    lambda name: (
        name
        not in {
            "request_id",
            "model",
            "mode",
            "seed",
            "width",
            "height",
            "output_format",
            "image_base64",
            "turbo_image_base64",
            "image_sha256",
            "s3_output_path",
            "created",
            "processing_time_seconds",
        }
    )
)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()


@settings(max_examples=60, deadline=None)
@given(
    model_id=st.text(),
    field=st.sampled_from(["image_base64", "turbo_image_base64"]),
    s3=st.none() | st.text(),
    extra=st.dictionaries(extra_names, json_scalars | st.lists(json_scalars), max_size=3),
    seed=st.integers(0, 2**32 - 1),
    seconds=st.floats(0, 1e6),
    created=st.integers(0, 2**40),
)
def test_json_body_is_the_json_of_to_json(
    model_id: str, field: str, s3: str | None, extra: dict[str, Any], seed: int, seconds: float, created: int
) -> None:
    image = RENDERER.render(t2i(7))
    plan = _Plan(model_id, field, s3)
    generation = Generation("gen_" + "0" * 32, plan, seed, image, seconds, created, extra)  # type: ignore[arg-type]
    expected = json.dumps(generation.to_json(), separators=(",", ":")).encode()
    assert json_body(generation) == expected
    assert json_body(generation) == expected  # a second time from what the first one kept
    again = generation.again("gen_" + "9" * 32, created + 1)  # a repeated request: what was kept, a new id and time
    assert json_body(again) == json.dumps(again.to_json(), separators=(",", ":")).encode()


@pytest.mark.parametrize("values", [(True, 1, 1.0), (False, 0, 0.0)])
def test_json_body_keeps_apart_values_that_are_equal_but_not_the_same_json(values: tuple[Any, ...]) -> None:
    image = RENDERER.render(t2i(8))
    for value in values * 2:
        generation = Generation(
            "gen_" + "1" * 32,
            _Plan("m", "image_base64", None),  # type: ignore[arg-type]
            1,
            image,
            1.0,
            0,
            {"use_lightning": value},
        )
        assert json_body(generation) == json.dumps(generation.to_json(), separators=(",", ":")).encode()


json_documents = st.recursive(
    json_scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=10
)


@settings(max_examples=150, deadline=None)
@given(
    body=st.one_of(
        st.tuples(json_documents, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32-be"])).map(
            lambda pair: json.dumps(pair[0], ensure_ascii=False).encode(pair[1], "surrogatepass")
        ),
        st.binary(max_size=40),
        st.sampled_from([b'{"a": NaN}', b"[Infinity]", b'{"a": 1} x', b'"\\ud800"', b"\xef\xbb\xbf{}", b"{" * 3000]),
    )
)
def test_parse_json_agrees_with_json_loads(body: bytes) -> None:
    """The parser keeps one decoder instead of making one per call, and must judge as json.loads does."""
    try:
        expected = json.loads(body, parse_constant=_refuse)
    except (ValueError, RecursionError):
        with pytest.raises(InvalidJson):
            parse_json(body)
        return
    if isinstance(expected, dict):
        assert parse_json(body).params == expected
    else:
        with pytest.raises(InvalidJson, match="must be a JSON object"):
            parse_json(body)


def _refuse(name: str) -> Any:
    raise ValueError(name)


#: Text that may hold lone surrogates, as a client's \u escapes or (let through) as raw bytes.
_maybe_surrogates = st.lists(st.characters() | st.sampled_from(["\ud800", "\udfff", "\U0001f600"]), max_size=6).map(
    "".join
)
_documents_with_surrogates = st.dictionaries(
    _maybe_surrogates,
    st.recursive(
        st.none() | st.integers() | _maybe_surrogates,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_maybe_surrogates, inner, max_size=3),
        max_leaves=6,
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(document=_documents_with_surrogates, ascii_only=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-16"]))
def test_parse_json_skips_the_surrogate_walk_only_where_it_finds_nothing(
    document: dict[str, Any], ascii_only: bool, encoding: str
) -> None:
    """A body with neither a \\u escape nor a surrogate skips ``only_text``; its verdict must be the walk's."""
    body = json.dumps(document, ensure_ascii=ascii_only).encode(encoding, "surrogatepass")
    try:
        expected: dict[str, Any] | type[Exception] = only_text(json.loads(body.decode(encoding, "surrogatepass")))
    except (InvalidJson, InvalidParameter) as exc:
        expected = type(exc)
    if isinstance(expected, dict):
        assert parse_json(body).params == expected
    else:
        with pytest.raises(expected):
            parse_json(body)
