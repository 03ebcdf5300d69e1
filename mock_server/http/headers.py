"""A request's headers by lower-case name, decoded once per distinct header list.

Starlette's ``Headers`` scans and decodes the raw list on every lookup, and a request to the
public API makes five of them (one a miss, which raises and catches a ``KeyError``): about 10 µs,
a tenth of a repeated request. A client sends the same few headers request after request, so the
raw list is decoded once into a read-only mapping that every request with that list shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from starlette.types import Scope

RawHeaders = tuple[tuple[bytes, bytes], ...]
_KEY = "eigen_mock.headers"


def headers_of(scope: Scope) -> Mapping[str, str]:
    """The request's headers; where a name repeats, its first value (as ``Headers.get``). Kept in
    the scope beside the list it was read from: a handler asks several times."""
    raw = scope.get("headers", ())
    kept = scope.get(_KEY)
    if kept is not None and kept[0] is raw:
        return kept[1]  # type: ignore[no-any-return]
    try:
        found = _decoded(tuple(raw))
    except TypeError:  # an ASGI server may send [name, value] lists, which cannot be a cache key
        found = _decode(raw)
    scope[_KEY] = (raw, found)
    return found


@lru_cache(maxsize=64)
def _decoded(raw: RawHeaders) -> Mapping[str, str]:
    return _decode(raw)


def _decode(raw: Iterable[tuple[bytes, bytes]]) -> Mapping[str, str]:
    found: dict[str, str] = {}
    for name, value in raw:
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return MappingProxyType(found)
