"""S3 paths and S3 storage against a real moto server on 127.0.0.1 (no AWS, no network).

moto's state is process-global, so every test makes its own uniquely named bucket and never
assumes that a bucket it did not create is absent or empty.
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import errors
from mock_server.s3.embedded import EmbeddedS3, create_bucket
from mock_server.s3.paths import S3Location
from mock_server.s3.storage import S3Config, S3Storage

pytestmark = pytest.mark.e2e

ACCESS_KEY = "AKIDPROBE0123456789"
SECRET_KEY = "never-in-a-message-0123456789"


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[EmbeddedS3]:
    with EmbeddedS3(bucket=unique_bucket("default")) as server:
        yield server


@pytest.fixture
def storage(moto_s3: EmbeddedS3) -> S3Storage:
    config = S3Config(endpoint_url=moto_s3.endpoint_url, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY)
    return S3Storage(config)


@pytest.fixture
def bucket(storage: S3Storage) -> str:
    name = unique_bucket()
    storage.ensure_bucket(name)
    return name


def unique_bucket(stem: str = "t") -> str:
    return f"{stem}-{uuid.uuid4().hex[:16]}"


def keys_in(storage: S3Storage, bucket: str) -> list[str]:
    listing = storage.client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listing.get("Contents", [])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_clean_message(error: errors.EigenMockError) -> None:
    assert ACCESS_KEY not in error.message
    assert SECRET_KEY not in error.message


# -- S3Location ----------------------------------------------------------------------------------

RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def follows_aws_rules(name: str) -> bool:
    """The rules not expressed by the generating regex."""
    return (
        ".." not in name
        and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name)
        and not name.startswith(RESERVED_PREFIXES)
        and not name.endswith(RESERVED_SUFFIXES)
    )


valid_buckets = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True).filter(follows_aws_rules)
valid_keys = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)


@st.composite
def mutated_buckets(draw: st.DrawFn) -> str:
    """A valid name broken by exactly one rule violation."""
    name = draw(valid_buckets)
    at = draw(st.integers(min_value=1, max_value=len(name) - 1))
    breakers = [
        name[:at] + draw(st.sampled_from("ABCXYZ")) + name[at:],
        name[:at] + draw(st.sampled_from("_ !#$%&*+=,;:?@~\\\"'")) + name[at:],
        draw(st.sampled_from("-.")) + name,
        name + draw(st.sampled_from("-.")),
        name[:at] + ".." + name[at:],
        name + "a" * (64 - len(name)),
        name[: draw(st.integers(min_value=0, max_value=2))],
        (draw(st.sampled_from(RESERVED_PREFIXES)) + name)[:63].rstrip(".-") or "xn--a",
        name[:40].rstrip(".-") + draw(st.sampled_from(RESERVED_SUFFIXES)),
        ".".join(str(draw(st.integers(0, 999))) for _ in range(4)),
    ]
    return draw(st.sampled_from(breakers))


@given(bucket=valid_buckets, key=valid_keys)
def test_valid_locations_round_trip(bucket: str, key: str) -> None:
    uri = f"s3://{bucket}/{key}"
    location = S3Location.parse(uri, param="s3_output_path")
    assert (location.bucket, location.key) == (bucket, key)
    assert str(location) == uri
    assert S3Location.parse(str(location), param="s3_output_path") == location


@given(bucket=mutated_buckets())
def test_mutated_bucket_names_are_rejected(bucket: str) -> None:
    with pytest.raises(errors.InvalidS3Path) as caught:
        S3Location.parse(f"s3://{bucket}/key.png", param="s3_output_path")
    assert caught.value.param == "s3_output_path"


@given(bucket=valid_buckets, key=valid_keys, data=st.data())
def test_control_characters_in_keys_are_rejected(bucket: str, key: str, data: st.DataObject) -> None:
    control = data.draw(st.sampled_from([chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]))
    at = data.draw(st.integers(min_value=0, max_value=len(key)))
    with pytest.raises(errors.InvalidS3Path):
        S3Location.parse(f"s3://{bucket}/{key[:at]}{control}{key[at:]}", param="image_path")


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "s3://",
        "s3:///key",
        "s3://bucket",
        "s3://bucket/",
        "S3://bucket/key",
        "s3:/bucket/key",
        "https://bucket/key",
        "bucket/key",
        "s3://Bucket/key",
        "s3://my_bucket/key",
        "s3://bu cket/key",
        "s3://ab/key",
        "s3://" + "a" * 64 + "/key",
        "s3://-bucket/key",
        "s3://bucket-/key",
        "s3://.bucket/key",
        "s3://my..bucket/key",
        "s3://192.168.5.4/key",
        "s3://xn--bucket/key",
        "s3://sthree-bucket/key",
        "s3://bucket-s3alias/key",
        "s3://bucket--ol-s3/key",
        "s3://bucket/ke\x00y",
        "s3://bucket/ke\ny",
        "s3://bucket/ke\x7fy",
        "s3://bucket/\ud800",
        "s3://bucket/" + "a" * 1025,
        "s3://bucket/" + "é" * 513,
    ],
)
def test_invalid_locations(uri: str) -> None:
    with pytest.raises(errors.InvalidS3Path) as caught:
        S3Location.parse(uri, param="s3_output_path")
    assert caught.value.code == "invalid_s3_path"
    assert caught.value.param == "s3_output_path"


@pytest.mark.parametrize(
    ("uri", "bucket", "key"),
    [
        ("s3://my.bucket-1/renders/cat.png", "my.bucket-1", "renders/cat.png"),
        ("s3://abc/a", "abc", "a"),
        ("s3://bucket/dir/", "bucket", "dir/"),
        ("s3://bucket//leading-slash", "bucket", "/leading-slash"),
        ("s3://bucket/猫 ?#.png", "bucket", "猫 ?#.png"),
        ("s3://" + "a" * 63 + "/k", "a" * 63, "k"),
        ("s3://bucket/" + "é" * 512, "bucket", "é" * 512),
        ("s3://1.2.3.4a/k", "1.2.3.4a", "k"),
    ],
)
def test_valid_locations(uri: str, bucket: str, key: str) -> None:
    assert S3Location.parse(uri, param="p") == S3Location(bucket, key)


# -- S3Storage -----------------------------------------------------------------------------------


def test_put_then_get_round_trip_with_content_type(storage: S3Storage, bucket: str) -> None:
    location = S3Location(bucket, "renders/cat.png")
    storage.put(location, b"\x89PNG fake bytes", "image/png")

    assert storage.get(location, max_bytes=1024) == b"\x89PNG fake bytes"
    head = storage.client().head_object(Bucket=bucket, Key=location.key)
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == len(b"\x89PNG fake bytes")


def test_client_is_created_once_and_reused_with_short_bounded_timeouts(storage: S3Storage) -> None:
    assert storage.client() is storage.client()
    defaults = S3Config(endpoint_url=None)
    assert defaults.connect_timeout <= 3
    assert defaults.read_timeout <= 5
    assert defaults.max_attempts <= 3


def test_config_repr_hides_the_secret(storage: S3Storage) -> None:
    assert SECRET_KEY not in repr(storage.config)
    assert SECRET_KEY not in repr(storage)


def test_put_to_missing_bucket_is_storage_error_and_stores_nothing(storage: S3Storage) -> None:
    missing = unique_bucket("missing")
    with pytest.raises(errors.StorageError) as caught:
        storage.put(S3Location(missing, "out.png"), b"data", "image/png")

    assert caught.value.status == 502
    assert caught.value.param == "s3_output_path"
    assert missing in caught.value.message
    assert "does not exist" in caught.value.message
    assert_clean_message(caught.value)
    buckets = [b["Name"] for b in storage.client().list_buckets().get("Buckets", [])]
    assert missing not in buckets


def test_put_denied_by_bucket_policy_is_storage_error_and_stores_nothing(storage: S3Storage, bucket: str) -> None:
    deny_put = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/denied/*",
            }
        ],
    }
    storage.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_put))
    storage.put(S3Location(bucket, "allowed/a.png"), b"ok", "image/png")  # the policy is that narrow

    with pytest.raises(errors.StorageError) as caught:
        storage.put(S3Location(bucket, "denied/b.png"), b"data", "image/png")

    assert "denied" in caught.value.message
    assert bucket in caught.value.message
    assert_clean_message(caught.value)
    assert keys_in(storage, bucket) == ["allowed/a.png"]


def test_unreachable_endpoint_is_storage_error_within_seconds() -> None:
    dead = S3Storage(S3Config(endpoint_url=f"http://127.0.0.1:{free_port()}"))
    started = time.monotonic()
    with pytest.raises(errors.StorageError) as caught:
        dead.put(S3Location("some-bucket", "k.png"), b"data", "image/png")

    assert time.monotonic() - started < 5
    assert "unreachable" in caught.value.message
    assert "some-bucket" in caught.value.message


def test_endpoint_that_never_answers_times_out_quickly() -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config = S3Config(endpoint_url=f"http://127.0.0.1:{port}", read_timeout=0.3, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(errors.StorageError) as caught:
            S3Storage(config).put(S3Location("some-bucket", "k.png"), b"data", "image/png")

    assert time.monotonic() - started < 5
    assert "did not answer in time" in caught.value.message


def test_write_that_fails_verification_is_removed(storage: S3Storage, bucket: str) -> None:
    def corrupt_etag(parsed: dict[str, Any], **_: Any) -> None:
        parsed["ETag"] = '"00000000000000000000000000000000"'

    storage.client().meta.events.register("after-call.s3.PutObject", corrupt_etag)
    try:
        with pytest.raises(errors.StorageError) as caught:
            storage.put(S3Location(bucket, "checked.png"), b"data", "image/png")
    finally:
        storage.client().meta.events.unregister("after-call.s3.PutObject", corrupt_etag)

    assert "checksum" in caught.value.message
    assert keys_in(storage, bucket) == []


def test_get_of_missing_key_is_source_unavailable(storage: S3Storage, bucket: str) -> None:
    with pytest.raises(errors.SourceUnavailable) as caught:
        storage.get(S3Location(bucket, "nothing-here.png"), max_bytes=1024)

    assert caught.value.status == 400
    assert caught.value.param == "image_path"
    assert "nothing-here.png" in caught.value.message


def test_get_from_missing_bucket_is_source_unavailable(storage: S3Storage) -> None:
    missing = unique_bucket("missing")
    with pytest.raises(errors.SourceUnavailable, match="does not exist"):
        storage.get(S3Location(missing, "k.png"), max_bytes=1024)


def test_get_of_object_over_the_limit_is_source_unavailable(storage: S3Storage, bucket: str) -> None:
    location = S3Location(bucket, "big.bin")
    storage.put(location, b"x" * 100, "application/octet-stream")

    with pytest.raises(errors.SourceUnavailable, match="over the limit"):
        storage.get(location, max_bytes=99)
    assert storage.get(location, max_bytes=100) == b"x" * 100


def test_get_from_unreachable_endpoint_is_source_unavailable() -> None:
    dead = S3Storage(S3Config(endpoint_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(errors.SourceUnavailable, match="unreachable"):
        dead.get(S3Location("some-bucket", "k.png"), max_bytes=10)


def test_ensure_bucket_is_idempotent(storage: S3Storage) -> None:
    name = unique_bucket()
    storage.ensure_bucket(name)
    storage.ensure_bucket(name)
    assert keys_in(storage, name) == []


def test_ensure_bucket_rejects_invalid_names(storage: S3Storage) -> None:
    with pytest.raises(ValueError, match="3 to 63"):
        storage.ensure_bucket("ab")


# -- EmbeddedS3 ----------------------------------------------------------------------------------


def test_embedded_s3_creates_its_bucket_and_shares_state_within_the_process(moto_s3: EmbeddedS3) -> None:
    storage = S3Storage(moto_s3.config())
    assert keys_in(storage, moto_s3.bucket) == []

    with EmbeddedS3(bucket=unique_bucket("second")) as second:
        assert second.endpoint_url != moto_s3.endpoint_url
        # moto's backends are process-global: the first server sees the second one's bucket.
        assert keys_in(storage, second.bucket) == []
    assert not second.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = second.endpoint_url


def test_embedded_s3_bucket_takes_boto3_reads_and_writes_as_soon_as_start_returns() -> None:
    with EmbeddedS3(bucket=unique_bucket("ready")) as server:
        client = S3Storage(server.config()).client()
        assert server.bucket in [found["Name"] for found in client.list_buckets()["Buckets"]]
        assert client.get_bucket_location(Bucket=server.bucket).get("LocationConstraint") is None  # us-east-1
        client.put_object(Bucket=server.bucket, Key="a/b.txt", Body=b"hello")
        assert client.get_object(Bucket=server.bucket, Key="a/b.txt")["Body"].read() == b"hello"


def test_embedded_s3_creates_its_bucket_in_its_region() -> None:
    with EmbeddedS3(bucket=unique_bucket("eu"), region="eu-west-1") as server:
        client = S3Storage(server.config()).client()
        assert client.get_bucket_location(Bucket=server.bucket)["LocationConstraint"] == "eu-west-1"


def test_embedded_s3_keeps_a_bucket_that_already_exists(moto_s3: EmbeddedS3) -> None:
    storage = S3Storage(moto_s3.config())
    storage.put(S3Location(moto_s3.bucket, "kept.txt"), b"kept", "text/plain")
    with EmbeddedS3(bucket=moto_s3.bucket) as second:  # moto's buckets are process-wide: it exists
        assert keys_in(S3Storage(second.config()), moto_s3.bucket) == ["kept.txt"]
    assert "kept.txt" in keys_in(storage, moto_s3.bucket)


def test_create_bucket_reports_what_s3_refused(moto_s3: EmbeddedS3) -> None:
    with pytest.raises(errors.StorageError, match="InvalidBucketName"):
        create_bucket(moto_s3.config(), "x" * 64, timeout=5)  # EmbeddedS3 itself refuses such a name earlier


def test_create_bucket_on_a_dead_endpoint_is_storage_error() -> None:
    dead = S3Config(endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(errors.StorageError, match="did not answer"):
        create_bucket(dead, "some-bucket", timeout=5)


def test_embedded_s3_rejects_an_invalid_default_bucket() -> None:
    with pytest.raises(ValueError, match="uppercase|lowercase"):
        EmbeddedS3(bucket="Not_Valid")
