"""Servers that validate parameters a little wrongly: off-by-one limits, lenient parsers, wrong
codes, a default that is not the stated one (each wrong in one way)."""

from __future__ import annotations

import re

from contract_tests.library import ModelLibrary
from contract_tests.resources import bundled
from contract_tests.spec import ContractSpec

from .middleware import Bug
from .wire import DROP, Answer, Sent, error_answer, header

LIBRARY = ModelLibrary.load(bundled("fixtures/models.yaml"))
SPEC = ContractSpec.load()


def _mode(sent: Sent) -> str:
    return str(sent.param("mode") or ("image-editing" if sent.has_source else "text-to-image"))


class PromptOptional(Bug):
    """A missing prompt defaults to an empty caption instead of a 400."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("prompt", "untitled") if sent.param("prompt") is None and sent.method == "POST" else sent


class EmptyModelDefaults(Bug):
    """An empty model falls back to the default model."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("model", "eigen-image") if sent.param("model") == "" else sent


class TooLong(Bug):
    """``name`` is refused from ``limit`` characters on (a limit below the contract's)."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit = name, limit

    def request(self, sent: Sent) -> Sent | Answer:
        value = sent.param(self.name)
        if isinstance(value, str) and len(value) >= self.limit:
            return error_answer(400, "invalid_parameter", f"{self.name} is too long")
        return sent


class NegativePromptUncapped(Bug):
    """negative_prompt has no length limit: anything longer is cut to 10,000 characters silently."""

    def request(self, sent: Sent) -> Sent:
        value = sent.param("negative_prompt")
        if isinstance(value, str) and len(value) > 10_000:
            return sent.with_param("negative_prompt", value[:10_000])
        return sent


class SeedMaxRefused(Bug):
    """seed is a signed 32-bit integer: 2^31 and above are refused."""

    def request(self, sent: Sent) -> Sent | Answer:
        seed = sent.param("seed")
        if isinstance(seed, int | str) and str(seed).isdigit() and int(seed) >= 2**31:
            return error_answer(400, "invalid_parameter", "seed must be between 0 and 2147483647")
        return sent


class FractionTruncated(Bug):
    """A fractional JSON number for an integer parameter is truncated (int(59.5) == 59)."""

    def request(self, sent: Sent) -> Sent:
        for name in ("seed", "num_inference_steps", "rank", "width", "height", "sample_steps"):
            value = (sent.json or {}).get(name)
            if isinstance(value, float) and not value.is_integer():
                sent = sent.with_param(name, int(value))
        return sent


class IntegralFloatEchoed(Bug):
    """59.0 is accepted, and echoed as sent: the response reports seed 59.0, a float."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        seed, document = (sent.json or {}).get("seed"), answer.json
        if not isinstance(seed, float) or answer.status != 200 or document is None:
            return answer
        return answer.with_body(re.sub(rb'"seed": ?\d+', f'"seed": {seed}'.encode(), answer.body))


class RepeatedScalarFirstValue(Bug):
    """A multipart scalar sent twice is read as its first value."""

    def request(self, sent: Sent) -> Sent:
        names = [name for name, _ in sent.fields()]
        for name in {name for name in names if names.count(name) > 1 and name != "images"}:
            sent = sent.keeping_first(name)
        return sent


class SurrogateAccepted(Bug):
    """A lone surrogate escape is replaced by U+FFFD instead of refused."""

    def request(self, sent: Sent) -> Sent:
        if not sent.content_type.startswith("application/json"):
            return sent
        fixed = re.sub(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", rb"\\ufffd", sent.body)
        return sent if fixed == sent.body else sent.with_body(fixed)


class SizeAccepted(Bug):
    """size "WxH" (an older docs page) is read as width and height."""

    def request(self, sent: Sent) -> Sent:
        size = sent.param("size")
        if not isinstance(size, str) or "x" not in size:
            return sent
        width, _, height = size.partition("x")
        sent = sent.with_param("size", DROP)
        if sent.json is not None:
            return sent.with_param("width", int(width)).with_param("height", int(height))
        return sent.with_param("width", width).with_param("height", height)


class UnknownParameterIgnored(Bug):
    """Names that are not parameters at all are dropped silently."""

    def request(self, sent: Sent) -> Sent:
        known = {"size", "image_file", "image", "images", "image_path", *SPEC.parameters}
        for name in {name for name, _ in sent.fields()} - known:
            sent = sent.with_param(name, DROP)
        return sent


class UnknownModelMessageTerse(Bug):
    """unknown_model says only "unknown model", not which ids are valid."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = (answer.json or {}).get("error")
        if not isinstance(error, dict) or error.get("code") != "unknown_model":
            return answer
        return answer.with_json({"error": {**error, "message": "unknown model"}})


class UnofferedModeIgnored(Bug):
    """A mode the model does not offer is dropped; the model's own mode is used."""

    def request(self, sent: Sent) -> Sent:
        model, mode = sent.param("model"), sent.param("mode")
        if isinstance(model, str) and mode is not None and mode not in LIBRARY.modes_of(model) and not sent.has_source:
            return sent.with_param("mode", DROP)
        return sent


class CharsetRefused(Bug):
    """Content-Type is compared as a whole string: application/json; charset=utf-8 is a 415."""

    def request(self, sent: Sent) -> Sent | Answer:
        content_type = header(sent.headers, "content-type") or ""
        if content_type.lower().startswith("application/json") and content_type.strip() != "application/json":
            return error_answer(415, "unsupported_media_type", f"{content_type} is not supported")
        return sent


class DefaultStepsNot30(Bug):
    """Without num_inference_steps the server uses 28, not the reference's 30."""

    def request(self, sent: Sent) -> Sent:
        offering = LIBRARY.get(str(sent.param("model")), _mode(sent))
        if offering is None or not offering.accepts("num_inference_steps") or sent.param("num_inference_steps"):
            return sent
        return sent.with_param("num_inference_steps", 28 if sent.json is not None else "28")


class PromptCharactersRefused(Bug):
    """A prompt with a character above ``highest`` gets ``status``: the caption font stops there."""

    def __init__(self, highest: int = 0xFF, status: int = 400, code: str = "invalid_parameter") -> None:
        self.highest, self.status, self.code = highest, status, code

    def request(self, sent: Sent) -> Sent | Answer:
        prompt = sent.param("prompt")
        if isinstance(prompt, str) and any(ord(ch) > self.highest for ch in prompt):
            return error_answer(self.status, self.code, f"prompt characters must be at most U+{self.highest:04X}")
        return sent
