"""``curl`` commands that reproduce a recorded request, with the API key redacted.

The real key becomes ``$EIGEN_API_KEY`` (export it and the command runs as is). Bodies that are
short printable text are inlined; others (multipart with image bytes, long JSON) are written to
a file next to the report and sent with ``--data-binary @file``, so the bytes are exactly those
the suite sent.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from .exchange import SentRequest

KEY_VARIABLE = "EIGEN_API_KEY"
_INLINE_LIMIT = 2000
_SKIP_HEADERS = frozenset({"content-length", "user-agent", "accept-encoding", "connection", "accept"})
_REDACTED = b"<redacted-api-key>"


def curl(sent: SentRequest, api_key: str, body_dir: Path | None = None) -> str:
    """A shell command that sends ``sent`` again."""
    parts = ["curl", "-sS", "-X", sent.method, shlex.quote(sent.url)]
    for name, value in sent.headers.items():
        if name.lower() in _SKIP_HEADERS or name.lower().startswith("x-schemathesis"):
            continue
        parts += ["-H", _header(name, value, api_key)]
    parts += _body(sent, api_key, body_dir)
    return " ".join(parts)


def _header(name: str, value: str, api_key: str) -> str:
    if api_key and api_key in value:
        return '"' + f"{name}: {value}".replace(api_key, "$" + KEY_VARIABLE).replace('"', '\\"') + '"'
    return shlex.quote(f"{name}: {value}")


def _body(sent: SentRequest, api_key: str, body_dir: Path | None) -> list[str]:
    body = sent.body.replace(api_key.encode(), _REDACTED) if api_key else sent.body
    if not body:
        return []
    text = _printable(body)
    if text is not None and len(text) <= _INLINE_LIMIT:
        return ["--data-binary", shlex.quote(text)]
    if body_dir is None:
        return [f"--data-binary '<{len(body)} bytes not saved: pass --repro-dir>'"]
    body_dir.mkdir(parents=True, exist_ok=True)
    path = body_dir / f"body-{hashlib.sha256(body).hexdigest()[:16]}.bin"
    path.write_bytes(body)
    return ["--data-binary", shlex.quote(f"@{path}")]


def _printable(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(ch.isprintable() or ch in "\r\n\t" for ch in text) else None
