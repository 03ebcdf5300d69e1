"""Everything one app instance holds, built from ``Settings`` (no module globals).

Created by ``create_app`` and kept on ``app.state.runtime``; handlers reach it through
``runtime_of(request)``. The state a client can observe (journal, faults, rate-limit counters,
the model library, gallery thumbnails, replay cursors) lives in one ``StateStore``: in memory for
one process, in SQLite under ``Settings.state_dir`` when worker processes must share it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anyio import CapacityLimiter

from mock_server import resources
from mock_server.faults.queue import FaultQueue
from mock_server.faults.ratelimit import RateLimit, RateLimiter
from mock_server.gallery.thumbnailer import Thumbnailer
from mock_server.gallery.thumbnails import ThumbnailCache
from mock_server.generation.body_cache import PreparedBodies
from mock_server.generation.generator import Generation, Generator
from mock_server.generation.library import Catalog
from mock_server.generation.library_store import ModelLibrary, check_against_spec
from mock_server.generation.rules import Plan
from mock_server.generation.sources import SourcePolicy, SourceResolver
from mock_server.generation.validation import RequestValidator
from mock_server.imaging.renderer import Renderer
from mock_server.journal.calls import Journal
from mock_server.proxy.cassette import Cassette
from mock_server.proxy.replay import Replayer
from mock_server.proxy.response_checks import ResponseChecker
from mock_server.rng import SeedSource
from mock_server.s3.storage import S3Config, S3Storage
from mock_server.settings import Settings
from mock_server.spec import Spec
from mock_server.state.store import MemoryStore, StateStore

if TYPE_CHECKING:
    from starlette.requests import Request

    from mock_server.proxy.forwarding import Forwarder

STATE_FILE = "state.sqlite3"


def default_render_threads() -> int:
    """Two renders per core, at least four. Not anyio's 40 threads: at concurrency 32, 2048² JPEGs
    rendered 32 at a time held about 1 GB per worker for no more throughput than 4 at a time
    (300 MB, and a lower p99), since they share the cores and the GIL; the margin over one per
    core keeps a render that waits on S3 or a source URL from idling a core. Cores: those this
    process may run on (a container's CPU set), not the machine's."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(4, 2 * cores)


@dataclass
class Runtime:
    settings: Settings
    spec: Spec
    validator: RequestValidator
    models: ModelLibrary
    generator: Generator
    store: StateStore
    journal: Journal
    faults: FaultQueue
    rate_limiter: RateLimiter
    thumbnails: ThumbnailCache
    thumbnailer: Thumbnailer
    checker: ResponseChecker
    bodies: PreparedBodies
    #: Bounds the requests rendered at once off the event loop (``Settings.render_threads``).
    render_limiter: CapacityLimiter
    replayer: Replayer | None = None
    #: Proxy mode only: where requests go, and the cassette exchanges are recorded into.
    forwarder: Forwarder | None = None
    cassette: Cassette | None = None

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        spec = Spec.load()
        store = open_store(settings)
        limit = None if settings.rate_limit is None else RateLimit(settings.rate_limit, settings.rate_limit_window)
        thumbnails = ThumbnailCache(store, settings.thumbnails)
        return cls(
            settings=settings,
            spec=spec,
            validator=RequestValidator(spec),
            models=ModelLibrary(store, spec, load_catalog(settings, spec)),
            generator=_generator(settings, spec),
            store=store,
            journal=Journal(store, settings.journal_size),
            faults=FaultQueue(store, settings.random_seed),
            rate_limiter=RateLimiter(store, limit),
            thumbnails=thumbnails,
            thumbnailer=Thumbnailer(thumbnails),
            checker=ResponseChecker(spec),
            bodies=PreparedBodies(),
            render_limiter=CapacityLimiter(settings.render_threads or default_render_threads()),
            replayer=None if settings.replay_dir is None else Replayer.load(settings.replay_dir, store),
            forwarder=_forwarder(settings),
            cassette=None if settings.record_dir is None else Cassette(settings.record_dir),
        )

    @property
    def catalog(self) -> Catalog:
        """The model library in force now (it can be replaced through the control plane)."""
        return self.models.current()

    def generate(self, plan: Plan, request_id: str) -> Generation:
        """Generate (blocking: call from a worker thread); the gallery gets a thumbnail later."""
        generation = self.generator.generate(plan, request_id)
        self.thumbnailer.submit(generation.image.sha256, generation.image.data)
        return generation

    def reset(self) -> None:
        """Back to the start: journal, faults, counters, model library, thumbnails and the seed RNG."""
        self.thumbnailer.clear()
        for part in (self.journal, self.faults, self.rate_limiter, self.models, self.thumbnails):
            part.reset()
        if self.replayer is not None:
            self.replayer.reset()
        self.generator.seeds.reseed(self.settings.random_seed)


def open_store(settings: Settings) -> StateStore:
    if settings.state_dir is None:
        return MemoryStore()
    from mock_server.state.sqlite_store import SqliteStore

    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return SqliteStore(settings.state_dir / STATE_FILE)


def _forwarder(settings: Settings) -> Forwarder | None:
    if settings.proxy_target is None:
        return None
    from mock_server.proxy.forwarding import Forwarder  # an HTTP client: only the proxy needs it

    return Forwarder(settings.proxy_target)


def load_catalog(settings: Settings, spec: Spec) -> Catalog:
    """The configured model library, refusing one that names parameters the spec does not have."""
    return check_against_spec(Catalog.load(settings.models_path or resources.models_path()), spec)


def _generator(settings: Settings, spec: Spec) -> Generator:
    storage = _storage(settings)
    policy = SourcePolicy(
        allowed_hosts=settings.allowed_source_hosts,
        local_root=settings.source_root,
        max_bytes=settings.max_body_bytes,
    )
    return Generator(
        renderer=Renderer(cache_size=settings.render_cache_size, max_source_pixels=settings.max_source_pixels),
        resolver=SourceResolver(policy, storage),
        storage=storage,
        seeds=SeedSource(settings.random_seed),
        defaults=spec.defaults,
    )


def _storage(settings: Settings) -> S3Storage | None:
    if settings.s3_endpoint_url is None:
        return None
    return S3Storage(
        S3Config(
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    )


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
