"""The invariant rules as custom Schemathesis checks, for plain ``schemathesis run`` users.

Load it as a hooks module and name the checks you want::

    SCHEMATHESIS_HOOKS=contract_tests.schemathesis_checks \\
        schemathesis run openapi/eigen.yaml --url http://127.0.0.1:8000 -H "Authorization: Bearer $KEY" \\
        --checks not_a_server_error,error_shape,image_format,image_sha256,request_id

Importing the module registers one ``@schemathesis.check`` per rule of ``judging/invariants.py`` (same
names), plus real PNG/JPEG/WebP strategies for the file parts. The contract suite itself does not
import it: its session applies the same rules to every exchange and reports them under their own
check names. Each check judges only ``POST /api/v1/generate`` responses, so registering them in
a process that tests other APIs changes nothing there. The model library is the default
profile's; the API key is the one each request sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis

from .fuzzing.schema_conformance import register_media_types
from .judging.invariants import RULES, RuleContext
from .profile import Profile
from .spec import ContractSpec
from .wire.exchange import Exchange, Received
from .wire.session import sent_request
from .wire.target import OPERATION_PATH

LABEL = f"POST {OPERATION_PATH}"
_CONTEXT = RuleContext(ContractSpec.load(), Profile.load().library, api_key="")


def _as_check(check_id: str) -> Callable[[Any, Any, Any], bool | None]:
    judge = RULES[check_id]

    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        if case.operation.label != LABEL:
            return None
        sent = sent_request(response.request)
        headers = {name: ", ".join(values) for name, values in response.headers.items()}  # Schemathesis: name -> list
        exchange = Exchange("schemathesis", sent, Received(headers, response.content, status=response.status_code))
        token = (sent.header("authorization") or "").partition(" ")[2].strip()
        messages = judge(exchange, RuleContext(_CONTEXT.spec, _CONTEXT.library, token, _CONTEXT.request_ids))
        if messages:
            raise AssertionError("\n".join(message for _, message in messages))
        return None

    check.__name__ = check_id
    check.__doc__ = f"The contract's {check_id} rule (contract_tests/judging/invariants.py)."
    return check


CHECKS = {check_id: schemathesis.check(_as_check(check_id)) for check_id in RULES}
register_media_types()
