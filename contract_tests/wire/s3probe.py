"""Looking into the target's S3 bucket: what the server wrote, and that it wrote nothing else.

Credentials come from the usual AWS environment (variables, profile); when there are none,
placeholder credentials are used, which local endpoints such as moto accept. Every key the suite
asks the server to write lives under one prefix per run, so concurrent runs never collide and
the prefix can be emptied at the end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PREFIX = "eigen-contract"


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str | None


class S3Probe:
    def __init__(self, endpoint_url: str, bucket: str, region: str = "us-east-1") -> None:
        self.bucket = bucket
        self.run_prefix = f"{PREFIX}/{uuid.uuid4().hex[:12]}"
        session = boto3.session.Session(region_name=region)
        credentials: dict[str, Any] = {}
        if session.get_credentials() is None:
            credentials = {"aws_access_key_id": "eigen-contract", "aws_secret_access_key": "eigen-contract"}
        config = Config(
            connect_timeout=5,
            read_timeout=20,
            retries={"total_max_attempts": 2, "mode": "standard"},
            s3={"addressing_style": "path"},
        )
        self.client: S3Client = session.client("s3", endpoint_url=endpoint_url, config=config, **credentials)
        self._count = 0

    def new_key(self, check: str, extension: str) -> str:
        self._count += 1
        return f"{self.run_prefix}/{check}/{self._count}.{extension}"

    def uri(self, key: str, bucket: str | None = None) -> str:
        return f"s3://{bucket or self.bucket}/{key}"

    def get(self, key: str) -> StoredObject | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return StoredObject(found["Body"].read(), found.get("ContentType"))

    def keys(self, prefix: str) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def check_access(self) -> None:
        """Fail early (and clearly) when the bucket cannot be listed."""
        self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.run_prefix, MaxKeys=1)

    def cleanup(self) -> None:
        """Delete what this run asked the server to write (best effort, bounded to 1000 keys)."""
        keys = self.keys(self.run_prefix + "/")
        if keys:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys[:1000]]})
