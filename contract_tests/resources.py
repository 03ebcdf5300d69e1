"""Data files shipped with the eigen-mock distribution: the spec, the model library, the profiles.

The contract suite reads the project's *data* (``openapi/eigen.yaml``, ``fixtures/models.yaml``)
but never imports ``mock_server``: it must work against any implementation, and importing the
mock would drag its app into every user's test run. So the data is located the way
``mock_server/resources.py`` locates it, without importing that package: in a wheel the files
sit under ``mock_server/_resources`` (hatch ``force-include``); in a checkout they are the
repository's top-level folders. Profiles are package data of ``contract_tests`` itself.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
PROFILES_DIR = PACKAGE_DIR / "profiles"
SUITE_DIR = PACKAGE_DIR / "suite"
#: The prefix of a profile value that names a bundled data file (``bundled:fixtures/models.yaml``).
BUNDLED_PREFIX = "bundled:"


class ResourceNotFound(FileNotFoundError):
    """A bundled data file is missing from this installation."""


# Twin of mock_server/resources.py's _root (the shipped files' lookup); keep both: the suite never imports mock_server.
def _roots() -> list[Path]:
    roots: list[Path] = []
    spec = find_spec("mock_server")  # locates the package without executing it
    if spec is not None and spec.submodule_search_locations:
        roots.append(Path(next(iter(spec.submodule_search_locations))) / "_resources")
    roots.append(PACKAGE_DIR.parent)  # a source checkout
    return roots


def bundled(relative: str) -> Path:
    """The shipped data file ``relative`` (``openapi/eigen.yaml``, ``fixtures/models.yaml``)."""
    for root in _roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate
    raise ResourceNotFound(f"{relative} is not part of this installation of eigen-mock")


def spec_path() -> Path:
    """The public OpenAPI document: the single source of truth the suite is generated from."""
    return bundled("openapi/eigen.yaml")


def profile_path(name: str) -> Path:
    """A shipped profile by name (``mock``, ``live``)."""
    return PROFILES_DIR / f"{name}.yaml"


@cache
def _parse(path: Path, modified: float) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml(path: Path) -> Any:
    """A YAML file's document (libyaml when available; cached per file version: runs reread the spec).

    Raises ``OSError`` when the file cannot be read and ``ValueError`` when it is not YAML.
    """
    try:
        return _parse(path.resolve(), path.stat().st_mtime)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {exc}") from exc
