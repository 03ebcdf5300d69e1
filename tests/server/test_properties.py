"""Hypothesis properties of generation: determinism, size, format, seed round trip, binary == base64."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from PIL import ImageChops, ImageStat

from tests.fixtures.app import InProcessClient
from tests.support import image_of, models_with, sha256

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}

prompts = st.text(min_size=1, max_size=80)
sides = st.integers(min_value=512, max_value=2048)
#: Properties that are not about size draw from the cheap end, so the suite stays fast.
small_sides = st.integers(min_value=512, max_value=640)


@st.composite
def t2i_requests(
    draw: st.DrawFn, *, with_seed: bool = True, side: st.SearchStrategy[int] = small_sides
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": draw(st.sampled_from(models_with("text-to-image"))),
        "prompt": draw(prompts),
        "width": draw(side),
        "height": draw(side),
        "output_format": draw(st.sampled_from(["png", "jpg", "jpeg"])),
    }
    if with_seed:
        body["seed"] = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return body


@given(body=t2i_requests())
def test_same_request_same_bytes(client: InProcessClient, body: dict[str, Any]) -> None:
    first, second = client.generate(json=body).json(), client.generate(json=body).json()
    assert first["image_base64"] == second["image_base64"]
    assert {k: v for k, v in first.items() if k not in ("request_id", "created")} == {
        k: v for k, v in second.items() if k not in ("request_id", "created")
    }


@given(body=t2i_requests(side=sides))
def test_size_and_format_are_as_requested(client: InProcessClient, body: dict[str, Any]) -> None:
    response = client.generate(json=body)
    data, image = image_of(response)
    fmt = "png" if body["output_format"] == "png" else "jpg"
    assert data.startswith(MAGIC[fmt])
    assert image.size == (body["width"], body["height"])
    assert response.json()["output_format"] == fmt


@given(body=t2i_requests(with_seed=False))
def test_seed_round_trip(client: InProcessClient, body: dict[str, Any]) -> None:
    first = client.generate(json=body).json()
    assert 0 <= first["seed"] <= 2**32 - 1
    replay = client.generate(json={**body, "seed": first["seed"]}).json()
    assert replay["image_sha256"] == first["image_sha256"]


@given(body=t2i_requests())
def test_binary_response_equals_json_base64(client: InProcessClient, body: dict[str, Any]) -> None:
    as_json = client.generate(json=body).json()
    as_binary = client.generate(json={**body, "binary_response": True})
    assert as_binary.content == base64.b64decode(as_json["image_base64"])
    assert as_binary.headers["x-image-sha256"] == as_json["image_sha256"] == sha256(as_binary.content)
    assert as_binary.headers["x-seed"] == str(as_json["seed"])


@given(body=t2i_requests(), other=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_different_seed_gives_a_visibly_different_image(
    client: InProcessClient, body: dict[str, Any], other: int
) -> None:
    body = {**body, "width": 512, "height": 512, "output_format": "png"}
    if other == body["seed"]:
        other = (other + 1) % 2**32
    _, first = image_of(client.generate(json=body))
    _, second = image_of(client.generate(json={**body, "seed": other}))
    difference = ImageChops.difference(first.convert("RGB"), second.convert("RGB"))
    mean = sum(ImageStat.Stat(difference).mean) / 3
    assert mean > 8, f"mean channel difference {mean:.1f} is not visible"
