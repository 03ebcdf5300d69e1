"""The model library a running mock serves: the configured one, or one a client put in its place.

``GET /_mock/models`` shows it and ``PUT /_mock/models`` replaces it (for every worker, through
the ``StateStore``); ``POST /_mock/reset`` brings back the configured one. ``PUT`` accepts the
library file's own shape (``{"models": {id: {...}}}``) and the shape ``GET`` returns
(``{"models": [{"id": ...}, ...]}``), so a client can read, change and write back. No HTTP here.
"""

from __future__ import annotations

import json
from typing import Any

from mock_server.generation.library import Catalog, CatalogError
from mock_server.spec import Spec
from mock_server.state.store import StateStore

DOC = "models"


def check_against_spec(catalog: Catalog, spec: Spec) -> Catalog:
    """``catalog``, unless a model lists parameters the spec does not have."""
    for model in catalog.models.values():
        for mode, mode_spec in model.modes.items():
            unknown = sorted(mode_spec.parameters - spec.parameter_names)
            if unknown:
                raise CatalogError(f"model {model.id!r} ({mode}) lists parameters the spec lacks: {unknown}")
    return catalog


def as_library_document(document: Any) -> Any:
    """The library file's shape, from either accepted shape (anything else is left to fail later)."""
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        return document
    models: dict[str, Any] = {}
    for entry in document["models"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise CatalogError("each model in the 'models' list needs an 'id'")
        rest = {key: value for key, value in entry.items() if key not in ("id", "alias_of")}
        models[entry["id"]] = {"alias_of": entry["alias_of"]} if entry.get("alias_of") else rest
    return {"models": models}


class ModelLibrary:
    """The current ``Catalog``: parsed once per change, not once per request."""

    def __init__(self, store: StateStore, spec: Spec, configured: Catalog) -> None:
        self._store = store
        self._spec = spec
        self._configured = configured
        self._parsed: tuple[str, Catalog] | None = None

    def current(self) -> Catalog:
        text = self._store.read(DOC)
        if text is None:
            return self._configured
        parsed = self._parsed
        if parsed is None or parsed[0] != text:
            parsed = self._parsed = (text, self._parse(json.loads(text)))
        return parsed[1]

    def replace(self, document: Any) -> Catalog:
        """Check ``document`` and make it the library of every worker; ``CatalogError`` if it is not one."""
        normalized = as_library_document(document)
        catalog = self._parse(normalized)
        self._store.update(DOC, lambda _: (json.dumps(normalized, separators=(",", ":")), None))
        return catalog

    def reset(self) -> None:
        self._store.update(DOC, lambda _: (None, None))

    def _parse(self, document: Any) -> Catalog:
        try:
            catalog = Catalog.from_document(document)
        except CatalogError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a value of the wrong shape
            raise CatalogError(f"the model library is malformed: {exc}") from exc
        return check_against_spec(catalog, self._spec)
