"""Same command, same requests: what a run sends depends on the seed and the budget, not on timing.

With ``--concurrency 4`` the mock receives exactly the requests of ``--concurrency 1`` (in
another order) and every check reaches the same verdict with the same count; another ``--seed``
draws other requests.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from contract_tests.engine.registry import CHECKS
from contract_tests.wire.exchange import SentRequest
from mock_server import Settings, create_app
from tests.fixtures.contract import RunContract
from tests.planted.middleware import Bug, Planted
from tests.planted.serving import serve
from tests.planted.wire import Sent, header

pytestmark = pytest.mark.e2e


class Recorder(Bug):
    """Fingerprints every request that reaches the server (multipart by its parts: boundaries are random)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def request(self, sent: Sent) -> Sent:
        content_type = header(sent.headers, "content-type") or ""
        read = SentRequest({"Content-Type": content_type}, sent.body, method=sent.method, url=sent.path)
        if read.media == "multipart":
            parts = sorted((p.name, p.filename or "", hashlib.sha256(_bytes(p.value)).hexdigest()) for p in read.parts)
            body = repr(parts)
        else:
            body = hashlib.sha256(sent.body).hexdigest()
        auth = header(sent.headers, "authorization") or ""
        self.seen[f"{sent.method} {sent.path} {content_type.split(';')[0]} {auth} {body}"] += 1
        return sent


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def recorded_run(run_contract: RunContract, *options: str) -> tuple[dict[str, tuple[str, int]], Counter[str]]:
    recorder = Recorder()
    with serve(Planted(create_app(Settings(access_log=False)), recorder)) as url:
        report = run_contract(url, "--max-requests", "50", *options)
    verdicts = {check["id"]: (check["outcome"], check["requests"]) for check in report.data["checks"]}
    return verdicts, recorder.seen


#: seed_round_trip replays a seed the server picked at random: its second requests follow the server,
#: not the suite, so against the mock (not deterministic there) they are left out of the comparison.
DETERMINISTIC = [option for check in CHECKS if check != "seed_round_trip" for option in ("--check", check)]


def test_the_seed_decides_the_requests_and_concurrency_changes_nothing(run_contract: RunContract) -> None:
    one_verdicts, one_requests = recorded_run(run_contract, "--concurrency", "1", *DETERMINISTIC)
    four_verdicts, four_requests = recorded_run(run_contract, "--concurrency", "4", *DETERMINISTIC)
    _, other_seed = recorded_run(run_contract, "--seed", "2", *DETERMINISTIC)
    assert four_verdicts == one_verdicts
    assert four_requests == one_requests
    assert 30 < sum(one_requests.values()) <= 50
    assert other_seed != one_requests
