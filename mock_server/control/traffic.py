"""Control-plane handlers for traffic: the journal, the fault queue and the rate limiter.

``GET/DELETE /_mock/requests`` (filters: ``method``, ``path``, ``model``, ``mode``, ``status``,
``source``, ``since``, ``limit``), ``GET/POST/DELETE /_mock/faults`` and ``DELETE
/_mock/faults/{id}``, ``GET/PUT/DELETE /_mock/rate-limit``. Thin: parse, call the state classes,
serialise.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.control.common import guard, json_body, json_items, removal, session_action, session_of
from mock_server.errors import InvalidParameter
from mock_server.faults.fault import Fault, FaultSpecError
from mock_server.faults.ratelimit import RateLimit
from mock_server.journal import har
from mock_server.runtime import runtime_of

#: Journal fields a ``GET /_mock/requests`` query may filter on (``status`` is compared as a number).
FILTERS = ("method", "path", "model", "mode", "status", "source")
#: Filters with a closed set of values (as control.yaml says): anything else is a 400, not an empty list.
_CHOICES = {"mode": ("text-to-image", "image-editing"), "source": ("mock", "replay", "proxy")}


async def list_requests(request: Request) -> Response:
    guard(request)
    shown = _matching(request)
    return JSONResponse({"requests": shown, "count": len(shown), "journal_size": session_of(request).journal.limit})


async def requests_har(request: Request) -> Response:
    """The same records as a HAR 1.2 file; ``?bodies=true`` inlines the answers still kept."""
    guard(request)
    runtime = runtime_of(request)
    bodies = _bool(request.query_params, "bodies")
    document = har.to_har(
        _matching(request), answers=runtime.answers.get, bodies=bodies, creator_version=har.package_version()
    )
    return Response(
        orjson.dumps(document),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="eigen-mock.har"'},
    )


def _matching(request: Request) -> list[dict[str, Any]]:
    """The journal records a query asks for (filters, ``since``, ``limit``), oldest first."""
    query = request.query_params
    since, limit = _int(query, "since", 0) or 0, _int(query, "limit", None)
    criteria = {name: _criterion(name, query[name]) for name in FILTERS if name in query}
    for name, allowed in _CHOICES.items():
        if name in criteria and criteria[name] not in allowed:
            raise InvalidParameter(f"{name} must be one of {', '.join(allowed)}", param=name)
    documents = session_of(request).journal.documents(since=since)
    found = [doc for doc in documents if all(doc.get(k) == v for k, v in criteria.items())]
    return found if limit is None else found[max(len(found) - limit, 0) :]


clear_requests = session_action(lambda session: session.journal.clear())


async def list_faults(request: Request) -> Response:
    guard(request)
    return JSONResponse({"faults": session_of(request).faults.entries()})


async def add_faults(request: Request) -> Response:
    """Queue one fault (an object) or several (a list), in order; all are checked before any is queued."""
    guard(request)
    items = await json_items(request)
    queue = session_of(request).faults
    try:
        parsed = [Fault.from_json(item) for item in items]
        entries = [queue.add(fault) for fault in parsed]
    except FaultSpecError as exc:
        raise InvalidParameter(str(exc), param=exc.param) from None
    return JSONResponse({"faults": entries}, status_code=201)


clear_faults = session_action(lambda session: session.faults.clear())


remove_fault = removal("fault_id", "queued fault", lambda session, fault_id: session.faults.remove(fault_id))


async def get_rate_limit(request: Request) -> Response:
    guard(request)
    return JSONResponse(_rate_limit_json(session_of(request).rate_limiter.config()))


async def set_rate_limit(request: Request) -> Response:
    guard(request)
    limit = _rate_limit(await json_body(request))
    session_of(request).rate_limiter.configure(limit)
    return JSONResponse(_rate_limit_json(limit))


def _rate_limit(document: Any) -> RateLimit:
    """``{"limit": N, "window_seconds": S}`` checked whole: N an integer >= 1, S a finite number in (0, 86400]."""
    usage = 'send {"limit": N, "window_seconds": S} with an integer N >= 1 and a number 0 < S <= 86400'
    if not isinstance(document, dict) or "limit" not in document or set(document) - {"limit", "window_seconds"}:
        raise InvalidParameter(usage, param="limit")
    limit, window = document["limit"], document.get("window_seconds", 60)
    if isinstance(limit, float) and limit.is_integer():  # 1.0 is an integer to JSON Schema, as control.yaml says
        limit = int(limit)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidParameter(f"limit must be an integer >= 1; {usage}", param="limit")
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 < window <= 86_400:
        raise InvalidParameter(f"window_seconds must be a number in (0, 86400]; {usage}", param="window_seconds")
    return RateLimit(limit, float(window))


disable_rate_limit = session_action(lambda session: session.rate_limiter.configure(None))


def _rate_limit_json(limit: RateLimit | None) -> dict[str, Any]:
    return {"enabled": False} if limit is None else {"enabled": True, **limit.to_json()}


def _int(query: Any, name: str, default: int | None, minimum: int | None = 0) -> int | None:
    if name not in query:
        return default
    try:
        value = int(query[name])
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer", param=name) from None
    if minimum is not None and value < minimum:
        raise InvalidParameter(f"{name} must be at least {minimum}", param=name)
    return value


def _bool(query: Any, name: str) -> bool:
    value = str(query.get(name, "false")).lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidParameter(f"{name} must be true or false", param=name)
    return value in ("true", "1")


def _criterion(name: str, value: str) -> Any:
    return _int({name: value}, name, None, minimum=None) if name == "status" else value
