"""Successful generation: every model in the library, both modes, both media types."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.fixtures.app import InProcessClient
from tests.support import (
    IMAGES,
    assert_schema,
    data_url,
    form,
    image_of,
    model_library,
    models_with,
    sha256,
    source_png,
)

T2I_MODELS = models_with("text-to-image")
EDIT_MODELS = models_with("image-editing")


@pytest.mark.parametrize("model", T2I_MODELS)
def test_text_to_image_json_matches_the_spec(client: InProcessClient, model: str) -> None:
    response = client.generate(json={"model": model, "prompt": "a fox", "seed": 5, "width": 512, "height": 640})
    body = response.json()
    assert_schema(body, "GenerateResponse")
    assert (body["model"], body["mode"], body["seed"]) == (model, "text-to-image", 5)
    assert (body["width"], body["height"], body["output_format"]) == (512, 640, "png")
    data, image = image_of(response)
    assert image.size == (512, 640) and image.format == "PNG"
    assert body["image_sha256"] == sha256(data)
    field = model_library().models[model].modes["text-to-image"].response_field
    assert body[field] == body["image_base64"]
    assert "s3_output_path" not in body


@pytest.mark.parametrize("model", EDIT_MODELS)
def test_image_editing_multipart_keeps_the_source_size(client: InProcessClient, model: str) -> None:
    response = client.generate(
        data={"model": model, "prompt": "make it winter", "seed": "3"},
        files={"image_file": ("source.png", source_png(), "image/png")},
    )
    body = response.json()
    assert_schema(body, "GenerateResponse")
    assert body["mode"] == "image-editing"
    assert image_of(response)[1].size == (640, 480)
    assert body[model_library().models[model].modes["image-editing"].response_field] == body["image_base64"]


@pytest.mark.parametrize("field", ["image_file", "image", "images"])
def test_every_upload_field_name_is_a_source(client: InProcessClient, field: str) -> None:
    response = client.generate(
        data={"model": "eigen-image", "prompt": "p", "seed": "1"}, files={field: ("s.png", source_png(), "image/png")}
    )
    assert response.json()["mode"] == "image-editing"


@pytest.mark.parametrize("field", ["image_file", "image"])
def test_json_carries_sources_as_base64(client: InProcessClient, field: str) -> None:
    encoded = base64.b64encode(source_png()).decode()
    response = client.generate(json={"model": "flux-1-kontext", "prompt": "p", "seed": 1, field: encoded})
    assert image_of(response)[1].size == (640, 480)


def test_image_path_data_url_is_the_same_source_as_an_upload(client: InProcessClient) -> None:
    params = {"model": "wan-image", "prompt": "p", "seed": 9}
    by_path = client.generate(json={**params, "image_path": data_url(source_png())})
    by_upload = client.generate(
        data={k: str(v) for k, v in params.items()}, files={"image": ("s.png", source_png(), "image/png")}
    )
    assert by_path.json()["image_sha256"] == by_upload.json()["image_sha256"]


def test_multi_image_model_takes_repeated_images_and_uses_each(client: InProcessClient) -> None:
    square = (IMAGES / "square.png").read_bytes()
    two = [("images", ("a.png", source_png(), "image/png")), ("images", ("b.png", square, "image/png"))]
    swapped = [two[1], two[0]]
    params = {"model": "qwen-image-edit-2511", "prompt": "merge", "seed": "4"}
    first, second = client.generate(data=params, files=two), client.generate(data=params, files=swapped)
    assert image_of(first)[1].size == (640, 480)
    assert image_of(second)[1].size == (512, 512)
    assert first.json()["use_lightning"] is True


def test_alias_model_is_echoed_and_behaves_like_its_target(client: InProcessClient) -> None:
    params = {"prompt": "p", "seed": 2, "weight": "vanilla", "image_path": data_url(source_png())}
    alias = client.generate(json={"model": "qwen-image-edit", **params}).json()
    target = client.generate(json={"model": "qwen-image-edit-2511", **params}).json()
    assert alias["model"] == "qwen-image-edit" and alias["use_lightning"] is False
    assert alias["image_sha256"] == target["image_sha256"]


def test_downsizing_mp_scales_the_edit_output_down(client: InProcessClient) -> None:
    response = client.generate(
        json={
            "model": "eigen-image",
            "prompt": "p",
            "seed": 1,
            "downsizing_mp": 0.1,
            "image_path": data_url(source_png()),
        }
    )
    width, height = image_of(response)[1].size
    assert width * height <= 100_000 and abs(width / height - 640 / 480) < 0.02


@pytest.mark.parametrize(
    ("requested", "reported", "pil_format"), [("png", "png", "PNG"), ("jpg", "jpg", "JPEG"), ("jpeg", "jpg", "JPEG")]
)
def test_output_format(client: InProcessClient, requested: str, reported: str, pil_format: str) -> None:
    response = client.generate(json={"model": "qwen-image", "prompt": "p", "output_format": requested})
    assert response.json()["output_format"] == reported
    assert image_of(response)[1].format == pil_format


def test_binary_response_headers(client: InProcessClient) -> None:
    response = client.generate(
        json={"model": "eigen-image", "prompt": "p", "seed": 77, "output_format": "jpg", "binary_response": True},
        headers={"Accept": "application/xml"},
    )
    assert response.headers["content-type"] == "image/jpeg"
    request_id = response.headers["x-request-id"]
    assert response.headers["x-seed"] == "77"
    assert response.headers["x-image-sha256"] == sha256(response.content)
    assert float(response.headers["x-processing-time-seconds"]) > 0
    assert response.headers["content-disposition"] == f'inline; filename="{request_id}.jpg"'
    assert Image.open(io.BytesIO(response.content)).size == (1024, 1024)


def test_multipart_scalars_are_parsed_to_their_types(client: InProcessClient) -> None:
    response = client.generate(
        files=form(
            model="eigen-image",
            prompt="p",
            seed=12,
            width=768,
            real_time="true",
            guidance_scale=2.5,
            binary_response="false",
        )
    )
    body = response.json()
    assert (body["seed"], body["width"], body["height"]) == (12, 768, 1024)


def test_processing_time_is_deterministic_and_grows_with_pixels(client: InProcessClient) -> None:
    def seconds(side: int) -> float:
        body = client.generate(json={"model": "qwen-image", "prompt": "p", "seed": 1, "width": side, "height": side})
        value: float = body.json()["processing_time_seconds"]
        return value

    assert seconds(512) == seconds(512) < seconds(1024) < seconds(2048)
