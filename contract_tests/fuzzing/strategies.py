"""Hypothesis strategies for valid requests of a profile, drawn from the spec's domains."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..library import Offering
from ..wire.builders import Builders
from ..wire.calls import MEDIA, GenerateCall
from ..wire.images import SourceImage, source_image

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PROMPTS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda text: text.strip() != "")
OUTPUT_FORMATS = st.sampled_from(["png", "jpg", "jpeg"])


def sizes(builders: Builders, name: str) -> st.SearchStrategy[int]:
    """A width or height: the spec's bounds first (edges break servers), then anything between."""
    schema = builders.spec.parameters[name]
    low, high = int(schema["minimum"]), int(schema["maximum"])
    return st.one_of(st.sampled_from([low, high]), st.integers(low, high))


@st.composite
def t2i_calls(draw: st.DrawFn, builders: Builders, *, binary: bool | None = None) -> GenerateCall:
    """A valid text-to-image request with random size, seed, prompt, format and media type."""
    offering: Offering = draw(st.sampled_from(builders.offerings("text-to-image")))
    params: dict[str, Any] = {"prompt": draw(PROMPTS), "seed": draw(SEEDS), "output_format": draw(OUTPUT_FORMATS)}
    for name in ("width", "height"):
        if offering.accepts(name) and draw(st.booleans()):
            params[name] = draw(sizes(builders, name))
    params["binary_response"] = draw(st.booleans()) if binary is None else binary
    return builders.t2i(offering, media=draw(st.sampled_from(MEDIA)), **params)


@dataclass(frozen=True)
class EditCase:
    """An editing request before encoding, so a check can resend it with another source."""

    builders: Builders = field(repr=False)  # the spec and library: kilobytes in a failing example's repr
    offering: Offering
    media: str
    field: str
    source: SourceImage
    params: dict[str, Any]

    def call(self, source: SourceImage | None = None) -> GenerateCall:
        return self.builders.edit(self.offering, source or self.source, self.field, self.media, **self.params)


@st.composite
def edit_cases(draw: st.DrawFn, builders: Builders, *, binary: bool | None = None) -> EditCase:
    """A valid editing request: any model that edits, any accepted source field, a small source."""
    offering: Offering = draw(st.sampled_from(builders.offerings("image-editing")))
    media, field = draw(st.sampled_from(list(builders.source_forms())))
    size = (draw(st.integers(48, 160)), draw(st.integers(48, 160)))
    source = source_image(*size, draw(st.integers(0, 5)), draw(st.sampled_from(["png", "jpeg"])))
    params: dict[str, Any] = {"prompt": draw(PROMPTS), "seed": draw(SEEDS), "output_format": draw(OUTPUT_FORMATS)}
    params["binary_response"] = draw(st.booleans()) if binary is None else binary
    return EditCase(builders, offering, media, field, source, params)


def edit_calls(builders: Builders, *, binary: bool | None = None) -> st.SearchStrategy[GenerateCall]:
    return edit_cases(builders, binary=binary).map(lambda case: case.call())


def any_calls(builders: Builders, *, binary: bool | None = None) -> st.SearchStrategy[GenerateCall]:
    """A valid request of either mode the profile offers."""
    choices = []
    if builders.offerings("text-to-image"):
        choices.append(t2i_calls(builders, binary=binary))
    if builders.offerings("image-editing"):
        choices.append(edit_calls(builders, binary=binary))
    return st.one_of(choices)
