"""A request read the way the contract says a server must read it (defaults, synonyms, inference)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from PIL import Image

from ..spec import ContractSpec
from ..wire.exchange import INVALID, Exchange, unbase64

_FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg"}


@dataclass(frozen=True)
class RequestView:
    exchange: Exchange
    spec: ContractSpec

    @cached_property
    def params(self) -> dict[str, Any]:
        return self.exchange.sent.params(self.spec.parameter_types)

    @cached_property
    def sources(self) -> list[tuple[str, bytes | str]]:
        return self.exchange.sent.sources()

    def get(self, name: str, kind: type | tuple[type, ...]) -> Any:
        """The parameter if it was sent with the right type, else ``None``."""
        value = self.params.get(name)
        if value is INVALID or isinstance(value, bool) and kind in (int, float, (int, float)):
            return None
        return value if isinstance(value, kind) else None

    def value(self, name: str, kind: type | tuple[type, ...]) -> Any:
        """The parameter, or the spec's default when it was not sent."""
        found = self.get(name, kind)
        return self.spec.default(name) if found is None and name not in self.params else found

    @property
    def model(self) -> str | None:
        model: str | None = self.get("model", str)
        return model

    # Twin of mock_server/generation/rules.py's _mode; keep both: the suite never imports mock_server.
    @property
    def mode(self) -> str:
        mode = self.get("mode", str)
        if mode in ("text-to-image", "image-editing"):
            return str(mode)
        return "image-editing" if self.sources else "text-to-image"

    @property
    def output_format(self) -> str | None:
        """``png`` or ``jpg`` as the server must report it (``jpeg`` is ``jpg``)."""
        return _FORMATS.get(str(self.value("output_format", str)))

    @property
    def seed(self) -> int | None:
        seed: int | None = self.get("seed", int)
        return seed

    def source_size(self) -> tuple[int, int] | None:
        """Size of the first source, when it travelled in the request itself (bytes or a data URL)."""
        if not self.sources:
            return None
        name, value = self.sources[0]
        data = value if isinstance(value, bytes) else unbase64(value) if value.startswith("data:") else b""
        try:
            with Image.open(io.BytesIO(data)) as image:
                return image.size
        except Exception:  # an undecodable source has no size to compare with
            return None
