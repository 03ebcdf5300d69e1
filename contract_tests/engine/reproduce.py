"""``curl`` commands that reproduce a recorded request, with the API key redacted.

The real key becomes ``$EIGEN_API_KEY`` (export it and the command runs as is). Only short
printable text without line breaks is inlined (single-quoted); a multipart body, or any body with
bytes a terminal would mangle (CR, control characters, binary), is written to a file under the
reproduction directory and sent with ``--data-binary @file``, so the bytes are exactly those the
suite sent and the command survives copy-paste. Header values a terminal would mangle use ANSI-C
``$'...'`` quoting.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from ..wire.exchange import SentRequest

KEY_VARIABLE = "EIGEN_API_KEY"
_INLINE_LIMIT = 200
#: Without a directory to save bodies in, a body this small is inlined with ANSI-C quoting.
_ANSI_C_LIMIT = 8192
_SKIP_HEADERS = frozenset({"content-length", "user-agent", "accept-encoding", "connection", "accept"})
_REDACTED = b"<redacted-api-key>"


def curl(sent: SentRequest, api_key: str, body_dir: Path | None = None) -> str:
    """A shell command (bash, zsh, ksh) that sends ``sent`` again."""
    parts = ["curl", "-sS", "-X", quote(sent.method), quote(sent.url)]
    for name, value in sent.headers.items():
        if name.lower() in _SKIP_HEADERS or name.lower().startswith("x-schemathesis"):
            continue
        parts += ["-H", _header(name, value, api_key)]
    parts += _body(sent, api_key, body_dir)
    return " ".join(parts)


def quote(text: str) -> str:
    """One shell word for ``text``: single quotes, or ``$'...'`` when it holds characters a terminal mangles."""
    return shlex.quote(text) if _plain(text) else ansi_c(text.encode("utf-8"))


def ansi_c(data: bytes) -> str:
    """``$'...'``: every byte survives copy-paste (non-printable ones as ``\\xHH``)."""
    out = []
    for byte in data:
        char = chr(byte)
        if char in "\\'":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def _header(name: str, value: str, api_key: str) -> str:
    line = f"{name}: {value}"
    if api_key and api_key in value and _plain(line):
        pieces = (_double_quoted(piece) for piece in line.split(api_key))
        return '"' + f"${{{KEY_VARIABLE}}}".join(pieces) + '"'
    return quote(line)


def _double_quoted(text: str) -> str:
    for char in '\\"$`':
        text = text.replace(char, "\\" + char)
    return text


def _body(sent: SentRequest, api_key: str, body_dir: Path | None) -> list[str]:
    body = sent.body.replace(api_key.encode(), _REDACTED) if api_key else sent.body
    if not body:
        return []
    text = _printable(body)
    if text is not None and len(text) <= _INLINE_LIMIT and sent.media != "multipart":
        return ["--data-binary", shlex.quote(text)]
    if body_dir is None:
        if len(body) <= _ANSI_C_LIMIT:
            return ["--data-binary", ansi_c(body)]
        return [f"--data-binary '<{len(body)} bytes not saved: pass --repro-dir>'"]
    body_dir.mkdir(parents=True, exist_ok=True)
    path = body_dir / f"body-{hashlib.sha256(body).hexdigest()[:16]}.bin"
    path.write_bytes(body)
    return ["--data-binary", quote(f"@{path}")]


def _printable(body: bytes) -> str | None:
    """The body as text when every character is printable (no CR, no control characters)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _plain(text) else None


def _plain(text: str) -> bool:
    return all(ch.isprintable() for ch in text)
