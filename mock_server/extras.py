"""Optional dependencies: a feature whose extra is not installed says which one to install.

The core install (the server, ``MockServer``, the ``eigen_mock`` fixture, the httpx transports)
has no AWS or Schemathesis package. The embedded S3 and S3 storage need ``eigen-mock[s3]``, the
contract suite ``eigen-mock[contract]``; their modules are imported inside ``needs(...)`` so a
missing package becomes one sentence naming the extra instead of an ImportError traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib.util import find_spec

#: The top-level modules each extra brings: enough to tell whether it is installed without importing them.
MODULES = {
    "s3": ("boto3", "moto", "flask", "flask_cors"),
    "contract": ("schemathesis", "hypothesis", "pytest", "requests", "boto3"),
}


class MissingExtra(ImportError):
    """A feature was asked for whose optional dependencies are not installed."""


def installed(extra: str) -> bool:
    return all(find_spec(module) is not None for module in MODULES[extra])


def install_hint(extra: str) -> str:
    return f"pip install 'eigen-mock[{extra}]'"


@contextlib.contextmanager
def needs(extra: str, feature: str) -> Iterator[None]:
    """Turn an ImportError inside the block into ``MissingExtra`` naming ``extra``."""
    try:
        yield
    except MissingExtra:
        raise
    except ImportError as exc:
        missing = (exc.name or "a package").split(".")[0]
        raise MissingExtra(
            f"{feature} needs the {extra} extra ({missing} is not installed): {install_hint(extra)}", name=exc.name
        ) from None
