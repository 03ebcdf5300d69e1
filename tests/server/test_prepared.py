"""A body sent again is answered as if it were new: same rules, fresh seed and id, journalled."""

from __future__ import annotations

import json

import pytest

from mock_server.datatypes import RawRequest, RenderedImage, RenderSpec
from mock_server.generation.body_cache import PreparedBodies
from mock_server.http.parsing import parse_json
from mock_server.imaging.renderer import Renderer
from tests.fixtures.app import AppFactory, InProcessClient
from tests.support import assert_error

BODY = json.dumps({"model": "qwen-image", "prompt": "a fox", "width": 512, "height": 512}).encode()
JSON = {"Content-Type": "application/json"}


def test_a_repeated_body_follows_a_replaced_model_library(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory())
    assert client.generate(content=BODY, headers={**client.headers, **JSON}).status_code == 200
    library = client.get("/_mock/models").json()
    library["models"] = [model for model in library["models"] if model["id"] != "qwen-image"]
    assert client.request("PUT", "/_mock/models", json=library).status_code == 200
    response = client.generate(content=BODY, headers={**client.headers, **JSON})
    assert_error(response, 400, "unknown_model", "model")
    assert client.post("/_mock/reset").status_code == 204
    assert client.generate(content=BODY, headers={**client.headers, **JSON}).status_code == 200


def test_a_repeated_body_without_a_seed_gets_a_new_seed_and_id_each_time(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory())
    answers = [client.generate(content=BODY, headers={**client.headers, **JSON}).json() for _ in range(4)]
    assert len({answer["seed"] for answer in answers}) == 4
    assert len({answer["request_id"] for answer in answers}) == 4
    journal = client.get("/_mock/requests").json()["requests"]
    assert [entry["request_id"] for entry in journal] == [answer["request_id"] for answer in answers]
    assert all(entry["params"]["model"] == "qwen-image" for entry in journal)


def test_a_repeated_invalid_body_is_refused_every_time(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory())
    bad = json.dumps({"model": "qwen-image", "prompt": "a fox", "width": 7}).encode()
    for _ in range(3):
        response = client.generate(content=bad, headers={**client.headers, **JSON})
        assert_error(response, 400, "invalid_parameter", "width")


def test_the_kept_bodies_are_the_most_recent_and_bounded() -> None:
    parsed: list[bytes] = []

    def parse(body: bytes) -> RawRequest:
        parsed.append(body)
        return parse_json(body)

    bodies = PreparedBodies(size=2, max_body=64)
    first, second, third = (json.dumps({"n": n}).encode() for n in range(3))
    for body in (first, second, first, third, second, first):
        bodies.prepare(body, parse)
    # ``first`` was kept (used again), ``second`` was dropped for ``third``, then ``first`` for ``second``.
    assert parsed == [first, second, third, second, first]
    large = json.dumps({"text": "x" * 100}).encode()
    bodies.prepare(large, parse)
    bodies.prepare(large, parse)
    assert parsed[-2:] == [large, large]  # longer than max_body: never kept


def test_a_repeated_body_with_a_seed_gets_the_same_answer_with_its_own_id(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory())
    seeded = json.dumps({"model": "eigen-image", "prompt": "a fox", "width": 512, "height": 512, "seed": 9}).encode()
    answers = [client.generate(content=seeded, headers={**client.headers, **JSON}).json() for _ in range(3)]
    assert len({answer["request_id"] for answer in answers}) == 3
    same = [{k: v for k, v in answer.items() if k not in ("request_id", "created")} for answer in answers]
    assert same[0] == same[1] == same[2] and same[0]["seed"] == 9
    journal = client.get("/_mock/requests").json()["requests"]
    assert [entry["request_id"] for entry in journal] == [answer["request_id"] for answer in answers]
    assert all(entry["image_sha256"] == answers[0]["image_sha256"] for entry in journal)


@pytest.mark.parametrize(("cache_size", "renders"), [(256, 1), (0, 3)])
def test_a_repeated_body_with_a_seed_is_rendered_once_while_images_are_cached(
    app_factory: AppFactory, cache_size: int, renders: int
) -> None:
    """The kept generation answers the repeats (not even the render cache is asked); with the
    render cache off, nothing is kept and every request renders."""
    app = app_factory(render_cache_size=cache_size)
    client, rendered = InProcessClient(app), []
    renderer: Renderer = app.state.runtime.generator.renderer
    render = renderer.render

    def counted(spec: RenderSpec) -> RenderedImage:
        rendered.append(spec)
        return render(spec)

    renderer.render = counted  # type: ignore[method-assign]
    seeded = json.dumps({"model": "eigen-image", "prompt": "a fox", "width": 512, "height": 512, "seed": 9}).encode()
    for _ in range(3):
        assert client.generate(content=seeded, headers={**client.headers, **JSON}).status_code == 200
    assert len(rendered) == renders
