"""Servers that get S3 output wrong: no object, half an object, an object left after a failure."""

from __future__ import annotations

import boto3

from mock_server import Settings

from .middleware import Bug
from .wire import DROP, Answer, Sent


class MissingS3Write(Bug):
    """Claims the upload (echoes s3_output_path) but never writes it."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("s3_output_path", DROP)

    def response(self, sent: Sent, answer: Answer) -> Answer:
        path, document = sent.param("s3_output_path"), answer.json
        if path is None or document is None or answer.status != 200:
            return answer
        return answer.with_json({**document, "s3_output_path": path})


class _S3Bug(Bug):
    def __init__(self, settings: Settings) -> None:
        self.s3 = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def put(self, path: str, data: bytes) -> None:
        bucket, _, key = path.removeprefix("s3://").partition("/")
        self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/png")


class PartialS3Write(_S3Bug):
    """A multipart upload whose last part never lands: the object holds half the image."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        path = sent.param("s3_output_path")
        if answer.status == 200 and isinstance(path, str):
            self.put(path, answer.image[: len(answer.image) // 2])
        return answer


class S3WriteOnFailure(_S3Bug):
    """Writes a placeholder before validating, and leaves it behind when the request fails."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        path = sent.param("s3_output_path")
        if answer.status >= 400 and isinstance(path, str) and path.startswith("s3://") and "/" in path[5:]:
            try:
                self.put(path, b"placeholder")
            except Exception:
                pass
        return answer
