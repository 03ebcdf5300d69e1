"""One rule for unpaired surrogates: a JSON string holding one is not text, in any field.

``{"prompt": "\\ud800"}`` used to be answered 200 and then broke the journal and the gallery
(500 until the journal was cleared); in ``image_path`` it was a 500 at once. Now every field
of every body is a 400 naming the field, and a stored record holding one (written before, or
by the Python API) never breaks a page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.app import AppFactory, InProcessClient
from tests.support import assert_error, spec

LONE = st.sampled_from(["\ud800", "\udfff", "\udc80", "\ud83d"])  # highs, lows, half of an emoji
NAMES = sorted(spec().parameter_names)


def raw_json(document: Any) -> bytes:
    """JSON text as a client would send it, the surrogates as ``\\u`` escapes."""
    return json.dumps(document, ensure_ascii=True).encode()


def post_json(client: InProcessClient, document: Any) -> Any:
    return client.generate(content=raw_json(document), headers={**client.headers, "Content-Type": "application/json"})


def assert_journal_and_gallery_answer(client: InProcessClient) -> None:
    journal = client.get("/_mock/requests")
    assert journal.status_code == 200, journal.text
    assert client.get("/_mock/ui/calls").status_code == 200


@given(name=st.sampled_from(NAMES), before=st.text(max_size=5), lone=LONE, nested=st.booleans())
def test_a_lone_surrogate_in_any_field_is_a_400_naming_it(
    client: InProcessClient, name: str, before: str, lone: str, nested: bool
) -> None:
    value: Any = before + lone
    value = [value] if nested else value
    body = {"model": "eigen-image", "prompt": "a cat", name: value}

    response = post_json(client, body)

    assert_error(response, 400, "invalid_parameter", param=name)
    assert "surrogate" in response.json()["error"]["message"]
    assert_journal_and_gallery_answer(client)


def test_a_lone_surrogate_in_a_field_name_is_invalid_json(client: InProcessClient) -> None:
    response = post_json(client, {"model": "eigen-image", "prompt": "a cat", "x\ud800": 1})

    assert_error(response, 400, "invalid_json", param=None)
    assert_journal_and_gallery_answer(client)


def test_a_lone_surrogate_sent_as_utf8_bytes_is_refused_too(client: InProcessClient) -> None:
    body = '{"model": "eigen-image", "prompt": "\ud800"}'.encode("utf-8", "surrogatepass")
    response = client.generate(content=body, headers={**client.headers, "Content-Type": "application/json"})

    assert_error(response, 400, "invalid_parameter", param="prompt")


def test_a_paired_surrogate_escape_is_text(client: InProcessClient) -> None:
    response = post_json(client, {"model": "eigen-image", "prompt": "a fox \U0001f98a", "seed": 1})

    assert response.status_code == 200, response.text
    assert_journal_and_gallery_answer(client)


@pytest.mark.parametrize("image_path", ["data:image/png;base64,\ud800", "data:,\ud800", "pic\ud800.png"])
def test_a_lone_surrogate_in_image_path_is_a_400(app_factory: AppFactory, tmp_path: Path, image_path: str) -> None:
    client = InProcessClient(app_factory(source_root=tmp_path))
    body = {"model": "qwen-image-edit-2511", "prompt": "edit", "image_path": image_path}

    assert_error(post_json(client, body), 400, "invalid_parameter", param="image_path")
    assert_journal_and_gallery_answer(client)


def test_a_multipart_charset_that_makes_surrogates_is_refused(client: InProcessClient) -> None:
    """``_charset_`` picks the codec of the text parts; an escape codec can make a surrogate."""
    files = [("_charset_", (None, "unicode_escape")), ("model", (None, "eigen-image")), ("prompt", (None, "\\ud800"))]
    response = client.generate(files=files)

    assert response.status_code == 400, response.text
    assert_journal_and_gallery_answer(client)


def test_control_plane_bodies_follow_the_same_rule(client: InProcessClient) -> None:
    response = client.request(
        "POST",
        "/_mock/faults",
        content=raw_json({"status": 503, "match": {"model": "\ud800"}}),
        headers={**client.headers, "Content-Type": "application/json"},
    )

    assert_error(response, 400, "invalid_json")
    assert client.get("/_mock/faults").status_code == 200


def test_a_stored_record_holding_a_lone_surrogate_never_breaks_the_journal_or_the_gallery(
    app_factory: AppFactory,
) -> None:
    """A record written by an older version (or through the Python API) is shown with U+FFFD."""
    app = app_factory()
    client = InProcessClient(app)
    app.state.runtime.journal.record(
        {
            "request_id": "gen_old",
            "method": "POST",
            "path": "/api/v1/generate",
            "time": 0.0,
            "status": 200,
            "params": {"prompt": "\ud800 old", "k\udc80": 1},
        }
    )

    journal = client.get("/_mock/requests")

    assert journal.status_code == 200, journal.text
    assert journal.json()["requests"][-1]["params"]["prompt"] == "\ufffd old"
    assert app.state.runtime.journal.calls().last.params["prompt"] == "\ufffd old"
    assert "\ufffd old" in client.get("/_mock/ui/calls").text
