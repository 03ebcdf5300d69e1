"""Replaying a cassette: recorded requests are answered exactly as recorded. No HTTP here.

Requests are matched by ``matching_key``: method, path, the parameters decoded to their spec types
(so ``seed=42`` as a multipart text part and ``"seed": 42`` in JSON are the same request) and the
SHA-256 of every source image, never the raw multipart bytes (whose boundaries change with each
send). A request recorded several times gets its recorded answers in order, then the last one
again; the position is kept in the ``StateStore``, so every worker follows one sequence.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from mock_server.datatypes import RawRequest
from mock_server.errors import EigenMockError
from mock_server.generation.validation import RequestValidator
from mock_server.journal.summary import summarize
from mock_server.proxy.cassette import Cassette, RecordedResponse, request_key
from mock_server.state.store import StateStore, load_document

DOC = "replay_positions"


def matching_key(method: str, path: str, raw: RawRequest, validator: RequestValidator) -> str:
    """The key a request is recorded and replayed under."""
    try:
        typed = RawRequest(raw.media_type, validator.validate(raw), raw.uploads)
    except EigenMockError:  # an invalid request keeps its parameters as sent (recorded errors replay too)
        typed = raw
    summary = summarize(typed)
    return request_key(method, path, summary.params, summary.files)


class Replayer:
    """The recorded answers of one cassette, by matching key."""

    def __init__(self, answers: dict[str, list[RecordedResponse]], store: StateStore) -> None:
        self._answers = answers
        self._store = store

    @classmethod
    def load(cls, directory: Path, store: StateStore) -> Replayer:
        answers: dict[str, list[RecordedResponse]] = defaultdict(list)
        for interaction in Cassette(directory).interactions():
            answers[interaction.key].append(interaction.response)
        return cls(dict(answers), store)

    def __len__(self) -> int:
        return sum(len(responses) for responses in self._answers.values())

    def answer(self, key: str) -> RecordedResponse | None:
        """The next recorded answer for ``key`` (the last one repeats), or ``None`` if it was never recorded."""
        responses = self._answers.get(key)
        if not responses:
            return None

        def advance(text: str | None) -> tuple[str, int]:
            positions = load_document(text)
            position = positions.get(key, 0)
            positions[key] = position + 1
            return json.dumps(positions), min(position, len(responses) - 1)

        return responses[self._store.update(DOC, advance)]

    def reset(self) -> None:
        self._store.update(DOC, lambda _: (None, None))
