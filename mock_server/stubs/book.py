"""Stubs: a fixed answer for the requests that match, as WireMock's stub mappings (no HTTP here).

A stub matches on ``model``, ``mode``, ``prompt`` (exact, or ``{"matches": REGEX}`` found anywhere
in it), ``seed``, any other parameter (``params``) and ``headers``, each compared with the
request's validated, typed values; a value may be ``{"equalTo": V}`` or, for text,
``{"matches": REGEX}``. It answers with one of:

* ``image``: a file in the stubs directory (``--stubs-dir``), or ``image_base64``: an uploaded
  picture. The answer is still the contract's (``stub_images.py`` fits the picture to the
  requested size and format; seed, ``image_sha256``, headers and S3 output as usual);
* ``status`` / ``error`` (with ``retryAfter``): that contract error;
* ``fault``: a broken answer or any fault (``faults.py``'s keys, e.g. ``{"fault": "TRUNCATED_BODY"}``
  or ``{"fixedDelayMilliseconds": 800, "status": 504}``).

Stubs are tried by ``priority`` (lower first, default 5, as WireMock) and then in the order they
were added; ``times`` limits how many requests one answers (default ``null``: all of them). Stubs
in the stubs directory (YAML or JSON files, each holding one stub or a list) are the book's
defaults: loaded at start-up and restored by a reset. The book lives in a ``StateStore``
document, shared by every worker; uploaded pictures in documents of their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from mock_server.errors import EigenMockError
from mock_server.faults.fault import Fault, FaultSpecError
from mock_server.state.store import StateStore, load_document

DOC = "stubs"
DEFAULT_PRIORITY = 5
MAX_STUBS = 1000
#: Distinct pictures one book may hold, and the size of each.
MAX_PICTURES = 64
MAX_PICTURE_BYTES = 16 * 1024 * 1024
_KEYS = frozenset(
    {
        "match",
        "priority",
        "times",
        "image",
        "image_base64",
        "status",
        "error",
        "retryAfter",
        "retry_after",
        "fault",
        "name",
    }
)
_MATCH_KEYS = frozenset({"model", "mode", "prompt", "seed", "params", "headers"})
_ERROR_KEYS = ("status", "error", "retryAfter")
T = TypeVar("T")


class StubSpecError(ValueError):
    """A stub that cannot be used; ``param`` names the offending key."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class StubFacts:
    """What a stub can match on: the request's validated parameters and its headers."""

    model: str
    mode: str
    params: Mapping[str, Any]
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AppliedStub:
    """A stub chosen for one request: its id and its answer (a picture's hash, or a fault)."""

    id: str
    name: str | None
    picture: str | None
    fault: Fault | None

    @property
    def kind(self) -> str:
        return "image" if self.picture is not None else "error" if self.fault and self.fault.status else "fault"

    def to_json(self) -> dict[str, Any]:
        described = f"image {self.picture[:12]}…" if self.picture else self.fault.describe() if self.fault else ""
        return {"id": self.id, "name": self.name, "kind": self.kind, "description": described}


PictureSource = Callable[[str], bytes]


class StubBook:
    """The stubs of one book, over a ``StateStore``.

    Parameters:
        store: where they live (shared by workers when it is a ``SqliteStore``).
        check_picture: raises (``InvalidImage``) unless its argument is a usable picture.
        directory: the stubs directory (``--stubs-dir``): pictures named by ``image`` are read there.
        defaults: stub documents loaded at start-up (``load_directory``), restored by ``reset``.
        doc: the document's name (one per session).
    """

    def __init__(
        self,
        store: StateStore,
        check_picture: Callable[[bytes], object],
        *,
        directory: Path | None = None,
        defaults: Sequence[Mapping[str, Any]] = (),
        doc: str = DOC,
    ) -> None:
        self._store, self._check, self.directory, self._doc = store, check_picture, directory, doc
        self._pictures: dict[str, bytes] = {}
        entries = [
            self._entry(f"s{number}", document, self._pictures) for number, document in enumerate(defaults, start=1)
        ]
        self._defaults = sorted(entries, key=_order)

    def add(self, document: Any) -> dict[str, Any]:
        """Add a stub (``StubSpecError`` if it cannot be used); its entry. Its picture is stored
        before the stub, so a request that matches it at once finds the picture."""
        uploaded: dict[str, bytes] = {}
        parsed = self._entry("s0", document, uploaded)
        for digest, data in uploaded.items():
            self._put(self._picture_doc(digest), base64.b64encode(data).decode())
            self._put(self._pictures_doc(), json.dumps(sorted(self._uploaded_digests() | {digest})))

        def change(state: dict[str, Any]) -> dict[str, Any]:
            entries = state["stubs"]
            if len(entries) >= MAX_STUBS:
                raise StubSpecError(f"the stub book is full ({MAX_STUBS} stubs)")
            state["next"] += 1
            entry = {**parsed, "id": f"s{state['next']}"}
            pictures = {e["stub"]["image"]["sha256"] for e in [*entries, entry] if "image" in e["stub"]}
            if len(pictures) > MAX_PICTURES:
                raise StubSpecError(f"at most {MAX_PICTURES} distinct pictures per stub book", "image")
            entries.append(entry)
            entries.sort(key=_order)
            return entry

        try:
            return self._change(change)
        except StubSpecError:
            self._forget_unused_pictures()  # a refused stub's picture goes again
            raise

    def entries(self) -> list[dict[str, Any]]:
        text = self._store.read(self._doc)
        return list(self._state(text)["stubs"])

    def active(self) -> bool:
        """Whether any stub could apply (the common answer, no: one read, no parsing)."""
        text = self._store.read(self._doc)
        return bool(self._defaults) if text is None else '"stubs":[]' not in text

    def remove(self, stub_id: str) -> bool:
        def change(state: dict[str, Any]) -> bool:
            before = state["stubs"]
            state["stubs"] = [entry for entry in before if entry["id"] != stub_id]
            return len(state["stubs"]) != len(before)

        removed = self._change(change)
        self._forget_unused_pictures()
        return removed

    def clear(self) -> None:
        """Remove every stub, the defaults too (``reset`` restores them)."""
        self._change(lambda state: state.update(stubs=[]))
        self._forget_unused_pictures()

    def reset(self) -> None:
        """Back to the stubs directory's stubs, with their counts afresh."""
        self._store.update(self._doc, lambda _: (None, None))
        self._forget_unused_pictures()

    def take(self, facts: StubFacts) -> AppliedStub | None:
        """The stub for a request with ``facts``, counted; ``None`` if none matches."""
        return self._change(lambda state: _select(state, facts)) if self.active() else None

    def picture(self, digest: str) -> bytes:
        """The picture of an applied stub."""
        if digest in self._pictures:
            return self._pictures[digest]
        text = self._store.read(self._picture_doc(digest))
        if text is None:
            raise KeyError(digest)
        return base64.b64decode(text)

    def _entry(self, stub_id: str, document: Any, uploaded: dict[str, bytes]) -> dict[str, Any]:
        stub, picture = parse(document, self.directory)
        if picture is not None:
            try:
                self._check(picture)
            except EigenMockError as exc:
                raise StubSpecError(f"the stub's picture: {exc}", "image") from None
            uploaded[stub["image"]["sha256"]] = picture
        return {"id": stub_id, "stub": stub, "remaining": stub["times"], "applied": 0}

    def _state(self, text: str | None) -> dict[str, Any]:
        if text is None:
            return {"next": len(self._defaults), "stubs": json.loads(json.dumps(self._defaults))}
        return load_document(text)

    def _change(self, change: Callable[[dict[str, Any]], T]) -> T:
        def updater(text: str | None) -> tuple[str | None, T]:
            state = self._state(text)
            result = change(state)
            return json.dumps(state, separators=(",", ":")), result

        return self._store.update(self._doc, updater)

    def _picture_doc(self, digest: str) -> str:
        return f"{self._doc}:picture:{digest}"

    def _put(self, doc: str, text: str | None) -> None:
        def replace(_: str | None) -> tuple[str | None, None]:
            return text, None

        self._store.update(doc, replace)

    def _pictures_doc(self) -> str:
        return f"{self._doc}:pictures"

    def _forget_unused_pictures(self) -> None:
        """Drop uploaded pictures no stub names any more (a bound on what the book holds)."""
        used = {entry["stub"]["image"]["sha256"] for entry in self.entries() if "image" in entry["stub"]}
        listed = self._uploaded_digests()
        for digest in listed - used:
            self._store.update(self._picture_doc(digest), lambda _: (None, None))
        kept = sorted(listed & used)
        self._store.update(self._pictures_doc(), lambda _: (json.dumps(kept) if kept else None, None))

    def _uploaded_digests(self) -> set[str]:
        return set(json.loads(self._store.read(self._pictures_doc()) or "[]"))


def _order(entry: Mapping[str, Any]) -> tuple[int, int]:
    return entry["stub"]["priority"], int(entry["id"][1:])


def _select(state: dict[str, Any], facts: StubFacts) -> AppliedStub | None:
    for entry in state["stubs"]:
        stub = entry["stub"]
        if not _accepts(stub["match"], facts):
            continue
        entry["applied"] += 1
        if entry["remaining"] is not None:
            entry["remaining"] -= 1
        state["stubs"] = [e for e in state["stubs"] if e["remaining"] is None or e["remaining"] > 0]
        picture = stub["image"]["sha256"] if "image" in stub else None
        fault = None if picture is not None else Fault.from_json(stub["fault"])
        return AppliedStub(entry["id"], stub.get("name"), picture, fault)
    return None


def _accepts(match: Mapping[str, Any], facts: StubFacts) -> bool:
    known = {"model": facts.model, "mode": facts.mode}
    for name, wanted in match.items():
        if name == "params":
            if not all(_equal(value, facts.params.get(key)) for key, value in wanted.items()):
                return False
        elif name == "headers":
            if not all(_equal(value, facts.headers.get(key)) for key, value in wanted.items()):
                return False
        elif not _equal(wanted, known[name] if name in known else facts.params.get(name)):
            return False
    return True


def _equal(wanted: Any, actual: Any) -> bool:
    if isinstance(wanted, dict) and "matches" in wanted:
        return isinstance(actual, str) and _regex(wanted["matches"]).search(actual) is not None
    if isinstance(wanted, dict) and "equalTo" in wanted:
        wanted = wanted["equalTo"]
    return (
        type(wanted) is type(actual)
        and wanted == actual
        or (  # 1 and 1.0 alike, True and 1 not
            isinstance(wanted, int | float)
            and isinstance(actual, int | float)
            and not isinstance(wanted, bool)
            and not isinstance(actual, bool)
            and wanted == actual
        )
    )


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def parse(document: Any, directory: Path | None) -> tuple[dict[str, Any], bytes | None]:
    """A stub in its stored shape, and its picture's bytes (``None`` for an error or fault stub)."""
    if not isinstance(document, dict):
        raise StubSpecError("a stub must be a JSON object")
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise StubSpecError(f"unknown stub key {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}", unknown[0])
    stub: dict[str, Any] = {
        "match": _match(document.get("match")),
        "priority": _priority(document),
        "times": _times(document),
    }
    if document.get("name") is not None:
        stub["name"] = str(document["name"])[:200]
    answers = [key for key in ("image", "image_base64", "fault") if document.get(key) is not None]
    errors = [key for key in (*_ERROR_KEYS, "retry_after") if document.get(key) is not None]
    if len(answers) + bool(errors) != 1 or (errors and not {"status", "error"} & set(errors)):
        raise StubSpecError("a stub answers with exactly one of: image, image_base64, status/error, fault", "image")
    picture: bytes | None = None
    if answers in (["image"], ["image_base64"]):
        picture, file = _picture(document, directory)
        stub["image"] = {"sha256": _sha256(picture), "size": len(picture), "file": file}
    else:
        stub["fault"] = _fault(document, errors)
    return stub, picture


def _match(spec: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict) or set(spec) - _MATCH_KEYS:
        raise StubSpecError(f"match takes {', '.join(sorted(_MATCH_KEYS))}", "match")
    match: dict[str, Any] = {}
    for name, value in spec.items():
        if name in ("params", "headers"):
            if not isinstance(value, dict):
                raise StubSpecError(f"match.{name} must be an object (name → value)", "match")
            lower = name == "headers"
            match[name] = {
                (str(k).lower() if lower else str(k)): _matcher(f"match.{name}.{k}", v) for k, v in value.items()
            }
        else:
            match[name] = _matcher(f"match.{name}", value)
    return match


def _matcher(where: str, value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"matches"} and isinstance(value["matches"], str):
            try:
                _regex(value["matches"])
            except re.error as exc:
                raise StubSpecError(
                    f"{where}: {value['matches'][:80]!r} is not a regular expression ({exc})", "match"
                ) from None
            return value
        if set(value) == {"equalTo"}:
            return value
        raise StubSpecError(f'{where}: a value, {{"equalTo": value}} or {{"matches": regex}}', "match")
    if isinstance(value, list):
        raise StubSpecError(f"{where}: a list is not a value to match", "match")
    return value


def _priority(document: Mapping[str, Any]) -> int:
    value = document.get("priority", DEFAULT_PRIORITY)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise StubSpecError("priority must be an integer from 1 (first) to 1000", "priority")
    return value


def _times(document: Mapping[str, Any]) -> int | None:
    value = document.get("times")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise StubSpecError("times must be null (every matching request) or an integer from 1", "times")
    return value


def _picture(document: Mapping[str, Any], directory: Path | None) -> tuple[bytes, str | None]:
    if document.get("image_base64") is not None:
        text = document["image_base64"]
        try:
            data = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
        except (binascii.Error, ValueError):
            data = b""
        if not data:
            raise StubSpecError("image_base64 must be a picture's bytes in base64", "image_base64")
        return _bounded(data, "image_base64"), None
    name = document["image"]
    if not isinstance(name, str) or not name:
        raise StubSpecError("image names a file in the stubs directory", "image")
    if directory is None:
        raise StubSpecError(
            "image names a file in the stubs directory, and this server has none "
            "(--stubs-dir); send image_base64 instead",
            "image",
        )
    root = directory.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise StubSpecError(f"no file {name[:200]!r} in the stubs directory", "image")
    return _bounded(path.read_bytes(), "image"), name


def _bounded(data: bytes, param: str) -> bytes:
    if len(data) > MAX_PICTURE_BYTES:
        raise StubSpecError(f"a stub's picture is at most {MAX_PICTURE_BYTES // (1024 * 1024)} MiB", param)
    return data


def _fault(document: Mapping[str, Any], errors: list[str]) -> dict[str, Any]:
    if errors:
        fault_doc: Any = {key: document[key] for key in errors}
    else:
        fault_doc = document["fault"]
        fault_doc = {"fault": fault_doc} if isinstance(fault_doc, str) else fault_doc
        if isinstance(fault_doc, dict) and {"match", "times", "probability", "seed"} & set(fault_doc):
            raise StubSpecError("a stub's fault takes no match, times or probability: the stub has them", "fault")
    try:
        fault = Fault.from_json(fault_doc)
    except FaultSpecError as exc:
        raise StubSpecError(f"{exc}", exc.param or "fault") from None
    return {key: value for key, value in fault.to_json().items() if key not in ("times", "match")}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_directory(directory: Path) -> list[dict[str, Any]]:
    """The stubs in a directory's ``*.yaml``, ``*.yml`` and ``*.json`` files, by file name; each file
    holds one stub, a list of them, or ``{"stubs": [...]}``. ``StubSpecError`` names a bad file."""
    if not directory.is_dir():
        raise StubSpecError(f"the stubs directory {directory} does not exist")
    found: list[dict[str, Any]] = []
    for path in sorted(p for p in directory.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json")):
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise StubSpecError(f"{path.name}: not YAML or JSON ({str(exc)[:200]})") from None
        items = loaded.get("stubs") if isinstance(loaded, dict) and "stubs" in loaded else loaded
        for item in items if isinstance(items, list) else [items]:
            try:
                parse(item, directory)
            except StubSpecError as exc:
                raise StubSpecError(f"{path.name}: {exc}", exc.param) from None
            assert isinstance(item, dict)  # parse refuses anything else
            found.append(item)
    return found
