"""Servers that route or answer errors a little wrongly: paths, methods, headers, codes, faults
(each wrong in one way)."""

from __future__ import annotations

from dataclasses import replace

from .middleware import Bug
from .wire import Answer, Sent, error_answer

OPERATION = "/api/v1/generate"


def _error(answer: Answer) -> dict[str, object] | None:
    error = (answer.json or {}).get("error")
    return error if isinstance(error, dict) else None


class ErrorRecoded(Bug):
    """Errors with code ``old`` are answered with ``status`` and ``new`` (a framework's default names)."""

    def __init__(self, old: str, new: str, status: int | None = None) -> None:
        self.old, self.new, self.status = old, new, status

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = _error(answer)
        if error is None or error.get("code") != self.old:
            return answer
        recoded = answer.with_json({"error": {**error, "code": self.new}})
        return recoded if self.status is None else replace(recoded, status=self.status)


class TracebackInMessage(Bug):
    """A debug setting left on: invalid_json messages carry the parser's traceback."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = _error(answer)
        if error is None or error.get("code") != "invalid_json":
            return answer
        trace = 'Traceback (most recent call last):\n  File "/app/parsing.py", line 69, in parse_json\nValueError'
        return answer.with_json({"error": {**error, "message": f"{error['message']}\n{trace}"}})


class TrailingSlashRouted(Bug):
    """The route matches /api/v1/generate/ too (a router that strips trailing slashes)."""

    def request(self, sent: Sent) -> Sent:
        return replace(sent, path=OPERATION) if sent.path == OPERATION + "/" else sent


class PlainText404(Bug):
    """Unknown paths get the framework's own 404: text/plain "Not Found"."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if answer.status != 404:
            return answer
        return Answer(404, [(b"content-type", b"text/plain"), (b"content-length", b"9")], b"Not Found")


class AllowListsEveryMethod(Bug):
    """405 says Allow: GET, POST, PUT (the framework lists what it could route, not what is allowed)."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("allow", "GET, POST, PUT") if answer.status == 405 else answer


class NoRetryAfter(Bug):
    """429s without Retry-After."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("retry-after", None) if answer.status == 429 else answer


class BrokenJson500(Bug):
    """A body that is not JSON escapes the parser: a 500."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = _error(answer)
        if error is not None and error.get("code") == "invalid_json" and sent.body.startswith(b'{"model": '):
            return error_answer(500, "internal_error", "internal error")
        return answer
