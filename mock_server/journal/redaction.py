"""What the journal and cassettes never keep: credentials, recognised by their name (no HTTP here).

A list of known headers misses the next one (``X-Goog-Api-Key``, ``X-Amz-Security-Token``, a
``?api_key=`` in the URL), so a header, query parameter or body field counts as a credential when
its name holds one of the fragments below, in any case, with or without ``-``/``_``. A few public
names that hold a fragment are spelled out as not secret: a test wants to see the
``Idempotency-Key`` its client resent and the ``X-Mock-Session`` it ran in, and a
``WWW-Authenticate`` challenge carries no secret.
Redacting too much costs a test a value it can see elsewhere; too little leaks a key into a
cassette that gets committed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote_plus

REDACTED = "<redacted>"
#: Name fragments that mark a credential ("apikey", "x-auth-token", "client_secret", "sessionid"...).
_FRAGMENTS = re.compile(
    r"auth|key|token|secret|passw|pwd|credential|signature|session|sessid|cookie|bearer"
    r"|jwt|csrf|xsrf|private"
)
#: Whole names too short to be fragments: Azure's SAS ``sig``, ``pass``, ``pin``.
_SHORT_NAMES = frozenset({"sig", "pass", "pin", "otp"})
#: Public names that hold a fragment.
_PUBLIC_NAMES = frozenset({"idempotencykey", "xidempotencykey", "wwwauthenticate", "xmocksession"})


@lru_cache(maxsize=256)
def is_secret_name(name: str) -> bool:
    """True if a header, query parameter or field of this name may hold a credential."""
    folded = re.sub(r"[-_.\s]", "", name.lower())
    if folded in _PUBLIC_NAMES:
        return False
    return folded in _SHORT_NAMES or _FRAGMENTS.search(folded) is not None


def redacted_value(value: str) -> str:
    """``<redacted>``, after the scheme word when there is one (``Bearer <redacted>``), so a test can
    still see how the credential was sent."""
    scheme, space, _ = value.strip().partition(" ")
    return f"{scheme} {REDACTED}" if space and scheme.isalpha() else REDACTED


@lru_cache(maxsize=64)
def redact_query(query: str) -> str:
    """The query string with the value of every credential-looking parameter replaced (names, order
    and the other values kept as sent)."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        secret = bool(value) and is_secret_name(unquote_plus(name))
        parts.append(f"{name}={REDACTED}" if secret else part)
    return "&".join(parts)
