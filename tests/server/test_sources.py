"""``image_path`` resolution: data URLs, S3 (real moto server), allow-listed HTTP, confined files.

Every server here listens on 127.0.0.1 on a free port and is stopped in ``finally``; nothing
reaches the network. moto's state is process-global, so S3 tests use unique bucket names.
"""

from __future__ import annotations

import base64
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mock_server import errors
from mock_server.generation.sources import SourcePolicy, SourceResolver
from mock_server.s3.embedded import EmbeddedS3
from mock_server.s3.paths import S3Location
from mock_server.s3.storage import S3Storage

pytestmark = pytest.mark.e2e

IMAGE = b"\x89PNG\r\n\x1a\n not really a png"
LIMIT = 1000


class _Handler(BaseHTTPRequestHandler):
    """Routes of the tiny source server; every request path is recorded in ``server.seen``."""

    server: _SourceServer

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        port = self.server.server_address[1]
        routes: dict[str, Callable[[], None]] = {
            "/img.png": lambda: self._send(200, IMAGE),
            "/big": lambda: self._send(200, b"x" * (LIMIT + 1)),
            "/big-unsized": self._send_unsized,
            "/missing": lambda: self._send(404, b"no"),
            "/same-host": lambda: self._redirect("/img.png"),
            "/other-host": lambda: self._redirect(f"http://localhost:{port}/img.png"),
            "/loop": lambda: self._redirect("/loop"),
        }
        routes.get(self.path, lambda: self._send(404, b"unknown"))()

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_unsized(self) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        for _ in range(LIMIT // 100 + 5):  # no Content-Length: the body ends when the server closes
            self.wfile.write(b"y" * 100)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _SourceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def http_source() -> Iterator[_SourceServer]:
    server = _SourceServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[EmbeddedS3]:
    with EmbeddedS3(bucket=f"src-{uuid.uuid4().hex[:16]}") as server:
        yield server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def resolver(*, allowed_hosts: frozenset[str] = frozenset(), local_root: Path | None = None) -> SourceResolver:
    return SourceResolver(SourcePolicy(allowed_hosts=allowed_hosts, local_root=local_root, max_bytes=LIMIT))


# -- data: ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("data:image/png;base64," + base64.b64encode(IMAGE).decode(), IMAGE),
        ("data:image/png;base64," + base64.b64encode(IMAGE).decode().rstrip("="), IMAGE),
        ("data:image/png;base64,iVBO\n Rw0K", base64.b64decode("iVBORw0K")),
        ("data:image/png;BASE64,iVBORw0K", base64.b64decode("iVBORw0K")),
        ("data:,hello%20world", b"hello world"),
        ("data:text/plain;charset=utf-8,%89PNG", b"\x89PNG"),
    ],
)
def test_data_urls_are_decoded(url: str, expected: bytes) -> None:
    assert resolver().resolve(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,!!!not base64",
        "data:image/png;base64,iVBORw0K=====",
        "data:image/png;base64",
        "data:image/png;base64,",
        "data:,",
    ],
)
def test_malformed_data_urls_are_invalid_parameter(url: str) -> None:
    with pytest.raises(errors.InvalidParameter) as caught:
        resolver().resolve(url)
    assert caught.value.code == "invalid_parameter"
    assert caught.value.param == "image_path"


def test_data_url_over_the_limit_is_payload_too_large() -> None:
    with pytest.raises(errors.PayloadTooLarge):
        resolver().resolve("data:image/png;base64," + base64.b64encode(b"z" * (LIMIT + 1)).decode())


# -- unsupported -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "   ", "ftp://example.com/a.png", "ftp:", "javascript:alert(1)", "S3X://b/k"])
def test_unsupported_references_are_invalid_parameter(path: str) -> None:
    with pytest.raises(errors.InvalidParameter) as caught:
        resolver(local_root=Path("/")).resolve(path)
    assert caught.value.param == "image_path"


# -- s3:// -----------------------------------------------------------------------------------------


def test_s3_source_is_read_from_storage(moto_s3: EmbeddedS3) -> None:
    storage = S3Storage(moto_s3.config())
    storage.put(S3Location(moto_s3.bucket, "in/cat.png"), IMAGE, "image/png")
    assert SourceResolver(SourcePolicy(), storage).resolve(f"s3://{moto_s3.bucket}/in/cat.png") == IMAGE


def test_s3_source_missing_key_is_source_unavailable(moto_s3: EmbeddedS3) -> None:
    storage = S3Storage(moto_s3.config())
    with pytest.raises(errors.SourceUnavailable):
        SourceResolver(SourcePolicy(), storage).resolve(f"s3://{moto_s3.bucket}/no/such.png")


def test_s3_source_without_storage_is_source_unavailable() -> None:
    with pytest.raises(errors.SourceUnavailable, match="no S3 storage"):
        resolver().resolve("s3://bucket/key.png")


def test_malformed_s3_source_is_invalid_s3_path() -> None:
    with pytest.raises(errors.InvalidS3Path) as caught:
        resolver().resolve("s3://Not_A_Bucket/key.png")
    assert caught.value.param == "image_path"


# -- http(s):// ------------------------------------------------------------------------------------


def test_host_not_allowed_fails_before_any_connection() -> None:
    url = f"http://127.0.0.1:{free_port()}/img.png"  # nothing listens: a connection attempt would say so
    with pytest.raises(errors.SourceUnavailable) as caught:
        resolver().resolve(url)
    assert "allow-list" in caught.value.message
    assert "--allow-source-host" in caught.value.message


@pytest.mark.parametrize("allowed", [frozenset(), frozenset({"example.com"}), frozenset({"127.0.0.1:1"})])
def test_host_not_allowed_makes_no_request(http_source: _SourceServer, allowed: frozenset[str]) -> None:
    before = list(http_source.seen)
    with pytest.raises(errors.SourceUnavailable, match="allow-list"):
        resolver(allowed_hosts=allowed).resolve(f"{http_source.base}/img.png")
    assert http_source.seen == before


@pytest.mark.parametrize("entry", ["127.0.0.1", " 127.0.0.1 ", "PORT"])
def test_allowed_host_is_fetched(http_source: _SourceServer, entry: str) -> None:
    entry = entry.replace("PORT", f"127.0.0.1:{http_source.server_address[1]}")
    assert resolver(allowed_hosts=frozenset({entry})).resolve(f"{http_source.base}/img.png") == IMAGE


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/big", "over the limit"),
        ("/big-unsized", "over the limit"),
        ("/missing", "HTTP 404"),
        ("/other-host", "another host"),
        ("/loop", "redirected more than"),
    ],
)
def test_unusable_http_sources_are_source_unavailable(http_source: _SourceServer, path: str, reason: str) -> None:
    with pytest.raises(errors.SourceUnavailable, match=reason):
        resolver(allowed_hosts=frozenset({"127.0.0.1"})).resolve(f"{http_source.base}{path}")


def test_redirect_to_the_same_host_is_followed(http_source: _SourceServer) -> None:
    assert resolver(allowed_hosts=frozenset({"127.0.0.1"})).resolve(f"{http_source.base}/same-host") == IMAGE


def test_allowed_host_that_refuses_connections_is_source_unavailable() -> None:
    with pytest.raises(errors.SourceUnavailable, match="could not be fetched"):
        resolver(allowed_hosts=frozenset({"127.0.0.1"})).resolve(f"http://127.0.0.1:{free_port()}/img.png")


# -- local files -----------------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    inside = tmp_path / "root"
    (inside / "sub").mkdir(parents=True)
    (inside / "sub" / "cat.png").write_bytes(IMAGE)
    (tmp_path / "secret.png").write_bytes(b"outside the root")
    (inside / "escape.png").symlink_to(tmp_path / "secret.png")
    (inside / "escape-dir").symlink_to(tmp_path)
    (inside / "alias.png").symlink_to(inside / "sub" / "cat.png")
    return inside


def test_local_paths_need_a_source_root() -> None:
    with pytest.raises(errors.SourceUnavailable, match="--source-root"):
        resolver().resolve("sub/cat.png")


@pytest.mark.parametrize("path", ["sub/cat.png", "./sub/../sub/cat.png", "alias.png", "ROOT/sub/cat.png", "FILE"])
def test_local_files_inside_the_root_are_read(root: Path, path: str) -> None:
    path = path.replace("ROOT", str(root)).replace("FILE", (root / "sub" / "cat.png").as_uri())
    assert resolver(local_root=root).resolve(path) == IMAGE


@pytest.mark.parametrize(
    "path",
    ["../secret.png", "sub/../../secret.png", "OUTSIDE", "escape.png", "escape-dir/secret.png", "FILE", "/etc/passwd"],
)
def test_escapes_from_the_root_are_rejected(root: Path, path: str) -> None:
    outside = root.parent / "secret.png"
    path = path.replace("OUTSIDE", str(outside)).replace("FILE", outside.as_uri())
    with pytest.raises(errors.SourceUnavailable, match="outside"):
        resolver(local_root=root).resolve(path)


@pytest.mark.parametrize(("path", "reason"), [("sub/nope.png", "does not exist"), ("sub", "not a regular file")])
def test_missing_or_odd_local_files_are_source_unavailable(root: Path, path: str, reason: str) -> None:
    with pytest.raises(errors.SourceUnavailable, match=reason):
        resolver(local_root=root).resolve(path)


def test_local_file_over_the_limit_is_source_unavailable(root: Path) -> None:
    (root / "big.bin").write_bytes(b"b" * (LIMIT + 1))
    with pytest.raises(errors.SourceUnavailable, match="over the limit"):
        resolver(local_root=root).resolve("big.bin")


def test_file_url_with_a_remote_host_is_invalid(root: Path) -> None:
    with pytest.raises(errors.InvalidParameter):
        resolver(local_root=root).resolve("file://server/share/cat.png")
