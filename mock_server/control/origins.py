"""Who may drive the control plane from a browser: the ``Host`` and ``Origin`` checks.

Two browser attacks reach a mock on 127.0.0.1 although it listens on no public address:

* DNS rebinding: a page on ``evil.example`` makes its name resolve to 127.0.0.1 and then reads
  ``/_mock/requests`` as same-origin. The request carries ``Host: evil.example``: on a loopback
  socket only loopback names are accepted (``localhost``, ``*.localhost``, ``127.x.x.x``, ``::1``).
* Cross-site requests (CSRF): any page can ``POST`` a "simple" request (``text/plain``, a form)
  without a CORS preflight. Browsers say where such a request comes from in ``Origin``; one that
  is neither the mock's own origin nor, on a loopback socket, another loopback origin is refused.
  Requests without ``Origin`` (curl, SDKs, test clients) are not browsers' cross-site requests.

Pure functions over the socket's address and the two headers; no HTTP framework here.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """True for a loopback IP address or a ``localhost`` name."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_only(authority: str) -> str:
    """The host of a ``Host`` header value (``[::1]:8000`` → ``::1``)."""
    try:
        return (urlsplit(f"//{authority}").hostname or "").lower()
    except ValueError:  # "[bad" and the like: no host, so not a loopback one
        return ""


def refusal(server_host: str | None, host: str | None, origin: str | None) -> str | None:
    """Why a request to a socket on ``server_host`` with these headers is refused, or None.

    ``server_host`` is the local address the request came in on (an ASGI ``scope["server"]``).
    """
    loopback = server_host is not None and is_loopback(server_host)
    if loopback and host is not None and not is_loopback(_host_only(host)):
        return (
            f"the Host header {host[:60]!r} is not a loopback name; the control plane on a loopback address "
            "answers only to localhost and loopback addresses (DNS rebinding)"
        )
    if origin is None:
        return None
    if origin == "null":
        return "requests from an opaque Origin (null) may not use the control plane"
    try:
        parts = urlsplit(origin)
        origin_host, origin_authority, scheme = (parts.hostname or "").lower(), parts.netloc.lower(), parts.scheme
    except ValueError:
        origin_host, origin_authority, scheme = "", "", ""
    if loopback and is_loopback(origin_host):
        return None
    if host is not None and origin_authority == host.lower() and scheme in ("http", "https"):
        return None
    return f"the Origin {origin[:60]!r} is another site; the control plane takes requests from its own origin only"


def exposure_problem(
    bind_host: str, *, control_enabled: bool, control_token: str | None, allow_open: bool
) -> str | None:
    """Why serving on ``bind_host`` would expose the control plane to the network, or None.

    The control plane resets state, queues faults, replaces models and shows what clients sent:
    on an address other hosts can reach it needs a token, unless the user says it may be open."""
    if not control_enabled or control_token or allow_open or is_loopback(bind_host):
        return None
    return (
        f"--host {bind_host} can be reached from other machines, and so could the /_mock/ control plane "
        "(reset, faults, models, the journal). Give --control-token TOKEN, or --no-control, or "
        "--allow-open-control if anyone on that network may drive the mock"
    )
