"""Unpaired UTF-16 surrogates: refused in requests, replaced in whatever is stored or shown.

JSON's ``"\\ud800"`` escape decodes to a Python string that cannot be encoded as UTF-8, so it
cannot be written to a response, a log or a file. The contract makes it a ``400`` (it is not
text), and the mock applies one rule to every field of every body, public or control plane:
``find`` names the first field that holds one. ``scrub`` is the second line of defence for
records that hold one anyway (written by an older version, or through the Python API): each
unpaired surrogate becomes U+FFFD, so a journal or a page can always be sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REPLACEMENT = "\ufffd"


def is_text(value: str) -> bool:
    """True unless ``value`` holds an unpaired surrogate (the UTF-8 encoder, in C, tells)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def holds_one(value: Any) -> bool:
    """True if a string anywhere in ``value`` (keys of objects included) holds an unpaired surrogate."""
    if isinstance(value, str):
        return not is_text(value)
    if isinstance(value, Mapping):
        return any(holds_one(key) or holds_one(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_one(item) for item in value)
    return False


def find(document: Mapping[Any, Any]) -> tuple[str | None, bool]:
    """``(field, True)`` for the first top-level field whose name or value holds an unpaired
    surrogate (the field is None when it is the name), ``(None, False)`` when none does."""
    for key, value in document.items():
        if holds_one(key):
            return None, True
        if holds_one(value):
            return str(key), True
    return None, False


def scrub(value: Any) -> Any:
    """``value`` with every unpaired surrogate in its strings (and keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return value if is_text(value) else value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, Mapping):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value
