"""The one door to the target: every request is charged to the budget, sent, and recorded.

A ``requests.Session`` because Schemathesis sends through one (``case.call(session=...)``,
including the extra probes of its ``ignored_auth`` check), so the suite's own requests and
Schemathesis's share one budget and one traffic log. Safe to use from several threads (the
checks' examples and rows run concurrently with ``--concurrency``).

What can go wrong with one request stays with that request:

* a reset, a read timeout or an answer that is not HTTP is a failure of the check that sent it
  (``ContractViolation`` with the request, so the report can reproduce it); the run goes on;
* a 429 or 503 with ``Retry-After`` is waited out (``engine/pacing.py``) and sent again, each retry
  charged to the budget and counted;
* a connection that cannot be opened is tried again with a short back-off; only after
  ``len(CONNECT_BACKOFF) + 1`` consecutive failures is the target taken as gone: the request's check
  and every later one are "not run" with the reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..engine.budget import Budget
from ..engine.pacing import MAX_RETRIES, Pacing, RateLimited, TargetUnreachable, retry_after
from ..judging.violations import fail
from .exchange import Exchange, Received, SentRequest
from .traffic_log import TrafficLog

#: Back-off (seconds) before each new attempt to connect; one more failure after the last stops the run.
CONNECT_BACKOFF = (0.25, 0.5, 1.0, 2.0)


class TargetSession(requests.Session):
    def __init__(
        self,
        budget: Budget,
        traffic: TrafficLog,
        timeout: float,
        *,
        pacing: Pacing | None = None,
        concurrency: int = 1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.budget = budget
        self.traffic = traffic
        self.timeout = timeout
        self.pacing = pacing or Pacing(0.0)
        self.max_redirects = 3
        self.trust_env = False  # no proxies or .netrc credentials sneaking into a contract run
        self._local = threading.local()
        self._sleep = sleep
        self._stop_lock = threading.Lock()
        #: why the target is taken as gone (every later request is refused without being sent)
        self.gone: str | None = None
        self._in_flight = threading.BoundedSemaphore(concurrency)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, concurrency))
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    @property
    def last(self) -> Exchange | None:
        """The last exchange recorded by the calling thread."""
        return getattr(self._local, "last", None)

    @last.setter
    def last(self, exchange: Exchange | None) -> None:
        self._local.last = exchange

    @contextmanager
    def refusals_as_answers(self) -> Iterator[None]:
        """In this block (this thread), a 429/503 is returned as it came, not waited out and retried.

        For a check that provokes a rate limit to judge the refusal itself (its ``Retry-After``).
        """
        before = getattr(self._local, "raw", False)
        self._local.raw = True
        try:
            yield
        finally:
            self._local.raw = before

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.gone is not None:
            raise TargetUnreachable(self.gone)
        self.budget.charge()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        sent = sent_request(request)
        retries = 0
        while True:
            response = self._attempt(request, sent, kwargs)
            exchange = self._record(sent, response)
            wait = retry_after(response.status_code, response.headers.get("retry-after"))
            if wait is None or getattr(self._local, "raw", False):
                return response
            if retries >= MAX_RETRIES:
                raise RateLimited(f"rate limited: still HTTP {response.status_code} after {retries} retries")
            self.pacing.wait(wait, f"HTTP {response.status_code} to {exchange.describe()}")
            self.budget.charge(retry=True)
            retries += 1

    def _record(self, sent: SentRequest, response: requests.Response) -> Exchange:
        self.last = Exchange(
            check=self.traffic.current_check,
            sent=sent,
            received=Received(dict(response.headers), response.content, status=response.status_code),
        )
        self.traffic.record(self.last)
        return self.last

    def _attempt(
        self, request: requests.PreparedRequest, sent: SentRequest, kwargs: dict[str, Any]
    ) -> requests.Response:
        """One request, with a short back-off while the connection cannot be opened."""
        for attempt in range(len(CONNECT_BACKOFF) + 1):
            try:
                with self._in_flight:
                    response = super().send(request, **kwargs)
                    _ = response.content  # the whole body now: a broken body is this request's failure
                return response
            except requests.RequestException as exc:
                if not _connect_failure(exc):
                    raise self._broken(sent, exc, kwargs["timeout"]) from None
                if attempt < len(CONNECT_BACKOFF):
                    self._sleep(CONNECT_BACKOFF[attempt])
                    continue
                self._stop(f"{request.method} {request.url}: {_reason(exc)}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _broken(self, sent: SentRequest, exc: requests.RequestException, timeout: float) -> Exception:
        check = self.traffic.current_check
        exchange = Exchange(check, sent, Received({}))
        self.last = exchange
        if isinstance(exc, requests.Timeout):
            message = f"no response within {timeout:g} s (the profile's request_timeout)"
        else:
            message = f"the server broke the connection instead of answering: {_reason(exc)}"
        return fail(check, message, exchange)

    def _stop(self, reason: str) -> None:
        with self._stop_lock:
            if self.gone is None:
                attempts = len(CONNECT_BACKOFF) + 1
                self.gone = (
                    f"the target stopped accepting connections ({attempts} consecutive connect failures "
                    f"over {sum(CONNECT_BACKOFF):g} s): {reason}"
                )
        raise TargetUnreachable(self.gone)


def _connect_failure(exc: requests.RequestException) -> bool:
    """Whether the connection could not be opened at all (nothing reached the server)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.InvalidURL):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _reason(exc: BaseException) -> str:
    """The innermost cause, in a few words (``ConnectionResetError: [Errno 104] Connection reset by peer``)."""
    seen: list[BaseException] = [exc]
    inner: BaseException | None = exc
    while inner is not None:
        nested = [a for a in getattr(inner, "args", ()) if isinstance(a, BaseException)]
        inner = getattr(inner, "reason", None) or (nested[-1] if nested else None) or inner.__cause__
        if inner is None or inner in seen:
            break
        seen.append(inner)
    last = seen[-1]
    text = " ".join(str(last).split()) or type(last).__name__
    return f"{type(last).__name__}: {text}"[:200]


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
