"""Where the shipped spec and fixtures live.

In a wheel they are packaged under ``mock_server/_resources`` (hatch ``force-include``); in a
checkout (editable install) they are the top-level ``openapi/`` and ``fixtures/`` folders. Code
finds them only through this module, so both layouts work the same.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

#: libyaml's parser when PyYAML was built with it (its wheels are): every app parses the spec, and
#: a test fixture pays that at each start (measurements: benchmarks/notes.md).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """A YAML document, as ``yaml.safe_load`` would give it."""
    return yaml.load(text, Loader=_LOADER)  # a safe loader either way


# Twin of contract_tests/resources.py's lookup of the shipped files; keep both: the suite never imports mock_server.
def _root() -> Path:
    packaged = Path(str(files("mock_server"))) / "_resources"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def spec_path() -> Path:
    """The public OpenAPI document (``openapi/eigen.yaml``)."""
    return _root() / "openapi" / "eigen.yaml"


def control_spec_path() -> Path:
    """The control-plane OpenAPI document (``openapi/control.yaml``), kept out of the public spec."""
    return _root() / "openapi" / "control.yaml"


def models_path() -> Path:
    """The shipped model library (``fixtures/models.yaml``)."""
    return _root() / "fixtures" / "models.yaml"
