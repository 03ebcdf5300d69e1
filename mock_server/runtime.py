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
from mock_server.extras import needs
from mock_server.faults.latency import Latency
from mock_server.faults.queue import DOC as FAULTS_DOC
from mock_server.faults.queue import FaultQueue
from mock_server.faults.ratelimit import DOC as RATE_LIMIT_DOC
from mock_server.faults.ratelimit import RateLimit, RateLimiter
from mock_server.gallery.thumbnailer import Thumbnailer
from mock_server.gallery.thumbnails import ThumbnailCache
from mock_server.generation.body_cache import BodyCache
from mock_server.generation.generator import Generation, Generator
from mock_server.generation.library import ModelLibrary
from mock_server.generation.library_store import LibraryStore, check_against_spec
from mock_server.generation.pixel_budget import PixelBudget
from mock_server.generation.rules import Plan
from mock_server.generation.sources import SourcePolicy, SourceResolver
from mock_server.generation.validation import RequestValidator
from mock_server.imaging.memory_release import give_back_memory
from mock_server.imaging.renderer import Renderer
from mock_server.journal.calls import LOG as JOURNAL_LOG
from mock_server.journal.calls import Journal
from mock_server.journal.kept_answers import KeptAnswers
from mock_server.proxy.cassette import Cassette
from mock_server.proxy.replay import Replayer
from mock_server.proxy.response_checks import ResponseChecker
from mock_server.rng import SeedSource
from mock_server.sessions import Session, Sessions, scoped
from mock_server.settings import Settings
from mock_server.spec import Spec
from mock_server.state.store import MemoryStore, StateStore
from mock_server.stubs.book import DOC as STUBS_DOC
from mock_server.stubs.book import StubBook, load_directory
from mock_server.stubs.pictures import StubPictures

if TYPE_CHECKING:
    from starlette.requests import Request

    from mock_server.proxy.forwarding import Forwarder
    from mock_server.s3.storage import S3Storage

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
    library_store: LibraryStore
    generator: Generator
    store: StateStore
    journal: Journal
    faults: FaultQueue
    rate_limiter: RateLimiter
    thumbnails: ThumbnailCache
    thumbnailer: Thumbnailer
    checker: ResponseChecker
    bodies: BodyCache
    #: Bounds the requests rendered at once off the event loop (``Settings.render_threads``).
    render_limiter: CapacityLimiter
    #: The newest answers as sent, for ``GET /_mock/requests.har?bodies=true`` (per process).
    answers: KeptAnswers
    #: Stubbed answers (``stubs.py``), and the pictures they answer with fitted to each request.
    stubs: StubBook
    pictures: StubPictures
    #: The sessions (``sessions.py``); ``journal``, ``faults``, ``rate_limiter`` and ``stubs`` above
    #: are the default session's.
    sessions: Sessions
    #: How long a generated answer takes (``--latency``); ``None``: at once.
    latency: Latency | None = None
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
        pictures = StubPictures(settings.max_source_pixels)
        stub_defaults = [] if settings.stubs_dir is None else load_directory(settings.stubs_dir)

        def session(name: str | None) -> Session:
            return Session(
                name=name,
                journal=Journal(store, settings.journal_size, log=scoped(JOURNAL_LOG, name)),
                faults=FaultQueue(store, settings.random_seed, doc=scoped(FAULTS_DOC, name)),
                rate_limiter=RateLimiter(store, limit, doc=scoped(RATE_LIMIT_DOC, name)),
                stubs=StubBook(
                    store,
                    pictures.check,
                    directory=settings.stubs_dir,
                    defaults=stub_defaults,
                    doc=scoped(STUBS_DOC, name),
                ),
            )

        default = session(None)
        return cls(
            settings=settings,
            spec=spec,
            validator=RequestValidator(spec),
            library_store=LibraryStore(store, spec, load_library(settings, spec)),
            generator=_generator(settings, spec),
            store=store,
            journal=default.journal,
            faults=default.faults,
            rate_limiter=default.rate_limiter,
            thumbnails=thumbnails,
            thumbnailer=Thumbnailer(thumbnails),
            checker=ResponseChecker(spec),
            bodies=BodyCache(),
            render_limiter=CapacityLimiter(settings.render_threads or default_render_threads()),
            answers=KeptAnswers(settings.har_bodies),
            latency=Latency.parse(settings.latency or "", settings.latency_scale),
            stubs=default.stubs,
            pictures=pictures,
            sessions=Sessions(store, default, session),
            replayer=None if settings.replay_dir is None else Replayer.load(settings.replay_dir, store),
            forwarder=_forwarder(settings),
            cassette=None if settings.record_dir is None else Cassette(settings.record_dir),
        )

    @property
    def library(self) -> ModelLibrary:
        """The model library in force now (it can be replaced through the control plane)."""
        return self.library_store.current()

    def generate(self, plan: Plan, request_id: str) -> Generation:
        """Generate (blocking: call from a worker thread); the gallery gets a thumbnail later."""
        generation = self.generator.generate(plan, request_id)
        self.thumbnailer.submit(generation.image.sha256, generation.image.data)
        return generation

    def session(self, name: str | None) -> Session:
        """Session ``name``'s state (``SessionError`` for a name that cannot be one); the default's for ``None``."""
        return self.sessions.get(name)

    def generate_stubbed(self, plan: Plan, request_id: str, book: StubBook, picture_sha256: str) -> Generation:
        """The answer with a picture of ``book`` (the request's session's), fitted to the plan's size
        and format (blocking, as ``generate``)."""
        data = book.picture(picture_sha256)
        generation = self.generator.generate_from(
            plan, request_id, lambda width, height: self.pictures.fit(data, width, height, plan.output_format)
        )
        self.thumbnailer.submit(generation.image.sha256, generation.image.data)
        return generation

    def reset(self) -> None:
        """Back to the start: journal, faults, counters, model library, thumbnails and the seed RNG."""
        self.thumbnailer.clear()
        self.answers.clear()
        for part in (self.journal, self.faults, self.rate_limiter, self.library_store, self.thumbnails, self.stubs):
            part.reset()
        if self.replayer is not None:
            self.replayer.reset()
        self.generator.seeds.reseed(self.settings.random_seed)
        self.generator.reset()
        give_back_memory()


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


def load_library(settings: Settings, spec: Spec) -> ModelLibrary:
    """The configured model library, refusing one that names parameters the spec does not have."""
    return check_against_spec(ModelLibrary.load(settings.models_path or resources.models_path()), spec)


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
        max_request_pixels=settings.max_request_pixels,
        pixels=PixelBudget(settings.max_inflight_pixels),
    )


def _storage(settings: Settings) -> S3Storage | None:
    if settings.s3_endpoint_url is None:
        return None
    with needs("s3", "S3 storage (an S3 endpoint is configured)"):
        from mock_server.s3.storage import S3Config, S3Storage
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
