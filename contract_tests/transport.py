"""The one door to the target: every request is charged to the budget, sent, and recorded.

A ``requests.Session`` because Schemathesis sends through one (``case.call(session=...)``,
including the extra probes of its ``ignored_auth`` check), so the suite's own requests and
Schemathesis's share one budget and one journal.
"""

from __future__ import annotations

from typing import Any

import requests

from .budget import Budget
from .exchange import Exchange, Received, SentRequest
from .journal import Journal
from .violations import fail


class TargetUnreachable(ConnectionError):
    """The target refused the connection, timed out or failed TLS: the run cannot go on."""


class RecordingSession(requests.Session):
    def __init__(self, budget: Budget, journal: Journal, timeout: float) -> None:
        super().__init__()
        self.budget = budget
        self.journal = journal
        self.timeout = timeout
        self.max_redirects = 3
        self.trust_env = False  # no proxies or .netrc credentials sneaking into a contract run
        self.last: Exchange | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.budget.charge()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        sent = sent_request(request)
        try:
            response = super().send(request, **kwargs)
        except requests.ConnectionError as exc:  # refused, DNS, TLS, connect timeout
            raise TargetUnreachable(f"{request.method} {request.url}: {type(exc).__name__}: {exc}") from exc
        except requests.Timeout:
            check = self.journal.current_check
            message = f"no response within {kwargs['timeout']} s (the profile's request_timeout)"
            raise fail(check, message, Exchange(check, sent, Received({}))) from None
        self.last = Exchange(
            check=self.journal.current_check,
            sent=sent,
            received=Received(dict(response.headers), response.content, status=response.status_code),
        )
        self.journal.record(self.last)
        return response


def sent_request(request: requests.PreparedRequest) -> SentRequest:
    """The request as it goes over the wire."""
    headers = {str(name): _text(value) for name, value in request.headers.items()}
    return SentRequest(headers, _body(request.body), method=str(request.method), url=str(request.url))


def _body(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    raise TypeError(f"cannot record a streamed request body ({type(body).__name__})")


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value
