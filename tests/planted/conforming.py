"""A conforming server that answers differently from the mock wherever contract.md allows it, and
departs from our spec where contract.md is silent. Under the ``live`` profile it must pass, with the
spec departures reported as warnings; it shows that the suite judges the contract, not the mock.

Its choices: a negative_prompt cap of 20,000 characters (our spec: 10,000; contract.md: any cap
from 10,000 up), a repeated multipart scalar read as its last value, ``unsupported_parameter`` for an
editing-only model sent without mode or source, 59.0 refused for an integer, and an unpaired
surrogate refused as ``invalid_parameter`` naming the field.
"""

from __future__ import annotations

import re
import uuid

from contract_tests.library import ModelLibrary
from contract_tests.resources import bundled
from contract_tests.spec import ContractSpec

from .middleware import Bug
from .wire import Answer, Sent, error_answer

LIBRARY = ModelLibrary.load(bundled("fixtures/models.yaml"))
SPEC = ContractSpec.load()
NEGATIVE_PROMPT_CAP = 20_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class OtherConformingChoices(Bug):
    def request(self, sent: Sent) -> Sent | Answer:
        for check in (self._surrogate, self._integral_float, self._edit_only_model):
            answer = check(sent)
            if answer is not None:
                return answer
        sent = self._last_value_wins(sent)
        prompt = sent.param("negative_prompt")
        if isinstance(prompt, str) and 10_000 < len(prompt) <= NEGATIVE_PROMPT_CAP:
            return sent.with_param("negative_prompt", prompt[:10_000])  # the mock renders what fits its cap
        if isinstance(prompt, str) and len(prompt) > NEGATIVE_PROMPT_CAP:
            return error_answer(400, "invalid_parameter", f"negative_prompt is over {NEGATIVE_PROMPT_CAP} characters")
        return sent

    def _surrogate(self, sent: Sent) -> Answer | None:
        for name, value in (sent.json or {}).items():
            if isinstance(value, str) and _LONE_SURROGATE.search(value):
                return _error("invalid_parameter", f"{name} holds an unpaired surrogate", name)
        return None

    def _integral_float(self, sent: Sent) -> Answer | None:
        for name, value in (sent.json or {}).items():
            if SPEC.parameter_types.get(name) == "integer" and isinstance(value, float) and value.is_integer():
                return _error("invalid_parameter", f"{name} must be an integer", name)
        return None

    def _edit_only_model(self, sent: Sent) -> Answer | None:
        model = sent.param("model")
        only_edits = isinstance(model, str) and LIBRARY.modes_of(model) == ["image-editing"]
        if only_edits and sent.param("mode") is None and not sent.has_source and sent.param("prompt"):
            return _error("unsupported_parameter", f"{model} does not do text-to-image: send a source", "mode")
        return None

    def _last_value_wins(self, sent: Sent) -> Sent:
        if sent.json is not None:
            return sent
        names = [name for name, _ in sent.fields()]
        for name in {name for name in names if names.count(name) > 1 and name != "images"}:
            last = [value for key, value in sent.fields() if key == name][-1]
            sent = sent.with_param(name, last[:-2].decode())
        return sent


def _error(code: str, message: str, param: str) -> Answer:
    request_id = f"gen_{uuid.uuid4().hex}"
    error = {"code": code, "message": message, "param": param, "request_id": request_id}
    return error_answer(400, code, message).with_json({"error": error}).with_header("x-request-id", request_id)
