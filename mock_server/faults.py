"""Fault injection by request header: ``X-Mock-Fault: <status or error code>``.

Makes the contract's injection-only answers (429, 500, 503, 504, ...) reachable from any
client, one request at a time. ``X-Mock-Fault: 503`` or ``X-Mock-Fault: model_unavailable``.
"""

from __future__ import annotations

from .errors import ERRORS_BY_CODE, ERRORS_BY_STATUS, EigenMockError, InvalidParameter

FAULT_HEADER = "x-mock-fault"
RETRY_AFTER_SECONDS = 1


def error_for(spec: str) -> EigenMockError:
    """The error a fault spec asks for, or ``InvalidParameter`` naming the header if it is unknown."""
    token = spec.strip().lower()
    cls = ERRORS_BY_STATUS.get(int(token)) if token.isdigit() else ERRORS_BY_CODE.get(token)
    if cls is None:
        known = ", ".join(sorted(str(status) for status in ERRORS_BY_STATUS))
        return InvalidParameter(f"X-Mock-Fault {spec[:40]!r} is not a known fault (statuses: {known})", param=None)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if cls.status in (429, 503) else {}
    return cls(f"injected fault: {cls.code}", headers=headers)


def apply_header(value: str | None) -> None:
    if value is not None:
        raise error_for(value)
