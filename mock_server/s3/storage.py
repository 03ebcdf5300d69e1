"""Blocking S3 reads and writes for ``image_path`` sources and ``s3_output_path`` results.

Why a layer of its own: the contract promises that a failed write is a ``502 storage_error``
that leaves no object behind and that a source which cannot be read is a ``400
source_unavailable``; botocore's many exception types, retries and timeouts have to be mapped
onto exactly those two errors in one place. Timeouts and retries are short so that a dead
endpoint answers quickly instead of hanging a request. Error messages are written here, never
copied from botocore, so they cannot carry credentials. The calls block; the server runs them
in a worker thread. One client is created lazily and shared, which is safe: boto3 clients are
thread-safe (sessions are not, so each ``S3Storage`` makes its own session). A second,
single-attempt client is made only if a write ever needs cleaning up after an ambiguous failure.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from mock_server import errors
from mock_server.s3.paths import S3Location, bucket_name_problem

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PutObjectOutputTypeDef

log = logging.getLogger(__name__)

_MD5_HEX = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class S3Config:
    """Where and how to reach S3; ``endpoint_url`` None means AWS itself."""

    endpoint_url: str | None
    region: str = "us-east-1"
    access_key_id: str = "testing"
    secret_access_key: str = field(default="testing", repr=False)
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    #: Total attempts per call, the first included (botocore "standard" retry mode).
    max_attempts: int = 2

    def endpoint_label(self) -> str:
        """The endpoint as it may appear in a message: no user info, no path."""
        if not self.endpoint_url:
            return f"AWS S3 ({self.region})"
        parts = urlsplit(self.endpoint_url)
        host = parts.hostname or "?"
        return f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"


def _make_client(config: S3Config, attempts: int) -> S3Client:
    session = boto3.session.Session(
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
        region_name=config.region,
    )
    botocore_config = Config(
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
    )
    return session.client("s3", endpoint_url=config.endpoint_url, config=botocore_config)


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) or str(_status(exc))


def _client_reason(exc: ClientError, location: S3Location) -> str:
    """A human reason for an S3 error answer (S3's own message is not copied)."""
    code, status = _code(exc), _status(exc)
    if code == "NoSuchBucket":
        return f"bucket '{location.bucket}' does not exist"
    if code in ("NoSuchKey", "404") or status == 404:
        return f"bucket '{location.bucket}' has no object '{location.key}'"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
        return f"the storage credentials were rejected for bucket '{location.bucket}' ({code})"
    if code in ("AccessDenied", "AllAccessDisabled", "403") or status == 403:
        return f"access to bucket '{location.bucket}' was denied"
    return f"S3 answered {code} (HTTP {status}) for bucket '{location.bucket}'"


def _transport_reason(exc: BotoCoreError, config: S3Config, location: S3Location) -> str:
    """A human reason for a failure below HTTP (never ``str(exc)``)."""
    endpoint = config.endpoint_label()
    if isinstance(exc, BotoConnectionError):
        return f"the S3 endpoint {endpoint} is unreachable (bucket '{location.bucket}')"
    if isinstance(exc, ReadTimeoutError):
        return f"the S3 endpoint {endpoint} did not answer in time (bucket '{location.bucket}')"
    if isinstance(exc, ConnectionClosedError):
        return f"the S3 endpoint {endpoint} closed the connection (bucket '{location.bucket}')"
    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials are configured"
    return f"{type(exc).__name__} talking to {endpoint} (bucket '{location.bucket}')"


def _nothing_written(exc: Exception) -> bool:
    """True when the failed write certainly did not reach S3 or was refused by it."""
    if isinstance(exc, ClientError):
        return 400 <= _status(exc) < 500
    return isinstance(exc, BotoConnectionError | NoCredentialsError | ParamValidationError)


def _etag_confirms(response: PutObjectOutputTypeDef, md5_hex: str) -> bool:
    """False only when the ETag is a plain MD5 and it is not the MD5 of what was sent."""
    if response.get("SSEKMSKeyId") or response.get("SSECustomerAlgorithm"):
        return True  # with KMS or customer keys the ETag is not an MD5 of the content
    etag = response.get("ETag", "").strip('"').lower()
    return not _MD5_HEX.fullmatch(etag) or etag == md5_hex


class S3Storage:
    """S3 access for the mock: ``put`` results, ``get`` sources, ``ensure_bucket`` at start."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._client: S3Client | None = None
        self._cleanup_client: S3Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage({self.config!r})"

    def client(self) -> S3Client:
        """The one shared boto3 client, created on first use."""
        with self._lock:
            if self._client is None:
                self._client = _make_client(self.config, self.config.max_attempts)
            return self._client

    def _cleaner(self) -> S3Client:
        """A single-attempt client for clean-up, so a hung endpoint does not double the wait."""
        with self._lock:
            if self._cleanup_client is None:
                self._cleanup_client = _make_client(self.config, 1)
            return self._cleanup_client

    def put(self, location: S3Location, data: bytes, content_type: str) -> None:
        """Store ``data`` whole at ``location`` or raise ``StorageError`` leaving nothing there."""
        digest = hashlib.md5(data, usedforsecurity=False)
        try:
            response = self.client().put_object(
                Bucket=location.bucket,
                Key=location.key,
                Body=data,
                ContentType=content_type,
                ContentLength=len(data),
                ContentMD5=base64.b64encode(digest.digest()).decode("ascii"),
            )
        except (BotoCoreError, ClientError) as exc:
            if not _nothing_written(exc):
                self._discard(location)
            raise self._write_error(location, self._reason(exc, location)) from exc
        if not _etag_confirms(response, digest.hexdigest()):
            self._discard(location)
            raise self._write_error(location, "S3 reported a checksum that does not match the bytes sent")

    def get(self, location: S3Location, *, max_bytes: int) -> bytes:
        """The bytes at ``location``; ``SourceUnavailable`` if unreadable or over ``max_bytes``."""
        try:
            response = self.client().get_object(Bucket=location.bucket, Key=location.key)
        except (BotoCoreError, ClientError) as exc:
            raise self._read_error(location, self._reason(exc, location)) from exc
        body = response["Body"]
        try:
            size = response.get("ContentLength", 0)
            if size > max_bytes:
                raise self._read_error(location, f"the object is {size} bytes, over the limit of {max_bytes}")
            data = body.read(max_bytes + 1)
        except BotoCoreError as exc:
            raise self._read_error(location, self._reason(exc, location)) from exc
        finally:
            body.close()
        if len(data) > max_bytes:
            raise self._read_error(location, f"the object is over the limit of {max_bytes} bytes")
        return data

    def ensure_bucket(self, name: str) -> None:
        """Create bucket ``name`` unless it exists (idempotent); ``StorageError`` on failure."""
        problem = bucket_name_problem(name)
        if problem:
            raise ValueError(f"{name!r}: {problem}")
        where = S3Location(bucket=name, key="-")
        try:
            self.client().head_bucket(Bucket=name)
            return
        except ClientError as exc:
            if _status(exc) != 404:
                raise self._bucket_error(name, self._reason(exc, where)) from exc
        except BotoCoreError as exc:
            raise self._bucket_error(name, self._reason(exc, where)) from exc
        self._create_bucket(name, where)

    def _create_bucket(self, name: str, where: S3Location) -> None:
        extra: dict[str, Any] = {}
        if self.config.region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
        try:
            self.client().create_bucket(Bucket=name, **extra)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._bucket_error(name, self._reason(exc, where)) from exc
        except BotoCoreError as exc:
            raise self._bucket_error(name, self._reason(exc, where)) from exc

    def _discard(self, location: S3Location) -> None:
        """Best-effort delete after a write that may have landed; failures are only logged."""
        try:
            self._cleaner().delete_object(Bucket=location.bucket, Key=location.key)
        except (BotoCoreError, ClientError) as exc:
            log.warning("could not remove %s after a failed write: %s", location, type(exc).__name__)

    def _reason(self, exc: BotoCoreError | ClientError, location: S3Location) -> str:
        if isinstance(exc, ClientError):
            return _client_reason(exc, location)
        return _transport_reason(exc, self.config, location)

    @staticmethod
    def _write_error(location: S3Location, reason: str) -> errors.StorageError:
        return errors.StorageError(f"could not write {location}: {reason}", param="s3_output_path")

    @staticmethod
    def _read_error(location: S3Location, reason: str) -> errors.SourceUnavailable:
        return errors.SourceUnavailable(f"could not read {location}: {reason}", param="image_path")

    @staticmethod
    def _bucket_error(name: str, reason: str) -> errors.StorageError:
        return errors.StorageError(f"could not make sure bucket '{name}' exists: {reason}")
