"""Passing a request on to another server, and an answer back (for the proxy, recorder and replay).

Only end-to-end headers cross: the hop-by-hop ones (RFC 9110 §7.6.1) describe one connection,
and ``Host``/``Content-Length`` are the sender's to set. httpx decodes ``Content-Encoding``, so
that header is dropped from the answer as well: the body handed on is the decoded one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from mock_server.errors import EigenMockError

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade"})
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}
NOT_RETURNED = HOP_BY_HOP | {"content-length", "content-encoding"}
DEFAULT_TIMEOUT_SECONDS = 300.0


class UpstreamUnavailable(EigenMockError):
    """The proxied server could not be reached or did not answer in time."""

    status = 502
    code = "upstream_unavailable"


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class Forwarder:
    """Sends requests to ``target`` (a base URL such as ``https://api-web.eigenai.com``)."""

    def __init__(self, target: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.target = target.rstrip("/")
        self._timeout = timeout
        # Built once: loading the CA bundle costs milliseconds, too much to repeat per request.
        self._ssl = httpx.create_ssl_context()

    async def forward(
        self, method: str, path: str, query: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> UpstreamResponse:
        url = self.target + path + (f"?{query}" if query else "")
        sent = [(name, value) for name, value in headers if name.lower() not in _NOT_FORWARDED]
        try:
            async with httpx.AsyncClient(verify=self._ssl, timeout=self._timeout, trust_env=False) as client:
                answer = await client.request(method, url, headers=sent, content=body)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"cannot reach {self.target}: {type(exc).__name__}: {str(exc)[:200]}") from None
        return UpstreamResponse(answer.status_code, tuple(answer.headers.multi_items()), answer.content)
