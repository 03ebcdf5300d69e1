"""A cassette is checked whole before the server starts: a bad one is one clear line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mock_server.cli import main
from mock_server.proxy.cassette import Cassette, CassetteError, Interaction, RecordedResponse
from tests.fixtures.servers import mock_command

PNG = (Path(__file__).resolve().parents[2] / "fixtures" / "images" / "square.png").read_bytes()
KEY = "ab" * 32


def recorded(directory: Path) -> Path:
    """A cassette of two good exchanges (an image and a JSON error); the JSON one's file."""
    cassette = Cassette(directory)
    cassette.record(Interaction(KEY, {"method": "POST"}, RecordedResponse(200, (("Content-Type", "image/png"),), PNG)))
    error = b'{"error": {"code": "invalid_parameter", "message": "m", "param": null, "request_id": "r"}}'
    return cassette.record(
        Interaction(
            "cd" * 32, {}, RecordedResponse(400, (("Content-Type", "application/json"), ("X-Request-Id", "r")), error)
        )
    )


def edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(directory: Path) -> None:
        path = recorded(directory)
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))

    return apply


def link_blob(directory: Path) -> None:
    recorded(directory)
    (blob,) = (directory / "blobs").iterdir()
    outside = directory.parent / "elsewhere.png"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)


def link_interaction(directory: Path) -> None:
    path = recorded(directory)
    outside = directory.parent / "elsewhere.json"
    os.replace(path, outside)
    path.symlink_to(outside)


def link_blobs_folder(directory: Path) -> None:
    recorded(directory)
    os.replace(directory / "blobs", directory.parent / "blobs-elsewhere")
    (directory / "blobs").symlink_to(directory.parent / "blobs-elsewhere")


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "value with CR LF": (
        edit(lambda d: d["response"]["headers"].append(["X-Evil", "a\r\nSet-Cookie: x=1"])),
        "control character",
    ),
    "value with NUL": (edit(lambda d: d["response"]["headers"].append(["X-Evil", "a\x00b"])), "control character"),
    "name with a space": (edit(lambda d: d["response"]["headers"].append(["X Evil", "a"])), "not an HTTP token"),
    "name with a colon": (edit(lambda d: d["response"]["headers"].append(["X-Evil:", "a"])), "not an HTTP token"),
    "empty name": (edit(lambda d: d["response"]["headers"].append(["", "a"])), "not an HTTP token"),
    "status 99": (edit(lambda d: d["response"].update(status=99)), "status 99"),
    "status 600": (edit(lambda d: d["response"].update(status=600)), "status 600"),
    "status 101": (edit(lambda d: d["response"].update(status=101)), "status 101"),
    "status as text": (edit(lambda d: d["response"].update(status="200")), "status 200"),
    "status true": (edit(lambda d: d["response"].update(status=True)), "status True"),
    "headers not pairs": (edit(lambda d: d["response"].update(headers=[["a"]])), "pairs"),
    "bad base64": (edit(lambda d: d["response"].update(body={"base64": "***"})), "cannot read"),
    "two body kinds": (edit(lambda d: d["response"].update(body={"text": "a", "base64": "YQ=="})), "body must be"),
    "missing blob": (edit(lambda d: d["response"].update(body={"blob": "0" * 64 + ".png"})), "cannot read"),
    "no key": (edit(lambda d: d.pop("key")), "key must be"),
    "symlinked blob": (link_blob, "symbolic link"),
    "symlinked exchange": (link_interaction, "symbolic link"),
    "symlinked blobs folder": (link_blobs_folder, "not a directory of the cassette"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_cassette_is_refused_at_start_up_in_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spoil, reason = BAD[name]
    spoil(tmp_path / "cassette")
    with pytest.raises(CassetteError, match=reason):
        Cassette(tmp_path / "cassette").interactions()
    assert main(["serve", "--no-s3", "--replay", str(tmp_path / "cassette"), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("eigen-mock: cannot read") and err.count("\n") == 1 and reason in err


def test_a_good_cassette_loads_as_recorded(tmp_path: Path) -> None:
    recorded(tmp_path)
    loaded = {interaction.key: interaction.response for interaction in Cassette(tmp_path).interactions()}
    assert loaded[KEY] == RecordedResponse(200, (("Content-Type", "image/png"),), PNG)
    assert loaded["cd" * 32].status == 400 and ("X-Request-Id", "r") in loaded["cd" * 32].headers


def test_a_fifo_named_like_an_exchange_does_not_hang_start_up(tmp_path: Path) -> None:
    recorded(tmp_path / "cassette")
    os.mkfifo(tmp_path / "cassette" / "interactions" / "0-fifo.json")
    done = subprocess.run(
        mock_command("--no-s3", "--port", "1", "--replay", str(tmp_path / "cassette")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "0-fifo.json is not a regular file" in done.stderr
