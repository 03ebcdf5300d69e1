"""The server under test and how to reach it (and its S3)."""

from __future__ import annotations

from dataclasses import dataclass, field

OPERATION_PATH = "/api/v1/generate"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the implementation under test listens.

    Parameters:
        base_url: scheme, host and port (and a path prefix, if any) in front of ``/api/v1/generate``.
        api_key: a valid key; sent as ``Authorization: Bearer <key>`` and never printed.
        s3_endpoint_url: the S3 endpoint the server writes ``s3_output_path`` objects to (``None``:
            no S3 checks); credentials come from the usual AWS environment variables.
        s3_bucket: a bucket the server can write to and the suite can read and list.
        request_timeout: seconds to wait for one response.
    """

    base_url: str
    api_key: str = field(repr=False)
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    request_timeout: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
