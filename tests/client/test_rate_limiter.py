"""The rate limiter: N requests per key per fixed window, with the wait until the window closes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.faults.ratelimit import RateLimit, RateLimiter
from mock_server.state.store import MemoryStore, StateStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_key_has_its_own_window_and_a_new_window_allows_again(state_store: StateStore) -> None:
    clock = Clock()
    limiter = RateLimiter(state_store, RateLimit(2, 10.0), clock)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, None]
    clock.now += 2.5
    assert limiter.hit("a") == 8  # seconds until a's window closes, rounded up
    clock.now += 7.5
    assert limiter.hit("a") is None


@given(limit=st.integers(min_value=1, max_value=10), requests=st.integers(min_value=0, max_value=30))
def test_exactly_limit_requests_pass_in_one_window(limit: int, requests: int) -> None:
    limiter = RateLimiter(MemoryStore(), RateLimit(limit, 60.0), Clock())
    allowed = [limiter.hit("key") is None for _ in range(requests)]
    assert allowed == [True] * min(limit, requests) + [False] * max(requests - limit, 0)


def test_configure_reset_and_bad_limits() -> None:
    limiter = RateLimiter(MemoryStore(), None, Clock())
    assert limiter.config() is None and limiter.hit("key") is None
    limiter.configure(RateLimit(1, 5.0))
    assert limiter.hit("key") is None and limiter.hit("key") == 5
    limiter.reset()
    assert limiter.config() is None
    with pytest.raises(ValueError, match="limit"):
        RateLimit(0, 5.0)


def test_a_key_given_as_a_callable_is_worked_out_only_while_a_limit_is_on() -> None:
    asked: list[str] = []

    def key() -> str:
        asked.append("key")
        return "key"

    limiter = RateLimiter(MemoryStore(), None, Clock())
    assert limiter.hit(key) is None and asked == []
    limiter.configure(RateLimit(1, 5.0))
    assert limiter.hit(key) is None and limiter.hit(key) == 5 and asked == ["key", "key"]
