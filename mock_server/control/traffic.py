"""Control-plane handlers for traffic: the journal, the fault queue and the rate limiter.

``GET/DELETE /_mock/requests`` (filters: ``method``, ``path``, ``model``, ``mode``, ``status``,
``source``, ``since``, ``limit``), ``GET/POST/DELETE /_mock/faults`` and ``DELETE
/_mock/faults/{id}``, ``GET/PUT/DELETE /_mock/rate-limit``. Thin: parse, call the state classes,
serialise.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.control.common import action, guard, json_body, no_content
from mock_server.errors import InvalidParameter, NotFound
from mock_server.faults.fault import Fault, FaultSpecError
from mock_server.faults.ratelimit import RateLimit
from mock_server.runtime import runtime_of

#: Journal fields a ``GET /_mock/requests`` query may filter on (``status`` is compared as a number).
FILTERS = ("method", "path", "model", "mode", "status", "source")


async def list_requests(request: Request) -> Response:
    guard(request)
    query = request.query_params
    since, limit = _int(query, "since", 0) or 0, _int(query, "limit", None)
    journal = runtime_of(request).journal
    criteria = {name: _criterion(name, query[name]) for name in FILTERS if name in query}
    found = [doc for doc in journal.documents(since=since) if all(doc.get(k) == v for k, v in criteria.items())]
    shown = found if limit is None else found[max(len(found) - limit, 0):]
    return JSONResponse({"requests": shown, "count": len(shown), "journal_size": journal.limit})


clear_requests = action(lambda runtime: runtime.journal.clear())


async def list_faults(request: Request) -> Response:
    guard(request)
    return JSONResponse({"faults": runtime_of(request).faults.entries()})


async def add_faults(request: Request) -> Response:
    """Queue one fault (an object) or several (a list), in order; all are checked before any is queued."""
    guard(request)
    document = await json_body(request)
    items = document if isinstance(document, list) else [document]
    queue = runtime_of(request).faults
    try:
        parsed = [Fault.from_json(item) for item in items]
        entries = [queue.add(fault) for fault in parsed]
    except FaultSpecError as exc:
        raise InvalidParameter(str(exc), param=exc.param) from None
    return JSONResponse({"faults": entries}, status_code=201)


clear_faults = action(lambda runtime: runtime.faults.clear())


async def remove_fault(request: Request) -> Response:
    guard(request)
    fault_id = request.path_params["fault_id"]
    if not runtime_of(request).faults.remove(fault_id):
        raise NotFound(f"no queued fault {fault_id[:40]!r}")
    return no_content()


async def get_rate_limit(request: Request) -> Response:
    guard(request)
    return JSONResponse(_rate_limit_json(runtime_of(request).rate_limiter.config()))


async def set_rate_limit(request: Request) -> Response:
    guard(request)
    document = await json_body(request)
    try:
        limit = RateLimit(int(document["limit"]), float(document.get("window_seconds", 60)))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidParameter("send {\"limit\": N, \"window_seconds\": S} with N >= 1 and 0 < S <= 86400",
                               param="limit") from None
    runtime_of(request).rate_limiter.configure(limit)
    return JSONResponse(_rate_limit_json(limit))


disable_rate_limit = action(lambda runtime: runtime.rate_limiter.configure(None))


def _rate_limit_json(limit: RateLimit | None) -> dict[str, Any]:
    return {"enabled": False} if limit is None else {"enabled": True, **limit.to_json()}


def _int(query: Any, name: str, default: int | None) -> int | None:
    if name not in query:
        return default
    try:
        return max(int(query[name]), 0)
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer", param=name) from None


def _criterion(name: str, value: str) -> Any:
    return _int({name: value}, name, None) if name == "status" else value
