"""No input reaches a 500: arbitrary JSON, arbitrary bytes, arbitrary multipart parts."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.app import InProcessClient
from tests.support import assert_error, spec

NAMES = sorted(spec().parameter_names) + ["size", "colour", ""]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
#: Mostly well-formed requests with a few wrong values, so the deeper rules get exercised too.
bodies = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["eigen-image", "qwen-image-edit-2511", "wan-image", "nope"]),
        "prompt": st.text(max_size=20),
    },
) | st.dictionaries(st.sampled_from(NAMES), json_values, max_size=6)


def assert_client_error_or_success(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 502, response.text
    if response.status_code >= 400:
        assert_error(response, response.status_code, response.json()["error"]["code"])


@given(body=bodies, extra=st.dictionaries(st.sampled_from(NAMES), json_values, max_size=3))
def test_any_json_object_gets_a_contract_answer(
    client: InProcessClient, body: dict[str, Any], extra: dict[str, Any]
) -> None:
    assert_client_error_or_success(client.generate(json={**body, **extra}))


@given(raw=st.binary(max_size=300), media=st.sampled_from(["application/json", "multipart/form-data; boundary=x"]))
def test_any_bytes_get_a_4xx(client: InProcessClient, raw: bytes, media: str) -> None:
    response = client.generate(content=raw, headers={**client.headers, "Content-Type": media})
    assert 400 <= response.status_code < 500, response.text


@given(parts=st.lists(st.tuples(st.sampled_from(NAMES), st.text(max_size=20), st.booleans()), max_size=6))
def test_any_multipart_parts_get_a_contract_answer(client: InProcessClient, parts: list[tuple[str, str, bool]]) -> None:
    files = [
        (name, (f"{name}.bin", value.encode(), "application/octet-stream") if as_file else (None, value))
        for name, value, as_file in parts
    ]
    assert_client_error_or_success(client.generate(files=files or [("model", (None, "eigen-image"))]))


def test_json_text_with_every_parameter_at_its_bounds(client: InProcessClient) -> None:
    body = {
        "model": "eigen-image",
        "prompt": "x" * 10_000,
        "seed": 2**32 - 1,
        "width": 2048,
        "height": 512,
        "guidance_scale": 20,
        "num_inference_steps": 100,
        "negative_prompt": "y" * 10_000,
        "real_time": True,
    }
    response = client.generate(
        content=json.dumps(body).encode(), headers={**client.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text


INTEGER_PARAMS = {
    "seed": st.integers(0, 2**32 - 1),
    "width": st.integers(512, 2048),
    "height": st.integers(512, 2048),
    "num_inference_steps": st.integers(1, 100),
}


@given(values=st.fixed_dictionaries({}, optional=INTEGER_PARAMS))
def test_integral_floats_are_the_same_request_as_integers(client: InProcessClient, values: dict[str, int]) -> None:
    base = {"model": "eigen-image", "prompt": "p", "seed": 1, "width": 512, "height": 512}
    as_ints = client.generate(json={**base, **values}).json()
    as_floats = client.generate(json={**base, **{k: float(v) for k, v in values.items()}}).json()
    assert as_floats["image_sha256"] == as_ints["image_sha256"]
    assert isinstance(as_floats["seed"], int) and isinstance(as_floats["width"], int)


@given(
    body=st.fixed_dictionaries({"prompt": st.text(max_size=40), "seed": st.integers(0, 2**32 - 1)}),
    cuts=st.lists(st.integers(0, 120), max_size=4),
)
def test_a_body_sent_in_pieces_is_the_same_request(
    client: InProcessClient, body: dict[str, Any], cuts: list[int]
) -> None:
    data = json.dumps({"model": "eigen-image", "width": 512, "height": 512, **body}).encode()
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)]

    async def stream() -> Any:
        for piece in pieces:  # empty pieces too: a chunk may carry no bytes
            yield piece

    headers = {**client.headers, "Content-Type": "application/json"}
    whole = client.generate(content=data, headers=headers)
    in_pieces = client.generate(content=stream(), headers=headers)
    assert in_pieces.status_code == whole.status_code, in_pieces.text
    if whole.status_code == 200:
        assert in_pieces.json()["image_sha256"] == whole.json()["image_sha256"]
    else:  # an empty prompt, say: the same refusal
        assert in_pieces.json()["error"]["code"] == whole.json()["error"]["code"]
