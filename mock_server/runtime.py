"""Everything one app instance holds, built from ``Settings`` (no module globals).

Created by ``create_app`` and kept on ``app.state.runtime``; handlers reach it through
``runtime_of(request)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from . import resources
from .backend import Generator
from .catalog import Catalog, CatalogError
from .imaging import Renderer
from .rng import SeedSource
from .settings import Settings
from .sources import SourcePolicy, SourceResolver
from .spec import Spec
from .storage import S3Config, S3Storage
from .validation import RequestValidator


@dataclass
class Runtime:
    settings: Settings
    spec: Spec
    validator: RequestValidator
    catalog: Catalog
    generator: Generator

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        spec = Spec.load()
        catalog = load_catalog(settings, spec)
        storage = _storage(settings)
        policy = SourcePolicy(
            allowed_hosts=settings.allowed_source_hosts,
            local_root=settings.source_root,
            max_bytes=settings.max_body_bytes,
        )
        generator = Generator(
            renderer=Renderer(cache_size=settings.render_cache_size, max_source_pixels=settings.max_source_pixels),
            resolver=SourceResolver(policy, storage),
            storage=storage,
            seeds=SeedSource(settings.random_seed),
            defaults=spec.defaults,
            max_source_pixels=settings.max_source_pixels,
        )
        return cls(settings, spec, RequestValidator(spec), catalog, generator)


def load_catalog(settings: Settings, spec: Spec) -> Catalog:
    """The model library, refusing one that names parameters the spec does not have."""
    catalog = Catalog.load(settings.models_path or resources.models_path())
    for model in catalog.models.values():
        for mode, mode_spec in model.modes.items():
            unknown = sorted(mode_spec.parameters - spec.parameter_names)
            if unknown:
                raise CatalogError(f"model {model.id!r} ({mode}) lists parameters the spec lacks: {unknown}")
    return catalog


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
