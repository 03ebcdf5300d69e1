"""Where the shipped spec and fixtures live.

In a wheel they are packaged under ``mock_server/_resources`` (hatch ``force-include``); in a
checkout (editable install) they are the top-level ``openapi/`` and ``fixtures/`` folders. Code
finds them only through this module, so both layouts work the same.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


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
