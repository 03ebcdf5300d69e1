"""Turn an ``image_path`` into the bytes of the source image.

Why a policy object: ``image_path`` lets a client make the mock read things, which is a
server-side request forgery and local file disclosure hazard. So the default reads only what
the request itself carries (``data:`` URLs) and the configured S3 storage. HTTP(S) hosts must be
allowed one by one (``--allow-source-host``), local files only below ``--source-root``, and
every read is bounded in bytes and time. ``data:`` URLs follow RFC 2397, base64 or
percent-encoded.

Errors: an ``image_path`` that is not a usable reference at all is ``InvalidParameter``
(``InvalidS3Path`` for a malformed ``s3://``); a well-formed one that cannot or may not be
read is ``SourceUnavailable``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

import httpx

from mock_server import errors, surrogates
from mock_server.s3.paths import S3Location

if TYPE_CHECKING:  # boto3 comes with the s3 extra, imported only when S3 is configured
    from mock_server.s3.storage import S3Storage

PARAM = "image_path"
MAX_REDIRECTS = 5
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _invalid(message: str) -> errors.InvalidParameter:
    return errors.InvalidParameter(message, param=PARAM)


def _unavailable(message: str) -> errors.SourceUnavailable:
    return errors.SourceUnavailable(message, param=PARAM)


@dataclass(frozen=True)
class SourcePolicy:
    """What ``image_path`` may reach. The defaults make no outbound request and read no file."""

    #: Lower-case host names, or ``host:port`` (``[v6]:port`` for IPv6); a bare host allows any port.
    allowed_hosts: frozenset[str] = frozenset()
    #: Directory that plain paths and ``file://`` URLs are confined to; None disables them.
    local_root: Path | None = None
    max_bytes: int = 25 * 1024 * 1024
    #: Seconds for a whole HTTP(S) fetch, redirects included.
    fetch_timeout: float = 10.0

    def allows(self, url: httpx.URL) -> bool:
        host = url.host.lower()
        netloc_host = f"[{host}]" if ":" in host else host
        port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
        allowed = {entry.strip().lower() for entry in self.allowed_hosts}
        return host in allowed or netloc_host in allowed or f"{netloc_host}:{port}" in allowed


class SourceResolver:
    """Resolves ``image_path`` values under one ``SourcePolicy``; safe to share between threads."""

    def __init__(self, policy: SourcePolicy, storage: S3Storage | None = None) -> None:
        self.policy = policy
        self.storage = storage

    def resolve(self, image_path: str) -> bytes:
        if not isinstance(image_path, str) or not image_path.strip():
            raise _invalid("image_path must be a non-empty URL or path")
        if not surrogates.is_text(image_path):  # refused at parsing; this guards the Python API too
            raise _invalid("image_path holds an unpaired UTF-16 surrogate, which is not text")
        match = _SCHEME.match(image_path)
        scheme = match.group(1).lower() if match else None
        if scheme == "data":
            return self._from_data_url(image_path)
        if scheme == "s3":
            return self._from_s3(image_path)
        if scheme in ("http", "https"):
            return self._from_http(image_path)
        if scheme == "file":
            return self._from_local(_file_url_path(image_path))
        if scheme is None:
            return self._from_local(image_path)
        raise _invalid(f"image_path scheme '{scheme}:' is not supported; use https://, http://, s3:// or data:")

    # -- data: -------------------------------------------------------------------------------

    # Twin of contract_tests/wire/exchange.py's unbase64 (data URLs); keep both: the suite never imports mock_server.
    def _from_data_url(self, url: str) -> bytes:
        header, comma, payload = url[len("data:") :].partition(",")
        if not comma:
            raise _invalid("image_path data URL has no ',' before its data (data:[<type>][;base64],<data>)")
        is_base64 = header.split(";")[-1].strip().lower() == "base64"
        too_large = errors.PayloadTooLarge(f"image_path data URL is over {self.policy.max_bytes} bytes", param=PARAM)
        if len(payload) > 4 * self.policy.max_bytes + 16:  # no encoding is denser than this: skip decoding
            raise too_large
        data = _decode_base64(payload) if is_base64 else unquote_to_bytes(payload)
        if not data:
            raise _invalid("image_path data URL carries no data")
        if len(data) > self.policy.max_bytes:
            raise too_large
        return data

    # -- s3:// -------------------------------------------------------------------------------

    def _from_s3(self, uri: str) -> bytes:
        location = S3Location.parse(uri, param=PARAM)
        if self.storage is None:
            raise _unavailable(f"image_path {location} cannot be read: this mock has no S3 storage configured")
        return self.storage.get(location, max_bytes=self.policy.max_bytes)

    # -- http(s):// --------------------------------------------------------------------------

    def _from_http(self, raw_url: str) -> bytes:
        url = _parse_http_url(raw_url)
        self._check_host(url)
        deadline = time.monotonic() + self.policy.fetch_timeout
        with httpx.Client(timeout=self.policy.fetch_timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                next_url = self._fetch_once(client, url, deadline)
                if isinstance(next_url, bytes):
                    return next_url
                url = next_url
        raise _unavailable(f"image_path on {_label(url)} redirected more than {MAX_REDIRECTS} times")

    def _check_host(self, url: httpx.URL) -> None:
        if not self.policy.allows(url):
            raise _unavailable(
                f"image_path host '{_label(url)}' is not on the allow-list; the mock fetches only from hosts "
                f"allowed with --allow-source-host HOST[:PORT]"
            )

    def _fetch_once(self, client: httpx.Client, url: httpx.URL, deadline: float) -> bytes | httpx.URL:
        """The body at ``url``, or the same-host URL it redirects to."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _unavailable(f"image_path on {_label(url)} took over {self.policy.fetch_timeout:g} s")
        try:
            with client.stream("GET", url, timeout=remaining) as response:
                if response.is_redirect:
                    return self._redirect_target(url, response)
                if not response.is_success:
                    raise _unavailable(f"image_path on {_label(url)} answered HTTP {response.status_code}")
                return self._read_body(url, response, deadline)
        except httpx.TimeoutException as exc:
            raise _unavailable(f"image_path on {_label(url)} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise _unavailable(f"image_path could not be fetched from {_label(url)} ({type(exc).__name__})") from exc

    def _redirect_target(self, url: httpx.URL, response: httpx.Response) -> httpx.URL:
        target = _parse_http_url(urljoin(str(url), response.headers.get("location", "")))
        if (target.host, target.port or 0) != (url.host, url.port or 0) or target.scheme != url.scheme:
            raise _unavailable(f"image_path on {_label(url)} redirects to another host, which is not followed")
        return target

    def _read_body(self, url: httpx.URL, response: httpx.Response, deadline: float) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _unavailable(f"image_path on {_label(url)} is {declared} bytes, over the limit of {limit}")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise _unavailable(f"image_path on {_label(url)} is over the limit of {limit} bytes")
            if time.monotonic() > deadline:
                raise _unavailable(f"image_path on {_label(url)} took over {self.policy.fetch_timeout:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- local files -------------------------------------------------------------------------

    def _from_local(self, raw_path: str) -> bytes:
        root = self.policy.local_root
        if root is None:
            raise _unavailable("image_path local files are disabled; start the mock with --source-root DIR to allow")
        if "\x00" in raw_path:
            raise _invalid("image_path must not contain NUL characters")
        path = _inside_root(root, raw_path)
        return _read_regular_file(path, raw_path, self.policy.max_bytes)


def _decode_base64(payload: str) -> bytes:
    """Standard base64, whitespace and missing padding tolerated, anything else refused."""
    text = "".join(unquote(payload).split())
    body = text.rstrip("=")
    if len(text) - len(body) > 2 or "=" in body or len(body) % 4 == 1:
        raise _invalid("image_path data URL is not valid base64")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("image_path data URL is not valid base64") from exc


def _parse_http_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise _invalid("image_path is not a valid URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise _invalid("image_path URL must be http:// or https:// with a host")
    return url


def _label(url: httpx.URL) -> str:
    """Host and port of ``url`` for messages (never user info or query)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port else host


def _file_url_path(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise _invalid("image_path file:// URL must name a local file (file:///path)")
    if not parts.path:
        raise _invalid("image_path file:// URL has no path")
    return unquote(parts.path)


def _inside_root(root: Path, raw_path: str) -> Path:
    """``raw_path`` resolved (symlinks followed) if it stays below ``root``."""
    real_root = root.resolve()
    try:
        real = (real_root / raw_path).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on older Pythons
        raise _unavailable("image_path cannot be resolved below --source-root") from exc
    if not real.is_relative_to(real_root):
        raise _unavailable("image_path points outside the directory given with --source-root")
    return real


def _read_regular_file(path: Path, shown: str, max_bytes: int) -> bytes:
    """Read ``path`` without following a last-moment symlink and without blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise _unavailable(f"image_path '{shown}' does not exist under --source-root") from exc
    except OSError as exc:
        raise _unavailable(f"image_path '{shown}' cannot be opened ({exc.strerror})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _unavailable(f"image_path '{shown}' is not a regular file")
        if info.st_size > max_bytes:
            raise _unavailable(f"image_path '{shown}' is {info.st_size} bytes, over the limit of {max_bytes}")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _unavailable(f"image_path '{shown}' is over the limit of {max_bytes} bytes")
    return data
