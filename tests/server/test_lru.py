"""The one LRU behaves as an obvious list of (key, value) pairs would, and stays bounded across threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.lru import LRU

keys = st.integers(min_value=0, max_value=9)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("get"), keys),
        st.tuples(st.just("put"), keys, st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("clear")),
    ),
    max_size=60,
)


class _Reference:
    """The plain version: a list, most recent last, trimmed from the front after each insertion."""

    def __init__(self, size: int, max_bytes: int | None) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.items: list[tuple[int, int]] = []

    def get(self, key: int) -> int | None:
        for index, (kept, value) in enumerate(self.items):
            if kept == key:
                self.items.append(self.items.pop(index))
                return value
        return None

    def put(self, key: int, value: int) -> None:
        if self.size <= 0 or (self.max_bytes is not None and value > self.max_bytes):
            return
        self.items = [item for item in self.items if item[0] != key] + [(key, value)]
        while len(self.items) > self.size or (
            self.max_bytes is not None and sum(v for _, v in self.items) > self.max_bytes
        ):
            self.items.pop(0)


@given(
    size=st.integers(min_value=0, max_value=5),
    max_bytes=st.none() | st.integers(min_value=0, max_value=100),
    ops=operations,
)
def test_the_lru_matches_the_plain_list(size: int, max_bytes: int | None, ops: list[tuple[Any, ...]]) -> None:
    cost = None if max_bytes is None else (lambda value: value)
    lru: LRU[int, int] = LRU(size, max_bytes=max_bytes, cost=cost)
    reference = _Reference(size, max_bytes)
    for op in ops:
        if op[0] == "get":
            assert lru.get(op[1]) == reference.get(op[1])
        elif op[0] == "put":
            lru.put(op[1], op[2])
            reference.put(op[1], op[2])
        else:
            lru.clear()
            reference.items.clear()
        assert lru.keys() == [key for key, _ in reference.items]
        assert lru.bytes == (0 if max_bytes is None else sum(value for _, value in reference.items))
        assert len(lru) <= max(size, 0)


def test_membership_does_not_make_an_entry_recent() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert "a" in lru
    lru.put("c", 3)
    assert lru.keys() == ["b", "c"]


def test_get_or_make_makes_once_while_kept() -> None:
    lru: LRU[str, int] = LRU(4)
    made: list[str] = []

    def make() -> int:
        made.append("x")
        return len(made)

    assert lru.get_or_make("k", make) == 1
    assert lru.get_or_make("k", make) == 1
    assert made == ["x"]


def test_a_byte_budget_needs_a_cost() -> None:
    with pytest.raises(ValueError, match="together"):
        LRU(4, max_bytes=10)


def test_threads_never_push_it_past_its_bounds() -> None:
    lru: LRU[int, bytes] = LRU(8, max_bytes=64, cost=len)
    errors: list[BaseException] = []

    def hammer(offset: int) -> None:
        try:
            for index in range(2000):
                lru.put((index * 7 + offset) % 50, b"x" * (index % 17))
                lru.get((index + offset) % 50)
                assert len(lru) <= 8 and lru.bytes <= 64
        except BaseException as exc:  # reported below: a thread's assertion would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sum(len(lru.get(key) or b"") for key in lru.keys()) == lru.bytes
