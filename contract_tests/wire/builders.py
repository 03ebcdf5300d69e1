"""Valid requests for a profile: the starting point of every behaviour check.

Each builder returns a ``GenerateCall`` the contract says must succeed for that model and mode, so a
check can change one thing and know what the answer must be. Values that are not the point of
a check stay small and fixed (short prompts, small sources) to keep runs cheap and readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..library import ModelLibrary, Offering
from ..profile import Profile
from ..spec import ContractSpec
from .calls import JSON, MULTIPART, GenerateCall
from .images import SourceImage, source_image

PROMPT = "a lighthouse on a cliff at dusk"
#: Source fields by media type: JSON carries file fields as base64 text, multipart as file parts.
FILE_FIELDS = ("image_file", "image", "images")


@dataclass(frozen=True)
class Builders:
    profile: Profile
    spec: ContractSpec

    @property
    def library(self) -> ModelLibrary:
        return self.profile.library

    def offerings(self, mode: str | None = None) -> list[Offering]:
        return [o for o in self.library.offerings if mode is None or o.mode == mode]

    def first(self, mode: str) -> Offering | None:
        found = self.offerings(mode)
        return found[0] if found else None

    def t2i(self, offering: Offering, media: str = JSON, **params: Any) -> GenerateCall:
        return GenerateCall({"model": offering.model, "prompt": PROMPT, "seed": 7, **params}, media=media)

    def edit(
        self,
        offering: Offering,
        source: SourceImage | None = None,
        field: str | None = None,
        media: str = JSON,
        **params: Any,
    ) -> GenerateCall:
        """An edit of ``source`` sent in ``field`` (the first source field the profile accepts by default)."""
        image = source or source_image()
        field = field or self.profile.sources[0]
        call = GenerateCall(
            {"model": offering.model, "prompt": "make it look like winter", "seed": 7, **params}, media=media
        )
        if field == "image_path":
            return call.with_params(image_path=image.data_url())
        return call.with_sources((field, image))

    def source_forms(self) -> Iterator[tuple[str, str]]:
        """Every (media, field) pair the profile accepts: each field travels in either media type."""
        for media in (MULTIPART, JSON):
            for field in self.profile.sources:
                yield media, field

    def valid_value(self, name: str) -> Any:
        """A valid, non-default value of parameter ``name``, from its schema in the spec."""
        schema = self.spec.parameters[name]
        kind, default = schema.get("type"), schema.get("default")
        if "enum" in schema:
            return next((v for v in schema["enum"] if v != default), schema["enum"][0])
        if kind == "boolean":
            return not default if isinstance(default, bool) else True
        if kind in ("integer", "number"):
            low, high = schema.get("minimum", 0), schema.get("maximum", 100)
            middle = (low + high) / 2
            return int(middle) if kind == "integer" else round(middle, 2)
        return "blurry, low quality"
