"""Servers whose answers do not follow all of the request: caches keyed on too little, constants,
truncated seeds, bodies written differently each time (each wrong in one way)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

from .middleware import Bug
from .wire import Answer, Sent, header

#: Parameters that change the generation but not what the request is about (the "knobs").
KNOBS = frozenset(
    {
        "num_inference_steps",
        "guidance_scale",
        "true_cfg_scale",
        "lora_strength",
        "rank",
        "sample_steps",
        "sample_guide_scale",
        "offloading",
    }
)


class StaleCache(Bug):
    """Answers from a cache whose key leaves out ``ignored``: the second request that differs only
    there gets the first one's image and facts (with its own request id)."""

    def __init__(self, *ignored: str) -> None:
        self.ignored = frozenset(ignored)
        self.kept: dict[tuple[object, ...], Answer] = {}

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if answer.status != 200:
            return answer
        key = (sent.path, tuple(sorted(item for item in sent.fields() if item[0] not in self.ignored)))
        cached = self.kept.setdefault(key, answer)
        if cached is answer:
            return answer
        request_id = header(answer.headers, "x-request-id") or ""
        document = cached.json
        fresh = cached.with_header("x-request-id", request_id)
        if document is None:
            return fresh.with_header("content-disposition", header(answer.headers, "content-disposition"))
        return fresh.with_json({**document, "request_id": request_id})


class JsonKeyOrderVaries(Bug):
    """Every other JSON success is written with its keys in reverse order (a dict built from a set)."""

    def __init__(self) -> None:
        self.count = itertools.count()

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status != 200 or document is None or next(self.count) % 2 == 0:
            return answer
        return answer.with_body(json.dumps(dict(reversed(list(document.items())))).encode())


class ConstantProcessingTime(Bug):
    """processing_time_seconds is a constant, whatever the size and steps."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if answer.status != 200:
            return answer
        document = answer.json
        if document is None:
            return answer.with_header("x-processing-time-seconds", "1.5")
        return answer.with_json({**document, "processing_time_seconds": 1.5})


class SeedRewritten(Bug):
    """Renders with ``rewrite(seed)`` but reports the seed that was sent (a narrower integer type)."""

    def __init__(self, rewrite: Callable[[int], int]) -> None:
        self.rewrite = rewrite

    def request(self, sent: Sent) -> Sent:
        seed = sent.param("seed")
        if seed is None or not str(seed).isdigit():
            return sent
        rendered = self.rewrite(int(seed))
        return sent.with_param("seed", rendered if sent.json is not None else str(rendered))

    def response(self, sent: Sent, answer: Answer) -> Answer:
        seed, document = sent.param("seed"), answer.json
        if seed is None or answer.status != 200 or not str(seed).isdigit():
            return answer
        if document is None:
            return answer.with_header("x-seed", str(seed))
        return answer.with_json({**document, "seed": int(seed)})
