"""A generation request as the suite thinks of it, and its encoding in either media type.

A ``GenerateCall`` is media-type neutral: scalar parameters plus source images. ``encode`` turns it into
what goes over the wire: a JSON body (sources as base64 text) or a multipart form (scalars as
text parts, sources as file parts), exactly as the contract describes both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .images import SourceImage

JSON, MULTIPART = "json", "multipart"
MEDIA = (JSON, MULTIPART)


class UseKey:
    """Sentinel: authenticate with the target's real API key."""

    def __repr__(self) -> str:
        return "USE_KEY"


USE_KEY = UseKey()
Auth = str | None | UseKey  # the Authorization header value; None sends no header


@dataclass(frozen=True)
class GenerateCall:
    params: Mapping[str, Any]
    sources: tuple[tuple[str, SourceImage], ...] = ()
    media: str = JSON
    auth: Auth = field(default=USE_KEY)

    def with_params(self, **changes: Any) -> GenerateCall:
        return replace(self, params={**self.params, **changes})

    def without(self, *names: str) -> GenerateCall:
        return replace(self, params={k: v for k, v in self.params.items() if k not in names})

    def as_media(self, media: str) -> GenerateCall:
        return replace(self, media=media)

    def with_auth(self, auth: Auth) -> GenerateCall:
        return replace(self, auth=auth)

    def with_sources(self, *sources: tuple[str, SourceImage]) -> GenerateCall:
        return replace(self, sources=tuple(sources))

    def encode(self) -> dict[str, Any]:
        """Keyword arguments for ``requests`` that send this call."""
        if self.media == JSON:
            body = dict(self.params)
            for name, image in self.sources:
                if name == "images":
                    body.setdefault("images", []).append(image.base64())
                else:
                    body[name] = image.base64()
            return {"data": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}
        parts: list[tuple[str, Any]] = [(name, (None, as_text(value))) for name, value in self.params.items()]
        parts += [(name, (image.filename, image.data, image.media_type)) for name, image in self.sources]
        return {"files": parts}


def as_text(value: Any) -> str:
    """A scalar as a multipart text part: the contract's spelling of booleans, plain numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
