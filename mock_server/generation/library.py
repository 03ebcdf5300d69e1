"""The model library: which models exist, their modes, parameters and response fields.

Loaded from YAML (the shipped ``fixtures/models.yaml`` or a user's file). Plain data with the
rules that only need the data; the request rules that combine it with a request live in
``rules.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mock_server import resources
from mock_server.datatypes import Mode

MODES: tuple[Mode, ...] = ("text-to-image", "image-editing")

#: Fields a model may add to the JSON response; each has a rule in ``rules.extra_fields``.
KNOWN_EXTRA_FIELDS = frozenset({"use_lightning"})


class CatalogError(ValueError):
    """The model library file is malformed (raised at start-up, never per request)."""


@dataclass(frozen=True, slots=True)
class ModeSpec:
    response_field: str
    parameters: frozenset[str]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    modes: Mapping[Mode, ModeSpec]
    max_source_images: int = 1
    base_seconds: float = 0.5
    seconds_per_megapixel_step: float = 0.05
    extra_fields: frozenset[str] = frozenset()
    evidence: str = "guess"
    alias_of: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alias_of": self.alias_of,
            "evidence": self.evidence,
            "max_source_images": self.max_source_images,
            "base_seconds": self.base_seconds,
            "seconds_per_megapixel_step": self.seconds_per_megapixel_step,
            "extra_fields": sorted(self.extra_fields),
            "modes": {
                mode: {"response_field": spec.response_field, "parameters": sorted(spec.parameters)}
                for mode, spec in self.modes.items()
            },
        }


@dataclass(frozen=True, slots=True)
class Catalog:
    models: Mapping[str, ModelSpec]

    @classmethod
    def load(cls, path: Path) -> Catalog:
        try:
            document = resources.load_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CatalogError(f"cannot read model library {path}: {exc}") from exc
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Any) -> Catalog:
        if not isinstance(document, dict) or not isinstance(document.get("models"), dict):
            raise CatalogError("the model library must be a mapping with a 'models' mapping")
        raw: dict[str, Any] = document["models"]
        bases = {name: _model(name, entry) for name, entry in raw.items() if "alias_of" not in _mapping(name, entry)}
        aliases = {name: _alias(name, raw[name], bases) for name in raw if name not in bases}
        return cls({**bases, **aliases})

    def get(self, model_id: str) -> ModelSpec | None:
        return self.models.get(model_id)

    def ids(self) -> list[str]:
        return sorted(self.models)

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "models": [self.models[name].to_json() for name in self.ids()]}


def _mapping(name: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise CatalogError(f"model {name!r}: entry must be a mapping")
    return entry


def _model(name: str, entry: Any) -> ModelSpec:
    entry = _mapping(name, entry)
    modes = entry.get("modes")
    if not isinstance(modes, dict) or not modes or not set(modes) <= set(MODES):
        raise CatalogError(f"model {name!r}: 'modes' must map some of {', '.join(MODES)}")
    extra = frozenset(entry.get("extra_fields", ()))
    if not extra <= KNOWN_EXTRA_FIELDS:
        raise CatalogError(f"model {name!r}: unknown extra_fields {sorted(extra - KNOWN_EXTRA_FIELDS)}")
    try:
        return ModelSpec(
            id=name,
            modes={mode: _mode(name, mode, spec) for mode, spec in modes.items()},
            max_source_images=int(entry.get("max_source_images", 1)),
            base_seconds=float(entry.get("base_seconds", 0.5)),
            seconds_per_megapixel_step=float(entry.get("seconds_per_megapixel_step", 0.05)),
            extra_fields=extra,
            evidence=str(entry.get("evidence", "guess")),
        )
    except (TypeError, ValueError) as exc:
        raise CatalogError(f"model {name!r}: {exc}") from exc


def _mode(name: str, mode: str, spec: Any) -> ModeSpec:
    spec = _mapping(f"{name}/{mode}", spec)
    field, parameters = spec.get("response_field"), spec.get("parameters", [])
    if not isinstance(field, str) or not field.endswith("_base64"):
        raise CatalogError(f"model {name!r} mode {mode!r}: response_field must be a '*_base64' name")
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise CatalogError(f"model {name!r} mode {mode!r}: parameters must be a list of names")
    return ModeSpec(response_field=field, parameters=frozenset(parameters))


def _alias(name: str, entry: Any, bases: Mapping[str, ModelSpec]) -> ModelSpec:
    target = _mapping(name, entry)["alias_of"]
    if target not in bases:
        raise CatalogError(f"model {name!r}: alias_of {target!r} is not a model in the library")
    base = bases[target]
    return ModelSpec(
        id=name, modes=base.modes, max_source_images=base.max_source_images, base_seconds=base.base_seconds,
        seconds_per_megapixel_step=base.seconds_per_megapixel_step, extra_fields=base.extra_fields,
        evidence=base.evidence, alias_of=target,
    )
