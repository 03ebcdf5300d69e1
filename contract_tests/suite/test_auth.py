"""Authentication: every way of not presenting the right key is a 401, on both media types."""

from __future__ import annotations

import base64

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import rejected
from contract_tests.judging.violations import Findings
from contract_tests.wire.calls import JSON, MULTIPART, Auth, GenerateCall

MISSING, INVALID = {"missing_api_key"}, {"invalid_api_key"}
EITHER = MISSING | INVALID


def auth_faults(key: str) -> list[tuple[str, Auth, set[str]]]:
    """(what, Authorization header, codes allowed): most telling first, so a small budget tests those."""
    basic = base64.b64encode(f"user:{key}".encode()).decode()
    return [
        ("no Authorization header", None, MISSING),
        ("a wrong key", "Bearer wrong-key-0123456789", INVALID),
        ("the key without 'Bearer '", key, EITHER),
        ("Basic credentials", f"Basic {basic}", EITHER),
        ("the key with a character more", f"Bearer {key}x", INVALID),
        ("a prefix of the key", f"Bearer {key[:-1]}", EITHER),
        ("'Bearer' and no key", "Bearer ", EITHER),
    ]


def valid_call(check: CheckRun) -> GenerateCall:
    builders = check.builders
    t2i = builders.first("text-to-image")
    if t2i is not None:
        return builders.t2i(t2i)
    edit = builders.first("image-editing")
    assert edit is not None, "the profile's library has no model"
    return builders.edit(edit)


@contract_check("auth_required")
def test_auth_required(eigen_check: CheckRun) -> None:
    faults = auth_faults(eigen_check.run.target.api_key)
    rows = [(media, fault) for fault in faults for media in (JSON, MULTIPART)]
    findings = Findings(eigen_check.id)
    base = valid_call(eigen_check)
    planned = rows[: eigen_check.units(len(rows))]
    sent = eigen_check.map(planned, lambda row: eigen_check.client.generate(base.as_media(row[0]).with_auth(row[1][1])))
    for (media, (what, _, codes)), exchange in zip(planned, sent, strict=True):
        rejected(findings, exchange, f"{media} request with {what}", 401, codes)
        if (exchange.received.header("www-authenticate") or "").split(" ")[0].lower() != "bearer":
            message = f"{media} request with {what}: a 401 must carry WWW-Authenticate: Bearer"
            findings.add(message, exchange, "auth.www_authenticate")
    findings.raise_if_any()
