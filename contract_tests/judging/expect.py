"""Assertions the checks share; each failure names the exchange that shows it."""

from __future__ import annotations

from collections.abc import Collection

from ..wire.exchange import Exchange
from . import evidence
from .violations import Findings, fail

ANY_PARAM = object()


def describe_error(exchange: Exchange) -> str:
    received, error = exchange.received, exchange.received.error
    if error is not None:
        code, message = evidence.clip(str(error.get("code")), 40), evidence.clip(str(error.get("message")), 160)
        return f"HTTP {received.status} {code}: {message}"
    return f"HTTP {received.status} {evidence.body(received)}"


def image(check: str, exchange: Exchange, what: str = "a valid request") -> bytes:
    """The image of a response that must be a success."""
    received = exchange.received
    if not received.ok:
        raise fail(check, f"{what} was refused: {describe_error(exchange)}", exchange)
    if received.image is None:
        raise fail(check, f"{what} succeeded without an image (no image_base64, no image body)", exchange)
    return received.image


def rejected(
    findings: Findings,
    exchange: Exchange,
    what: str,
    status: int,
    codes: Collection[str],
    param: object = ANY_PARAM,
) -> None:
    """Record unless ``exchange`` is an error ``status`` with one of ``codes`` (and that ``param``)."""
    code = (exchange.received.error or {}).get("code")
    wanted = f"{status} {'/'.join(sorted(codes))}"
    if exchange.received.status != status or not isinstance(code, str) or code not in codes:
        findings.add(f"{what}: expected {wanted}, got {describe_error(exchange)}", exchange)
    elif param is not ANY_PARAM and (exchange.received.error or {}).get("param", ANY_PARAM) != param:
        got = (exchange.received.error or {}).get("param")
        findings.add(f"{what}: error.param must be {param!r}, got {evidence.clip(repr(got), 80)}", exchange)
