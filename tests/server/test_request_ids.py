"""Request ids: the spec's pattern, never repeated, and a forked process never replays its parent's."""

from __future__ import annotations

import os
import re

from mock_server.rng import new_request_id

PATTERN = re.compile(r"^gen_[0-9a-f]{32}$")  # openapi/eigen.yaml, RequestId


def test_ids_match_the_spec_and_do_not_repeat() -> None:
    ids = [new_request_id() for _ in range(5000)]
    assert all(PATTERN.match(found) for found in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    new_request_id()  # the parent's generator is seeded before the fork
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write_end, new_request_id().encode())
        os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(child, 0)
    from_child = os.read(read_end, 64).decode()
    os.close(read_end)
    assert status == 0 and PATTERN.match(from_child)
    assert from_child != new_request_id()  # without reseeding, both would draw the same next id
