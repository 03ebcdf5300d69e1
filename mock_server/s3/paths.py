"""Parse and validate ``s3://bucket/key`` references.

Both ``s3_output_path`` and an ``s3://`` ``image_path`` are checked here, before any I/O, so that
a malformed reference is a ``400 invalid_s3_path`` naming the parameter instead of a confusing
``502`` from the storage layer. The bucket rules are AWS's rules for general purpose buckets
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html); the key rules
are S3's (at most 1024 UTF-8 bytes) plus a refusal of control characters, which S3 accepts but
which only ever come from a bug or an attack on a log line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mock_server import errors

SCHEME = "s3://"
MAX_KEY_BYTES = 1024

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IP_LIKE = re.compile(r"\d+(\.\d+){3}")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None when it is."""
    if not 3 <= len(name) <= 63:
        return f"bucket name must be 3 to 63 characters long, got {len(name)}"
    if not _BUCKET_CHARS.fullmatch(name):
        return (
            "bucket name may hold only lowercase letters, digits, dots and hyphens, "
            "and must start and end with a letter or digit"
        )
    if ".." in name:
        return "bucket name must not contain two adjacent dots"
    if _IP_LIKE.fullmatch(name):
        return "bucket name must not be formatted as an IP address"
    prefix = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        return f"bucket name must not start with the reserved prefix {prefix!r}"
    suffix = next((s for s in RESERVED_SUFFIXES if name.endswith(s)), None)
    if suffix:
        return f"bucket name must not end with the reserved suffix {suffix!r}"
    return None


def key_problem(key: str) -> str | None:
    """Why ``key`` is not an acceptable object key, or None when it is."""
    if not key:
        return "the object key after the bucket name must not be empty"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return "the object key is not valid Unicode text"
    if size > MAX_KEY_BYTES:
        return f"the object key must be at most {MAX_KEY_BYTES} UTF-8 bytes, got {size}"
    if any(unicodedata.category(ch) == "Cc" for ch in key):
        return "the object key must not contain NUL or other control characters"
    return None


@dataclass(frozen=True)
class S3Location:
    """A validated object reference; ``str()`` gives the ``s3://bucket/key`` URI back."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"

    @classmethod
    def parse(cls, uri: str, *, param: str) -> S3Location:
        """Parse ``uri``; any defect is ``errors.InvalidS3Path`` blamed on ``param``."""
        if not isinstance(uri, str) or not uri.startswith(SCHEME):
            raise errors.InvalidS3Path(f"{param} must have the form s3://bucket/key", param=param)
        bucket, slash, key = uri[len(SCHEME):].partition("/")
        if not slash:
            message = f"{param} must name an object key after the bucket: s3://bucket/key"
            raise errors.InvalidS3Path(message, param=param)
        problem = bucket_name_problem(bucket) or key_problem(key)
        if problem:
            raise errors.InvalidS3Path(f"{param} is not a valid S3 path: {problem}", param=param)
        return cls(bucket=bucket, key=key)
