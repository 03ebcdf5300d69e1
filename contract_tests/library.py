"""The model library as the contract suite sees it: which models, modes and parameters to test.

A small, independent reader of the model-library format (``fixtures/models.yaml``): the suite
must not import the mock, and it needs only what a client can observe (modes, accepted
parameters, the response field, how many ``images`` a model takes), not the mock's timing knobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .resources import read_yaml

Mode = Literal["text-to-image", "image-editing"]
MODES: tuple[Mode, ...] = ("text-to-image", "image-editing")
#: Accepted by every model in every mode (the contract's common parameters).
COMMON_PARAMETERS = frozenset({"model", "prompt", "mode", "seed", "output_format", "binary_response", "s3_output_path"})
SOURCE_FIELDS = ("image_file", "image", "images", "image_path")
#: Source fields that carry image bytes (file parts in multipart, base64 text in JSON).
FILE_FIELDS = SOURCE_FIELDS[:3]


class LibraryError(ValueError):
    """The model library file is malformed."""


@dataclass(frozen=True, slots=True)
class Offering:
    """One model in one mode: what a request to it may carry and where the image comes back."""

    model: str
    mode: Mode
    response_field: str
    parameters: frozenset[str]
    max_source_images: int = 1
    extra_fields: frozenset[str] = frozenset()
    #: the model this id is an alias of (the response must still echo the alias)
    alias_of: str | None = None

    @property
    def editing(self) -> bool:
        return self.mode == "image-editing"

    def accepts(self, parameter: str) -> bool:
        return (
            parameter in COMMON_PARAMETERS
            or parameter in self.parameters
            or (self.editing and parameter in SOURCE_FIELDS)
        )


# Twin of mock_server/generation/library.py's ModelLibrary; keep both: the suite never imports mock_server.
@dataclass(frozen=True, slots=True)
class ModelLibrary:
    offerings: tuple[Offering, ...]

    @classmethod
    def load(cls, path: Path, only: Iterable[str] = ()) -> ModelLibrary:
        try:
            document = read_yaml(path)
        except (OSError, ValueError) as exc:
            raise LibraryError(f"cannot read model library {path}: {exc}") from exc
        return cls.from_document(document, only)

    @classmethod
    def from_document(cls, document: Any, only: Iterable[str] = ()) -> ModelLibrary:
        models = document.get("models") if isinstance(document, dict) else None
        if not isinstance(models, dict) or not models:
            raise LibraryError("a model library is a mapping with a non-empty 'models' mapping")
        wanted = set(only)
        unknown = wanted - set(models)
        if unknown:
            raise LibraryError(f"the profile names models that are not in the library: {sorted(unknown)}")
        offerings = [
            offering
            for name in models
            if not wanted or name in wanted
            for offering in _offerings(name, _resolve(name, models), models[name].get("alias_of"))
        ]
        return cls(tuple(offerings))

    def models(self) -> list[str]:
        return list(dict.fromkeys(offering.model for offering in self.offerings))

    def in_mode(self, mode: Mode) -> list[Offering]:
        return [offering for offering in self.offerings if offering.mode == mode]

    def get(self, model: str, mode: str) -> Offering | None:
        return next((o for o in self.offerings if o.model == model and o.mode == mode), None)

    def modes_of(self, model: str) -> list[Mode]:
        return [offering.mode for offering in self.offerings if offering.model == model]


def _resolve(name: str, models: Mapping[str, Any]) -> Mapping[str, Any]:
    entry = models[name]
    if isinstance(entry, dict) and "alias_of" in entry:
        target = models.get(entry["alias_of"])
        if not isinstance(target, dict) or "alias_of" in target:
            raise LibraryError(f"model {name!r}: alias_of must name a model of the library")
        return target
    if not isinstance(entry, dict):
        raise LibraryError(f"model {name!r}: entry must be a mapping")
    return entry


def _offerings(name: str, entry: Mapping[str, Any], alias_of: str | None) -> list[Offering]:
    modes = entry.get("modes")
    if not isinstance(modes, dict) or not modes or not set(modes) <= set(MODES):
        raise LibraryError(f"model {name!r}: 'modes' must map some of {', '.join(MODES)}")
    try:
        return [
            Offering(
                model=name,
                mode=mode,
                response_field=str(spec["response_field"]),
                parameters=frozenset(str(p) for p in spec.get("parameters", [])),
                max_source_images=int(entry.get("max_source_images", 1)),
                extra_fields=frozenset(str(f) for f in entry.get("extra_fields", [])),
                alias_of=alias_of,
            )
            for mode, spec in modes.items()
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LibraryError(f"model {name!r}: {exc!r}") from exc
