"""The generator: turns a ``Plan`` into an image, reads sources and writes S3 output.

Blocking work (image synthesis, S3, fetching ``image_path``) happens here, called from a
worker thread by the HTTP layer. No Starlette imports: the rules live apart from HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mock_server.datatypes import RenderedImage, RenderSpec
from mock_server.errors import InvalidImage, StorageError
from mock_server.generation.pixel_budget import PixelBudget
from mock_server.generation.rules import Plan, Source, extra_fields, processing_seconds
from mock_server.generation.sources import SourceResolver
from mock_server.imaging.renderer import Renderer, base64_of
from mock_server.lru import LRU
from mock_server.rng import SeedSource

if TYPE_CHECKING:  # boto3 comes with the s3 extra, imported only when S3 is configured
    from mock_server.s3.storage import S3Storage

#: Generations kept for repeated plans: few, since each holds its image (up to a few MB at 2048²).
KEPT_GENERATIONS = 8
#: ... and at most this many bytes of image data among them.
KEPT_BYTES = 32 * 2**20
#: What a plan without sources reads: nothing (``nullcontext`` can be entered again and again).
_NO_SOURCES: AbstractContextManager[tuple[bytes, ...]] = nullcontext(())


@dataclass(frozen=True, slots=True)
class Generation:
    """The outcome of one successful request: everything the response needs."""

    request_id: str
    plan: Plan
    seed: int
    image: RenderedImage = field(repr=False)
    processing_time_seconds: float
    created: int
    extra: dict[str, Any]
    #: What every answer of this generation has in common, made by the response layer on first use
    #: (``responses.json_body``); answered ``again``, a generation shares it.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def again(self, request_id: str, created: int) -> Generation:
        """The same answer under a new id and time (``dataclasses.replace``'s result, in a third of its time)."""
        return Generation(
            request_id, self.plan, self.seed, self.image, self.processing_time_seconds, created, self.extra, self.shared
        )

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "request_id": self.request_id,
            "model": self.plan.model_id,
            "mode": self.plan.mode,
            "seed": self.seed,
            "width": self.image.width,
            "height": self.image.height,
            "output_format": self.image.output_format,
        }
        encoded = base64_of(self.image).decode("ascii")
        body["image_base64"] = encoded
        body[self.plan.response_field] = encoded
        body["image_sha256"] = self.image.sha256
        if self.plan.s3_output is not None:
            body["s3_output_path"] = str(self.plan.s3_output)
        body.update(self.extra)
        body["processing_time_seconds"] = self.processing_time_seconds
        body["created"] = self.created
        return body


class Generator:
    """Everything that needs resources: the renderer (and its cache), sources, S3, seeds."""

    def __init__(
        self,
        renderer: Renderer,
        resolver: SourceResolver,
        storage: S3Storage | None,
        seeds: SeedSource,
        defaults: dict[str, Any],
        *,
        max_request_pixels: int = 48_000_000,
        pixels: PixelBudget | None = None,
    ) -> None:
        self.renderer = renderer
        #: The sources of one request together may have this many pixels (``400 invalid_image`` beyond).
        self.max_request_pixels = max_request_pixels
        #: Source pixels decoded at once in this process; a request waits for its share.
        self.pixels = pixels or PixelBudget(max_request_pixels)
        self.resolver = resolver
        self.storage = storage
        self.seeds = seeds
        self._defaults = defaults
        #: Generations of plans answered lately whose answer is a pure function of the plan (see
        #: ``_repeatable``), by ``id(plan)``; each keeps its plan alive, so an id is never reused
        #: while it is here.
        self._kept: LRU[int, Generation] = LRU(
            KEPT_GENERATIONS, max_bytes=KEPT_BYTES, cost=lambda generation: len(generation.image.data)
        )

    def generate(self, plan: Plan, request_id: str) -> Generation:
        repeatable = self._repeatable(plan)
        if repeatable:
            kept = self._kept.get(id(plan))
            if kept is not None:  # its plan is kept alive with it: no other object has that id
                return kept.again(request_id, int(time.time()))
        seed = plan.params.get("seed")
        seed = self.seeds.next_seed() if seed is None else seed
        with self._sources(plan) as sources:
            image = self.renderer.render(self.render_spec(plan, seed, sources))
        generation = self._generation(plan, request_id, seed, image)
        if repeatable:
            self._kept.put(id(generation.plan), generation)
        return generation

    def generate_from(self, plan: Plan, request_id: str, picture: Callable[[int, int], RenderedImage]) -> Generation:
        """The answer to ``plan`` with a given picture instead of a rendered one (a stub's):
        ``picture(width, height)`` is the picture at the size the plan's render would have had."""
        seed = plan.params.get("seed")
        seed = self.seeds.next_seed() if seed is None else seed
        with self._sources(plan) as sources:
            size = self.renderer.output_size(self.render_spec(plan, seed, sources))
        return self._generation(plan, request_id, seed, picture(*size))

    def _sources(self, plan: Plan) -> AbstractContextManager[tuple[bytes, ...]]:
        """The plan's source bytes, checked, with their pixels reserved while the block runs."""
        return self._reserved(plan) if plan.sources else _NO_SOURCES  # text to image: nothing to reserve

    @contextmanager
    def _reserved(self, plan: Plan) -> Iterator[tuple[bytes, ...]]:
        loaded = tuple(self._fetch(source) for source in plan.sources)
        with self.pixels.reserve(self._request_pixels(plan.sources, loaded)):
            self._check_sources(plan.sources, loaded)
            yield loaded

    def _generation(self, plan: Plan, request_id: str, seed: int, image: RenderedImage) -> Generation:
        if plan.s3_output is not None:
            self._store(plan, image)
        return Generation(
            request_id=request_id,
            plan=plan,
            seed=seed,
            image=image,
            processing_time_seconds=processing_seconds(plan.model, plan.params, image.width, image.height),
            created=int(time.time()),
            extra=extra_fields(plan.model, plan.params),
        )

    def _repeatable(self, plan: Plan) -> bool:
        """A request sent again (the same body, so the same plan object: ``body_cache.py``) is answered
        from the generation kept for its plan, skipping the spec, the render cache's key and the
        derived fields, when nothing but the plan decides the answer: a seed given, no source to
        read (an ``image_path`` may change), no S3 object to write; and only while images are cached
        at all (``render_cache_size`` 0 turns this off too)."""
        return self.renderer.cache_size > 0 and "seed" in plan.params and not plan.sources and plan.s3_output is None

    def render_spec(self, plan: Plan, seed: int, sources: tuple[bytes, ...]) -> RenderSpec:
        params = plan.params
        editing = plan.mode == "image-editing"
        return RenderSpec(
            model=plan.model.alias_of or plan.model.id,
            mode=plan.mode,
            prompt=params["prompt"],
            seed=seed,
            width=0 if editing else params.get("width", self._defaults["width"]),
            height=0 if editing else params.get("height", self._defaults["height"]),
            output_format=plan.output_format,
            negative_prompt=params.get("negative_prompt", ""),
            knobs=plan.knobs(self._defaults),
            sources=sources,
            downsizing_mp=params.get("downsizing_mp"),
        )

    def _fetch(self, source: Source) -> bytes:
        return source.data if source.data is not None else self.resolver.resolve(source.path or "")

    def _request_pixels(self, sources: tuple[Source, ...], loaded: tuple[bytes, ...]) -> int:
        """The pixels of all sources together, from their headers; ``InvalidImage`` over the bound."""
        pixels = [
            self.renderer.source_pixels(data, param=source.param) for source, data in zip(sources, loaded, strict=True)
        ]
        total = sum(pixels)
        if total > self.max_request_pixels:
            sizes = " + ".join(f"{count / 1e6:.1f}" for count in pixels)
            raise InvalidImage(
                f"the source images have {total / 1e6:.1f} megapixels together ({sizes}), more than the limit "
                f"of {self.max_request_pixels} pixels ({self.max_request_pixels / 1e6:g} MP) per request",
                param=sources[0].param,
            )
        return total

    def _check_sources(self, sources: tuple[Source, ...], loaded: tuple[bytes, ...]) -> None:
        # Validated by the renderer, which decodes each distinct source once and keeps the
        # picture for the render that follows (it used to be decoded twice per request).
        for source, data in zip(sources, loaded, strict=True):
            self.renderer.check_source(data, param=source.param)

    def reset(self) -> None:
        """Forget what is cached: rendered images, edit bases, decoded sources, kept generations."""
        self.renderer.clear()
        self._kept.clear()

    def _store(self, plan: Plan, image: RenderedImage) -> None:
        if self.storage is None or plan.s3_output is None:
            raise StorageError("this server has no S3 endpoint configured", param="s3_output_path")
        self.storage.put(plan.s3_output, image.data, image.media_type)
