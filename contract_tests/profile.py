"""Profiles: what a target supports, so the suite tests exactly that (and says what it skipped).

A profile is a small YAML file::

    version: 1
    name: my-server
    description: what this target is
    model_library: models.yaml       # relative to the profile, absolute, or bundled:fixtures/models.yaml
    models: [eigen-image]            # optional: test only these models of the library
    s3: true                         # run the S3 checks (they also need --s3-endpoint-url / --s3-bucket)
    request_timeout: 30              # seconds per request
    max_requests: 300                # the budget when --max-requests is not given
    max_examples: 6                  # Hypothesis examples per property, at most
    sources: [image_file, image, images, image_path]   # source fields the target accepts
    strict_json_types: true          # "seed": "42" in JSON is a 400
    spec_choices: fail               # warn: a breach of a choice only our spec makes is a warning
    max_body_bytes: 26214400         # the target's body limit, probed for 413 (null: not probed)
    fault_header: X-Mock-Fault       # a header that makes the target answer a fault (429, 503); null: none
    skip:                            # checks turned off, each with its reason
      editing_downsizing: "the target ignores downsizing_mp by design"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .library import SOURCE_FIELDS, LibraryError, ModelLibrary
from .resources import BUNDLED_PREFIX, bundled, profile_path, read_yaml

DEFAULT_PROFILE = "mock"
_KNOWN_KEYS = frozenset(
    {
        "version",
        "name",
        "description",
        "model_library",
        "models",
        "s3",
        "request_timeout",
        "max_requests",
        "max_examples",
        "sources",
        "strict_json_types",
        "spec_choices",
        "max_body_bytes",
        "fault_header",
        "skip",
    }
)


class ProfileError(ValueError):
    """The profile file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What a target supports. ``library`` is already loaded (and narrowed to ``models``)."""

    name: str
    library: ModelLibrary
    description: str = ""
    s3: bool = True
    request_timeout: float = 30.0
    max_requests: int = 300
    max_examples: int = 6
    sources: tuple[str, ...] = SOURCE_FIELDS
    strict_json_types: bool = True
    #: ``warn``: a breach of a clause only our spec makes (not the reference, not contract.md) is a warning
    spec_choices: str = "fail"
    max_body_bytes: int | None = None
    fault_header: str | None = None
    skip: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, location: str | Path | None = None) -> Profile:
        """A profile file, or a shipped profile by name (``mock``, ``live``); ``None`` is ``mock``."""
        path = _locate(location)
        try:
            document = read_yaml(path)
        except (OSError, ValueError) as exc:
            raise ProfileError(f"cannot read profile {path}: {exc}") from exc
        return cls.from_document(document, base=path.parent, path=path)

    @classmethod
    def from_document(cls, document: Any, base: Path, path: Path | None = None) -> Profile:
        if not isinstance(document, dict):
            raise ProfileError("a profile is a YAML mapping")
        unknown = sorted(set(document) - _KNOWN_KEYS)
        if unknown:
            raise ProfileError(f"unknown profile keys: {', '.join(unknown)}")
        try:
            return cls(
                name=str(document.get("name", path.stem if path else "profile")),
                description=str(document.get("description", "")),
                library=_library(document, base),
                s3=bool(document.get("s3", True)),
                request_timeout=float(document.get("request_timeout", 30.0)),
                max_requests=_positive(document.get("max_requests", 300), "max_requests"),
                max_examples=_positive(document.get("max_examples", 6), "max_examples"),
                sources=_sources(document.get("sources", list(SOURCE_FIELDS))),
                strict_json_types=bool(document.get("strict_json_types", True)),
                spec_choices=_choice(document.get("spec_choices", "fail"), ("fail", "warn"), "spec_choices"),
                max_body_bytes=_optional_positive(document.get("max_body_bytes"), "max_body_bytes"),
                fault_header=str(document["fault_header"]) if document.get("fault_header") else None,
                skip={str(k): str(v) for k, v in (document.get("skip") or {}).items()},
                path=path,
            )
        except (LibraryError, TypeError, ValueError, AttributeError) as exc:
            raise ProfileError(f"profile {path or ''}: {exc}") from exc

    def skip_reason(self, check_id: str) -> str | None:
        return self.skip.get(check_id)


def _locate(location: str | Path | None) -> Path:
    if location is None:
        return profile_path(DEFAULT_PROFILE)
    path = Path(location)
    if path.is_file():
        return path
    shipped = profile_path(str(location))
    if isinstance(location, str) and shipped.is_file():
        return shipped
    raise ProfileError(f"no profile file {location} (shipped profiles are named mock and live)")


def _library(document: Mapping[str, Any], base: Path) -> ModelLibrary:
    only = [str(model) for model in document.get("models") or []]
    raw = document.get("model_library")
    if isinstance(raw, dict):  # the library itself, inline
        return ModelLibrary.from_document(raw, only)
    if not isinstance(raw, str) or not raw:
        raise ProfileError("model_library must be a file path, bundled:<path> or an inline library")
    path = bundled(raw.removeprefix(BUNDLED_PREFIX)) if raw.startswith(BUNDLED_PREFIX) else base / raw
    return ModelLibrary.load(path, only)


def _positive(value: Any, name: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1")
    return number


def _optional_positive(value: Any, name: str) -> int | None:
    return None if value is None else _positive(value, name)


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def _sources(value: Any) -> tuple[str, ...]:
    names = tuple(str(name) for name in value)
    unknown = set(names) - set(SOURCE_FIELDS)
    if unknown or not names:
        raise ValueError(f"sources must be some of {', '.join(SOURCE_FIELDS)}")
    return names
