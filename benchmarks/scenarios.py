"""The benchmark's scenarios: what is sent, what a correct answer looks like, who can serve it.

Every scenario is a ``POST /api/v1/generate``. A body is split around its seed (``head`` +
seed + ``tail``) so that wrk can send a new seed on every request without building the body
in Python; ``probe_body`` is the same request with a fixed seed, sent once to check the answer
and to capture the exact bytes that the ceiling server replays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .loadgen import RequestTemplate
from .sources import photo_like

API_KEY = "eigen-mock-key"
PROMPT = "A watercolor fox in a snowy forest at dawn, soft light"
BOUNDARY = "eigenbenchboundary7f3a"
PROBE_SEED = 4242


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    content_type: str  #: of the request
    accept: str  #: sent to every server; the mock ignores it, Prism picks the response example by it
    expect: str  #: media type of a correct answer
    head: bytes
    tail: bytes | None  #: ``None``: the same body every time (no seed varies)
    fixed_seed: int | None = None
    is_1024: bool = True  #: counts for the tail-latency target
    prism_note: str = ""  #: how Prism's answer falls short, if it does

    def body(self, seed: int) -> bytes:
        return self.head if self.tail is None else self.head + str(seed).encode() + self.tail

    @property
    def probe_body(self) -> bytes:
        return self.body(PROBE_SEED)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {API_KEY}", "Content-Type": self.content_type, "Accept": self.accept}

    def template(self, workdir: Path, seed_start: int) -> RequestTemplate:
        """Write the body parts to ``workdir`` and describe them for wrk."""
        head = workdir / f"{self.name}.head"
        head.write_bytes(self.head)
        tail = None
        if self.tail is not None:
            tail = workdir / f"{self.name}.tail"
            tail.write_bytes(self.tail)
        return RequestTemplate(self.headers(), head, tail, seed_start)


def _json_parts(params: dict[str, Any], *, vary_seed: bool) -> tuple[bytes, bytes | None]:
    text = json.dumps(params, separators=(",", ":"))
    if not vary_seed:
        return text.encode(), None
    return (text[:-1] + ',"seed":').encode(), b"}"


def _multipart_parts(fields: dict[str, str], file_name: str, file_bytes: bytes) -> tuple[bytes, bytes]:
    """A multipart body whose ``seed`` part's value is left out: ``head`` ends where it goes."""
    crlf = b"\r\n"
    dash = f"--{BOUNDARY}".encode()
    head = b"".join(
        dash + crlf + f'Content-Disposition: form-data; name="{k}"'.encode() + crlf + crlf + v.encode() + crlf
        for k, v in fields.items()
    )
    head += dash + crlf + b'Content-Disposition: form-data; name="seed"' + crlf + crlf
    tail = crlf + dash + crlf
    tail += f'Content-Disposition: form-data; name="{file_name}"; filename="source.png"'.encode() + crlf
    tail += b"Content-Type: image/png" + crlf + crlf + file_bytes + crlf + dash + b"--" + crlf
    return head, tail


def build(edit_source: bytes | None = None) -> Sequence[Scenario]:
    """The four scenarios of the issue, in report order."""
    t2i = {"model": "eigen-image", "prompt": PROMPT, "width": 1024, "height": 1024}
    new_head, new_tail = _json_parts(t2i, vary_seed=True)
    same_head, _ = _json_parts({**t2i, "seed": 42}, vary_seed=False)
    jpeg = {**t2i, "width": 2048, "height": 2048, "output_format": "jpg", "binary_response": True}
    jpeg_head, jpeg_tail = _json_parts(jpeg, vary_seed=True)
    source = edit_source if edit_source is not None else photo_like(1024, 1024)
    # image_file, not images: Prism 5.16 rejects a single `images` part ("must be array").
    edit_head, edit_tail = _multipart_parts(
        {"model": "eigen-image", "prompt": "Make it look like winter"}, "image_file", source
    )
    return (
        Scenario(
            "t2i-new-seed",
            "text-to-image 1024x1024 PNG, JSON, new seed per request",
            "application/json",
            "application/json",
            "application/json",
            new_head,
            new_tail,
        ),
        Scenario(
            "t2i-repeat",
            "the same, one identical request repeated",
            "application/json",
            "application/json",
            "application/json",
            same_head,
            None,
            fixed_seed=42,
        ),
        Scenario(
            "jpeg-2048-binary",
            "binary_response JPEG 2048x2048, new seed per request",
            "application/json",
            "image/jpeg",
            "image/jpeg",
            jpeg_head,
            jpeg_tail,
            is_1024=False,
            prism_note="Prism answers the 6-byte text `string` (its placeholder for a schema with no "
            "example), not an image",
        ),
        Scenario(
            "edit-1mp-upload",
            "image editing, 1 MP PNG upload (multipart), new seed per request",
            f"multipart/form-data; boundary={BOUNDARY}",
            "application/json",
            "application/json",
            edit_head,
            edit_tail,
        ),
    )
