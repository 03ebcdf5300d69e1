"""An S3 endpoint inside the mock's own process, so ``s3_output_path`` works fully offline.

Why: users and tests of the mock need somewhere to write results and read ``s3://`` sources
without AWS credentials or a network. moto's ``ThreadedMotoServer`` already is such an endpoint;
this wrapper binds it to 127.0.0.1 on a free port, reports the real port, bounds start and stop
in time (moto's own ``start()`` waits without a limit, and its ``stop()`` can block forever if
the server never served) and creates a default bucket.

The bucket is created with one signed HTTP request rather than through a boto3 client: building
a client (botocore loads the S3 model and endpoint rules) costs about 0.2 s, as much as moto's
own start, and test fixtures start this server often. Going through HTTP rather
than moto's backend API keeps moto resolving the account and region exactly as it does for any
client, and makes moto load its S3 service inside ``start()``, not on the caller's first request.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mock_server.errors import StorageError
from mock_server.s3.paths import bucket_name_problem
from mock_server.s3.storage import S3Config

DEFAULT_BUCKET = "eigen-mock"
#: Answers to a bucket creation that mean the bucket is there (moto's buckets are shared by all).
_BUCKET_EXISTS = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_ERROR_CODE = re.compile(rb"<Code>([^<]+)</Code>")


def _run_bounded(target: Any, timeout: float, what: str) -> None:
    """Run ``target()`` in a daemon thread; raise ``RuntimeError`` if it takes over ``timeout``."""
    failure: list[BaseException] = []

    def call() -> None:
        try:
            target()
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    worker = threading.Thread(target=call, name=f"embedded-s3-{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise RuntimeError(f"embedded S3 did not {what} within {timeout:g} s")
    if failure:
        raise RuntimeError(f"embedded S3 failed to {what}: {failure[0]!r}") from failure[0]


class EmbeddedS3:
    """moto's S3 server on ``127.0.0.1``, as a context manager or with ``start()``/``stop()``.

    ``endpoint_url`` is valid after ``start()``; ``config()`` gives the ``S3Config`` that reaches
    it and ``bucket`` names the bucket created at start.

    moto keeps its state in process-global backends, not in the server object. So:

    * two ``EmbeddedS3`` in one process are two doors to the same buckets and objects, and a
      bucket created through one is visible (and already existing) through the other;
    * stopping a server does not forget its data: a later server in the same process sees it;
    * ``moto.mock_aws`` entered in the same process, or ``POST /moto-api/reset`` sent to any
      moto server in it, wipes everything, including the default bucket;
    * moto's auth switch (``/moto-api/reset-auth``) is global as well.

    Code that shares a process with other users of moto (a test session) should therefore use
    its own, unique bucket names and not rely on a bucket being empty.
    """

    def __init__(
        self,
        bucket: str = DEFAULT_BUCKET,
        *,
        port: int = 0,
        region: str = "us-east-1",
        start_timeout: float = 10.0,
        quiet: bool = True,
    ) -> None:
        problem = bucket_name_problem(bucket)
        if problem:
            raise ValueError(f"{bucket!r}: {problem}")
        self.bucket = bucket
        self.region = region
        self._port = port
        self._start_timeout = start_timeout
        self._quiet = quiet
        self._server: Any = None
        self._endpoint_url: str | None = None

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("EmbeddedS3 is not running; call start() first")
        return self._endpoint_url

    @property
    def running(self) -> bool:
        return self._endpoint_url is not None

    def config(self) -> S3Config:
        """Settings that reach this server (moto accepts any credentials)."""
        return S3Config(endpoint_url=self.endpoint_url, region=self.region)

    def start(self) -> EmbeddedS3:
        """Start the server and create the default bucket, within ``start_timeout`` seconds."""
        if self.running:
            return self
        from moto.server import ThreadedMotoServer  # heavy import, only when used

        if self._quiet:
            _quiet_werkzeug()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        _run_bounded(server.start, self._start_timeout, "start")
        self._server = server
        host, port = server.get_host_and_port()
        self._endpoint_url = f"http://{host}:{port}"
        try:
            create_bucket(self.config(), self.bucket, timeout=self._start_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (idempotent). The data stays in moto's backends (see the class doc)."""
        server, self._server, self._endpoint_url = self._server, None, None
        if server is not None:
            _run_bounded(server.stop, timeout, "stop")

    def __enter__(self) -> EmbeddedS3:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def create_bucket(config: S3Config, name: str, *, timeout: float) -> None:
    """Create bucket ``name`` at ``config.endpoint_url`` unless it exists; ``StorageError`` if not."""
    assert config.endpoint_url is not None, "only for a local endpoint"
    body = b""
    if config.region != "us-east-1":  # S3 refuses a LocationConstraint naming its default region
        body = (f'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<LocationConstraint>{escape(config.region)}</LocationConstraint></CreateBucketConfiguration>"
                ).encode()  # fmt: skip
    request = AWSRequest(method="PUT", url=f"{config.endpoint_url}/{name}", data=body)
    S3SigV4Auth(Credentials(config.access_key_id, config.secret_access_key), "s3", config.region).add_auth(request)
    try:
        status, answer = _put(config.endpoint_url, f"/{name}", body, dict(request.headers.items()), timeout)
    except (OSError, http.client.HTTPException) as exc:
        raise StorageError(f"could not create bucket '{name}': {config.endpoint_label()} did not answer") from exc
    if status == 200:
        return
    found = _ERROR_CODE.search(answer)
    code = found.group(1).decode("utf-8", "replace") if found else str(status)
    if code not in _BUCKET_EXISTS:
        raise StorageError(f"could not create bucket '{name}': S3 answered {code} (HTTP {status})")


def _put(endpoint_url: str, path: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """One PUT on a fresh connection: (status, response body)."""
    connection = http.client.HTTPConnection(urlsplit(endpoint_url).netloc, timeout=timeout)
    try:
        connection.request("PUT", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _quiet_werkzeug() -> None:
    """Silence werkzeug's per-request access log unless someone configured that logger."""
    logger = logging.getLogger("werkzeug")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
