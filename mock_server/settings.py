"""The mock's configuration: one frozen object, made from arguments or from the environment.

``Settings.from_env`` is the only place in the package that reads ``os.environ``; everything
else receives a ``Settings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mock_server.faults.latency import Latency, LatencyError

DEFAULT_API_KEY = "eigen-mock-key"
DEFAULT_BUCKET = "eigen-mock"
MIB = 1024 * 1024

ENV_PREFIX = "EIGEN_MOCK_"


class SettingsError(ValueError):
    """An environment variable or argument has a value the mock cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``create_app`` needs.

    Parameters:
        api_keys: accepted bearer keys; empty turns authentication off.
        models_path: a model library YAML file; ``None`` uses the shipped one.
        max_body_bytes: request bodies above this are ``413``.
        max_control_body_bytes: control-plane request bodies above this are ``413`` (a fault list,
            a rate limit, a model library: small documents).
        max_source_pixels: editing sources with more pixels are rejected as ``invalid_image``
            (decompression-bomb guard), checked before decoding.
        max_request_pixels: the sources of one request may have this many pixels together; more is
            ``400 invalid_image`` (with the bound in the message), checked before decoding.
        max_inflight_pixels: source pixels a process decodes at once (a decoded pixel costs about
            ten bytes while it is edited); a request whose share is not free waits for it. At least
            ``max_request_pixels``.
        s3_endpoint_url: S3 endpoint for ``s3_output_path`` and ``s3://`` sources; ``None`` means
            no S3 (such requests get ``502 storage_error`` / ``400 source_unavailable``).
        s3_region, s3_access_key_id, s3_secret_access_key: S3 client configuration.
        allowed_source_hosts: hosts ``image_path`` may fetch over http(s); empty means none.
        source_root: local directory ``image_path`` may read from; ``None`` means none.
        control_enabled: serve the ``/_mock/`` control plane.
        control_token: if set, the control plane requires ``Authorization: Bearer <token>``.
        random_seed: seeds the RNG that picks seeds for requests without one (reproducible runs).
        render_cache_size: encoded images kept per process, keyed by the full request; 0 also stops a
            JSON body sent again from being answered from the generation kept for it.
        render_threads: requests a process renders at once off its event loop (JPEG, edits,
            sources, S3 writes; others wait their turn); ``None``: two per core, at least four.
            Each render of a large image holds tens of megabytes while it runs.
        access_log: write one log line per request.
        journal_size: requests kept in the journal (``GET /_mock/requests``); the oldest are dropped.
        thumbnails: thumbnails of recent images kept for the gallery (``/_mock/ui``); 0 for none.
        har_bodies: answers kept whole (at most 32 MiB in all, per process) for
            ``GET /_mock/requests.har?bodies=true``; 0 for none.
        state_dir: keep the shared state (journal, faults, rate-limit counters, model library) in
            files in this directory, so that several worker processes share it; ``None`` keeps it in
            memory (one process). Documents outlive the server there; the journal and thumbnails
            of a server that stopped are dropped when the next one starts.
        latency: how long a generated answer takes from its arrival: ``model`` (its
            ``processing_time_seconds``), seconds (``2``, ``500ms``) or a range (``1-3``); ``None``: at once.
        latency_scale: multiplies the ``model`` latency (0.1: a 2 s image answers in 0.2 s).
        stubs_dir: a directory of stubs (YAML or JSON files) loaded at start-up and restored by a
            reset; the pictures they name are files in it.
        rate_limit: requests allowed per key and window (429 with ``Retry-After`` beyond); ``None`` is off.
        rate_limit_window: the window of ``rate_limit``, in seconds.
        replay_dir: a cassette directory; recorded requests are answered as recorded.
        replay_strict: with ``replay_dir``, answer requests not in the cassette with ``404 not_found``
            instead of a synthetic image.
        proxy_target: forward every public request to this base URL instead of answering it
            (``eigen-mock proxy`` / ``record``), reporting spec violations.
        record_dir: with ``proxy_target``, store each exchange in this cassette directory.
        header_timeout: seconds a client has to send a request's headers (from the connection's
            start, or from a later request's first byte); then the connection is closed.
        body_timeout: seconds a client has, after the headers, to send the whole body.
        graceful_timeout: seconds a stopping server waits for requests in flight (an injected delay
            among them); then it cuts them.
    """

    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    models_path: Path | None = None
    max_body_bytes: int = 25 * MIB
    max_control_body_bytes: int = 1 * MIB
    max_source_pixels: int = 40_000_000
    max_request_pixels: int = 48_000_000
    max_inflight_pixels: int = 48_000_000
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str = "testing"
    s3_secret_access_key: str = field(default="testing", repr=False)
    allowed_source_hosts: frozenset[str] = frozenset()
    source_root: Path | None = None
    control_enabled: bool = True
    control_token: str | None = field(default=None, repr=False)
    random_seed: int | None = None
    render_cache_size: int = 256
    render_threads: int | None = None
    access_log: bool = True
    journal_size: int = 1000
    thumbnails: int = 48
    har_bodies: int = 32
    state_dir: Path | None = None
    latency: str | None = None
    latency_scale: float = 1.0
    stubs_dir: Path | None = None
    rate_limit: int | None = None
    rate_limit_window: float = 60.0
    replay_dir: Path | None = None
    replay_strict: bool = False
    proxy_target: str | None = None
    record_dir: Path | None = None
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    graceful_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1 or self.max_control_body_bytes < 1 or self.max_source_pixels < 1 \
                or self.render_cache_size < 0:  # fmt: skip
            raise SettingsError("limits must be positive")
        if not 1 <= self.max_request_pixels <= self.max_inflight_pixels:
            raise SettingsError("max_request_pixels must be at least 1 and at most max_inflight_pixels")
        if any(not key for key in self.api_keys):
            raise SettingsError("an API key must not be empty")
        if self.render_threads is not None and self.render_threads < 1:
            raise SettingsError("render_threads must be at least 1")
        if self.journal_size < 0 or self.thumbnails < 0 or self.har_bodies < 0:
            raise SettingsError("journal_size, thumbnails and har_bodies must not be negative")
        if (self.rate_limit is not None and self.rate_limit < 1) or not 0 < self.rate_limit_window <= 86_400:
            raise SettingsError("rate_limit must be at least 1 and rate_limit_window within (0, 86400] seconds")
        try:
            Latency.parse(self.latency or "", self.latency_scale)
        except LatencyError as exc:
            raise SettingsError(str(exc)) from None
        if not all(0 < value <= 86_400 for value in (self.header_timeout, self.body_timeout, self.graceful_timeout)):
            raise SettingsError("header_timeout, body_timeout and graceful_timeout must be within (0, 86400] seconds")
        if self.record_dir is not None and self.proxy_target is None:
            raise SettingsError("record_dir needs proxy_target (the server to record)")

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``EIGEN_MOCK_*`` variables (``os.environ`` when none is given)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (attr, parse) in _ENV_FIELDS.items():
            raw = env.get(ENV_PREFIX + name)
            if raw is None:
                continue
            try:
                values[attr] = parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{ENV_PREFIX}{name}={raw!r}: {exc}") from exc
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The ``EIGEN_MOCK_*`` variables that rebuild these settings (for worker processes)."""
        env: dict[str, str] = {}
        for name, (attr, _) in _ENV_FIELDS.items():
            value = getattr(self, attr)
            if value is None:
                continue
            env[ENV_PREFIX + name] = _format(value)
        return env


def _split(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | frozenset):
        return ",".join(sorted(value) if isinstance(value, frozenset) else value)
    return str(value)


_ENV_FIELDS: dict[str, tuple[str, Any]] = {
    "API_KEYS": ("api_keys", _split),
    "MODELS": ("models_path", Path),
    "MAX_BODY_BYTES": ("max_body_bytes", int),
    "MAX_CONTROL_BODY_BYTES": ("max_control_body_bytes", int),
    "MAX_SOURCE_PIXELS": ("max_source_pixels", int),
    "MAX_REQUEST_PIXELS": ("max_request_pixels", int),
    "MAX_INFLIGHT_PIXELS": ("max_inflight_pixels", int),
    "S3_ENDPOINT_URL": ("s3_endpoint_url", str),
    "S3_REGION": ("s3_region", str),
    "S3_ACCESS_KEY_ID": ("s3_access_key_id", str),
    "S3_SECRET_ACCESS_KEY": ("s3_secret_access_key", str),
    "ALLOW_SOURCE_HOSTS": ("allowed_source_hosts", lambda raw: frozenset(h.lower() for h in _split(raw))),
    "SOURCE_ROOT": ("source_root", Path),
    "CONTROL": ("control_enabled", _bool),
    "CONTROL_TOKEN": ("control_token", str),
    "RANDOM_SEED": ("random_seed", int),
    "RENDER_CACHE_SIZE": ("render_cache_size", int),
    "RENDER_THREADS": ("render_threads", int),
    "ACCESS_LOG": ("access_log", _bool),
    "JOURNAL_SIZE": ("journal_size", int),
    "THUMBNAILS": ("thumbnails", int),
    "HAR_BODIES": ("har_bodies", int),
    "STATE_DIR": ("state_dir", Path),
    "LATENCY": ("latency", str),
    "LATENCY_SCALE": ("latency_scale", float),
    "STUBS_DIR": ("stubs_dir", Path),
    "RATE_LIMIT": ("rate_limit", int),
    "RATE_LIMIT_WINDOW": ("rate_limit_window", float),
    "REPLAY": ("replay_dir", Path),
    "REPLAY_STRICT": ("replay_strict", _bool),
    "PROXY_TARGET": ("proxy_target", str),
    "RECORD": ("record_dir", Path),
    "HEADER_TIMEOUT": ("header_timeout", float),
    "BODY_TIMEOUT": ("body_timeout", float),
    "GRACEFUL_TIMEOUT": ("graceful_timeout", float),
}
