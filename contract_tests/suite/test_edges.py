"""Requests at the edge of what is valid must succeed: the bounds themselves, the longest texts,
an integral float where contract.md allows it, a media type with parameters.

Off-by-one limits (a signed 32-bit seed, a prompt limit of 9,999, a negative_prompt cap below the
10,000 contract.md guarantees) are the bugs these rows are aimed at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import describe_error
from contract_tests.judging.violations import Findings
from contract_tests.wire.builders import Builders
from contract_tests.wire.calls import GenerateCall
from contract_tests.wire.client import ContractClient
from contract_tests.wire.exchange import Exchange

from .test_errors import base_call

LONGEST = 10_000
_SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class Edge:
    clause: str
    what: str
    send: Callable[[ContractClient], Exchange]
    #: what is wrong with the response (``None``: it conforms); default: it must be a 2xx
    judge: Callable[[Exchange], str | None] = lambda exchange: None if exchange.received.ok else "refused"


def edge(clause: str, what: str, call: GenerateCall, judge: Callable[[Exchange], str | None] | None = None) -> Edge:
    send: Callable[[ContractClient], Exchange] = lambda client: client.generate(call)  # noqa: E731
    return Edge(clause, what, send) if judge is None else Edge(clause, what, send, judge)


def reports_seed(seed: int) -> Callable[[Exchange], str | None]:
    def judge(exchange: Exchange) -> str | None:
        if not exchange.received.ok:
            return "refused"
        reported = (exchange.received.json or {}).get("seed")
        return None if type(reported) is int and reported == seed else f"seed reported as {reported!r}"

    return judge


def integral_float(exchange: Exchange) -> str | None:
    """contract.md: 59.0 for an integer may be accepted (as 59) or refused with 400 invalid_parameter."""
    received, error = exchange.received, exchange.received.error or {}
    if received.status == 400 and error.get("code") == "invalid_parameter" and error.get("param") == "seed":
        return None
    return reports_seed(59)(exchange)


def edges(builders: Builders) -> Iterator[Edge]:
    base = base_call(builders, builders.offerings()[0])
    yield edge(
        "request.boundaries_accepted", f"seed {_SEED_MAX}", base.with_params(seed=_SEED_MAX), reports_seed(_SEED_MAX)
    )
    yield edge("request.prompt_max", f"a {LONGEST}-character prompt", base.with_params(prompt="p" * LONGEST))
    negative = next((o for o in builders.offerings() if o.accepts("negative_prompt")), None)
    if negative is not None:
        yield edge(
            "request.negative_prompt_cap",
            f"a {LONGEST}-character negative_prompt",
            base_call(builders, negative).with_params(negative_prompt="n" * LONGEST),
        )
    yield edge("request.integral_float", "seed 59.0 in JSON", base.with_params(seed=59.0), integral_float)
    charset = base.encode()
    charset["headers"]["Content-Type"] = "application/json; charset=utf-8"
    yield Edge(
        "request.charset_accepted",
        "Content-Type application/json; charset=utf-8",
        lambda client: client.post_encoded(charset),
    )
    yield edge("request.boundaries_accepted", "seed 0", base.with_params(seed=0), reports_seed(0))
    sized = next((o for o in builders.offerings("text-to-image") if o.accepts("width")), None)
    if sized is not None:
        yield edge("request.boundaries_accepted", "width 2048, height 512", builders.t2i(sized, width=2048, height=512))
    steps = next((o for o in builders.offerings() if o.accepts("num_inference_steps")), None)
    if steps is not None:
        for count in (100, 1):
            yield edge(
                "request.boundaries_accepted",
                f"num_inference_steps {count}",
                base_call(builders, steps).with_params(num_inference_steps=count),
            )


@contract_check("accepts_edge_requests")
def test_accepts_edge_requests(eigen_check: CheckRun) -> None:
    findings = Findings(eigen_check.id)
    for row in eigen_check.planned(list(edges(eigen_check.builders)), lambda row: row.clause):
        with eigen_check.judging(row.clause):
            exchange = row.send(eigen_check.client)
        problem = row.judge(exchange)
        if problem:
            findings.add(f"{row.what}: {problem} ({describe_error(exchange)})", exchange, row.clause)
    findings.raise_if_any()
