"""The gallery, ``/_mock/ui``: recent requests as a page a person would rather look at than read.

``/_mock/ui`` is a static shell (``gallery/index.html``, with its CSS and script bundled in the
package: no network at run time); its script fetches ``/_mock/ui/calls`` every two seconds, a
fragment rendered here (every value escaped here, none in the browser), and swaps it in. Each
card shows the thumbnail (``/_mock/ui/thumbnails/<sha256>.jpg``, from the bounded thumbnail
cache), the status, model, mode, prompt, seed, size, timing, the fault applied and, behind the
validation proxy, the spec violations.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mock_server.control.common import guard
from mock_server.errors import NotFound
from mock_server.runtime import runtime_of

ASSETS = Path(__file__).parent
_ASSET_TYPES = {"gallery.css": "text/css", "gallery.js": "text/javascript"}
CARDS = 60
_NO_CACHE = {"Cache-Control": "no-store"}


async def page(request: Request) -> Response:
    guard(request)
    return HTMLResponse((ASSETS / "index.html").read_text(encoding="utf-8"), headers=_NO_CACHE)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _ASSET_TYPES:
        raise NotFound(f"no gallery asset {name[:40]!r}")
    return Response((ASSETS / name).read_bytes(), media_type=_ASSET_TYPES[name])


async def thumbnail(request: Request) -> Response:
    guard(request)
    digest = request.path_params["sha256"]
    data = runtime_of(request).thumbnails.get(digest) if re.fullmatch(r"[0-9a-f]{64}", digest) else None
    if data is None:
        raise NotFound("no thumbnail for this image (it may have left the bounded cache)")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


async def calls(request: Request) -> Response:
    """The HTML fragment the page swaps in: a summary and one card per recent call, newest first."""
    guard(request)
    runtime = runtime_of(request)
    await to_thread.run_sync(runtime.thumbnailer.drain)  # someone is looking: make the waiting ones now
    recent = list(reversed(runtime.journal.documents(limit=CARDS)))
    token = request.query_params.get("token")
    suffix = f"?token={quote(token)}" if token else ""
    thumbs = {doc["image_sha256"] for doc in recent if doc.get("image_sha256")}
    kept = {digest for digest in thumbs if runtime.thumbnails.get(digest) is not None}
    cards = "".join(_card(doc, suffix if doc.get("image_sha256") in kept else None) for doc in recent)
    body = _summary(recent, runtime.journal.limit) + (
        f'<section class="grid">{cards}</section>' if cards else
        '<p class="empty">No requests yet. Send one to <code>POST /api/v1/generate</code>.</p>')
    return HTMLResponse(body, headers=_NO_CACHE)


def _summary(recent: list[dict[str, Any]], size: int) -> str:
    errors = sum(1 for doc in recent if (doc.get("status") or 0) >= 400)
    faulted = sum(1 for doc in recent if doc.get("fault"))
    broken = sum(1 for doc in recent if doc.get("violations"))
    stats = [(len(recent), "shown"), (errors, "errors"), (faulted, "faults applied"), (broken, "spec violations"),
             (size, "journal size")]
    items = "".join(f'<div class="stat"><b>{value}</b><span>{label}</span></div>' for value, label in stats)
    return f'<section class="summary">{items}</section>'


def _card(doc: dict[str, Any], thumb_suffix: str | None) -> str:
    status = doc.get("status")
    params = doc.get("params") or {}
    fault = doc.get("fault")
    badge = f'<span class="badge {_status_class(status)}">{escape(str(status or "no response"))}</span>'
    return (
        f'<article class="card{" faulted" if fault else ""}" data-request-id="{escape(str(doc.get("request_id")))}"'
        f' data-status="{escape(str(status))}">'
        f'<div class="thumb">{_image(doc, thumb_suffix)}{badge}</div>'
        f'<div class="meta">'
        f'<div class="model">{escape(str(doc.get("model") or doc.get("path")))}'
        f' <span class="mode">{escape(str(doc.get("mode") or ""))}</span></div>'
        f'<div class="prompt" title="{escape(str(params.get("prompt", "")))}">'
        f'{escape(str(params.get("prompt", ""))[:200])}</div>'
        f'<div class="facts">{_facts(doc, params)}</div>'
        f'{_fault(fault)}{_violations(doc.get("violations") or [])}'
        f'<div class="source">{escape(str(doc.get("source", "mock")))}</div>'
        f'<div class="rid">{escape(str(doc.get("request_id")))}</div>'
        f'</div></article>'
    )


def _image(doc: dict[str, Any], thumb_suffix: str | None) -> str:
    if thumb_suffix is not None:
        src = f'/_mock/ui/thumbnails/{doc["image_sha256"]}.jpg{thumb_suffix}'
        alt = f'image for {doc.get("request_id")}'
        return f'<img src="{escape(src)}" alt="{escape(alt)}" loading="lazy">'
    label = doc.get("error_code") or (doc.get("fault") or {}).get("kind") or "no image"
    return f'<div class="placeholder"><b>{escape(str(doc.get("status") or "✕"))}</b>{escape(str(label))}</div>'


def _facts(doc: dict[str, Any], params: dict[str, Any]) -> str:
    facts = [f"seed {params['seed']}" if "seed" in params else "",
             f"{params['width']}×{params['height']}" if "width" in params and "height" in params else "",
             f"{len(doc.get('files') or [])} file(s)" if doc.get("files") else "",
             f"{float(doc.get('duration_ms') or 0):.0f} ms", f"{doc.get('method', '')} {doc.get('path', '')}"]
    return "".join(f"<span>{escape(fact)}</span>" for fact in facts if fact)


def _fault(fault: dict[str, Any] | None) -> str:
    if not fault:
        return ""
    return f'<div class="fault">⚡ {escape(str(fault.get("id")))}: {escape(str(fault.get("description")))}</div>'


def _violations(violations: list[dict[str, str]]) -> str:
    shown = "".join(f'<div class="violation">✗ {escape(v.get("where", ""))}: {escape(v.get("message", ""))}</div>'
                    for v in violations[:3])
    more = len(violations) - 3
    return shown + (f'<div class="violation">… and {more} more</div>' if more > 0 else "")


def _status_class(status: int | None) -> str:
    if status is None:
        return "snone"
    return "s2xx" if status < 400 else "s4xx" if status < 500 else "s5xx"
