"""The suite's own building blocks: profiles, library, request parsing, curl rendering, public API."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

import contract_tests
from contract_tests.engine.registry import CHECKS
from contract_tests.engine.reproduce import curl
from contract_tests.judging.invariants import expected_edit_size
from contract_tests.profile import Profile, ProfileError
from contract_tests.wire.calls import MULTIPART, GenerateCall
from contract_tests.wire.exchange import SentRequest
from contract_tests.wire.images import source_image
from contract_tests.wire.session import sent_request

KEY = "sk-live-0123456789abcdef"


def test_public_api_is_sorted_and_importable() -> None:
    assert contract_tests.__all__ == sorted(contract_tests.__all__)
    for name in contract_tests.__all__:
        assert getattr(contract_tests, name) is not None


@pytest.mark.parametrize("name", ["mock", "live"])
def test_shipped_profiles_load_and_skip_only_known_checks(name: str) -> None:
    profile = Profile.load(name)
    assert profile.library.offerings
    assert set(profile.skip) <= set(CHECKS)


def test_the_live_profile_narrows_the_library() -> None:
    assert Profile.load("live").library.models() == ["eigen-image", "qwen-image-edit-2511"]


def test_a_malformed_profile_says_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_library: bundled:fixtures/models.yaml\nmodels: [no-such-model]\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="no-such-model"):
        Profile.load(bad)
    bad.write_text("modle_library: x\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="unknown profile keys: modle_library"):
        Profile.load(bad)


def test_multipart_requests_are_read_as_the_server_must_read_them() -> None:
    call = GenerateCall({"model": "m", "prompt": "p", "seed": 7, "binary_response": True}, media=MULTIPART)
    image = source_image(30, 20)
    prepared = requests.Request("POST", "http://x/api/v1/generate", **call.with_sources(("images", image)).encode())
    sent = sent_request(prepared.prepare())
    assert sent.params({"seed": "integer", "binary_response": "boolean"}) == {
        "model": "m",
        "prompt": "p",
        "seed": 7,
        "binary_response": True,
    }
    assert sent.sources() == [("images", image.data)]


def test_curl_redacts_the_key_and_saves_binary_bodies(tmp_path: Path) -> None:
    body = b"--b\r\n\x89PNG binary " + KEY.encode()
    sent = SentRequest({"Authorization": f"Bearer {KEY}"}, body, url="http://h/api/v1/generate")
    command = curl(sent, KEY, tmp_path)
    assert KEY not in command
    assert '"Authorization: Bearer ${EIGEN_API_KEY}"' in command
    saved = next(tmp_path.iterdir()).read_bytes()
    assert KEY.encode() not in saved
    assert saved.startswith(b"--b\r\n\x89PNG")


@pytest.mark.parametrize(
    ("size", "megapixels", "expected"),
    [((1600, 1200), 0.48, (800, 600)), ((300, 200), 16.0, (300, 200)), ((1000, 1000), None, (1000, 1000))],
)
def test_expected_edit_size(size: tuple[int, int], megapixels: float | None, expected: tuple[int, int]) -> None:
    assert expected_edit_size(*size, megapixels) == expected
