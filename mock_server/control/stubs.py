"""Control-plane handlers for stubs: ``GET/POST/DELETE /_mock/stubs`` and ``DELETE /_mock/stubs/{id}``.

Thin: parse, call the ``StubBook``, serialise. ``POST`` takes one stub or a list; all are checked
before any is added.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.control.common import guard, json_items, removal, session_action, session_of
from mock_server.errors import InvalidParameter
from mock_server.stubs.book import StubSpecError, parse


async def list_stubs(request: Request) -> Response:
    guard(request)
    return JSONResponse({"stubs": session_of(request).stubs.entries()})


async def add_stubs(request: Request) -> Response:
    guard(request)
    items = await json_items(request)
    book = session_of(request).stubs
    try:
        for item in items:  # every stub checked before any is added
            parse(item, book.directory)
        entries = [book.add(item) for item in items]
    except StubSpecError as exc:
        raise InvalidParameter(str(exc), param=exc.param) from None
    return JSONResponse({"stubs": entries}, status_code=201)


clear_stubs = session_action(lambda session: session.stubs.clear())


remove_stub = removal("stub_id", "stub", lambda session, stub_id: session.stubs.remove(stub_id))
