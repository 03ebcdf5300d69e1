"""The ceiling: a bare Starlette endpoint on uvicorn that replays one captured response.

It reads the request body (every server must receive the upload) and answers with the exact
status, headers and bytes that the mock gave for the scenario's probe request, precomputed at
start-up: the most any Python server on this stack could do for that request. Run it as
``python -m benchmarks.ceiling --port P --workers N`` with ``EIGEN_BENCH_RESPONSE`` naming the
JSON file that ``save_response`` wrote. Several workers are started the way the mock starts them
(``mock_server.workers``: a listening socket each), so both spread connections alike.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RESPONSE_ENV = "EIGEN_BENCH_RESPONSE"
#: Headers that uvicorn or Starlette set by themselves and must not be copied twice.
_OWN = frozenset({"content-length", "date", "server", "connection", "keep-alive", "transfer-encoding"})


def save_response(path: Path, status: int, headers: dict[str, str], body: bytes) -> None:
    kept = {k: v for k, v in headers.items() if k.lower() not in _OWN}
    document = {"status": status, "headers": kept, "body": base64.b64encode(body).decode("ascii")}
    path.write_text(json.dumps(document))


def create_app() -> Starlette:
    document = json.loads(Path(os.environ[RESPONSE_ENV]).read_text())
    status, headers = int(document["status"]), dict(document["headers"])
    body = base64.b64decode(document["body"])
    media_type = headers.pop("content-type", None)

    async def replay(request: Request) -> Response:
        await request.body()
        return Response(body, status_code=status, headers=headers, media_type=media_type)

    return Starlette(routes=[Route("/api/v1/generate", replay, methods=["POST"])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    config = uvicorn.Config("benchmarks.ceiling:create_app", factory=True, host=args.host, port=args.port,
                            access_log=False, log_level=args.log_level)  # fmt: skip
    if args.workers > 1:
        from mock_server.serving import workers

        return workers.serve(config, args.workers)
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
