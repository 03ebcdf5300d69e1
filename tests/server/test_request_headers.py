"""The request's headers, decoded once per header list, read as Starlette's ``Headers`` reads them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from mock_server.http.headers import headers_of

names = st.sampled_from([b"authorization", b"content-type", b"x-mock-fault", b"x-a", b"Content-Length"])
values = st.binary(max_size=12)
header_lists = st.lists(st.tuples(names, values), max_size=8)


@settings(max_examples=200, deadline=None)
@given(raw=header_lists, as_lists=st.booleans())
def test_every_name_reads_as_starlette_reads_it(raw: list[tuple[bytes, bytes]], as_lists: bool) -> None:
    sent = [[name, value] for name, value in raw] if as_lists else raw  # ASGI allows either
    found = headers_of({"headers": sent})
    lowered = [(name.lower(), value) for name, value in raw]  # an ASGI server lower-cases names
    expected = Headers(raw=lowered)
    for name in {name.decode().lower() for name, _ in raw} | {"absent"}:
        assert found.get(name) == expected.get(name)
    assert found == headers_of({"headers": list(sent)})  # a second time, from the cache when it can be


def test_the_shared_mapping_cannot_be_changed() -> None:
    found = headers_of({"headers": [(b"authorization", b"Bearer k")]})
    with pytest.raises(TypeError):
        found["authorization"] = "Bearer other"  # type: ignore[index]
    assert headers_of({"headers": [(b"authorization", b"Bearer k")]})["authorization"] == "Bearer k"
