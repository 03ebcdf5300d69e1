"""``s3_output_path`` against a real moto S3 server: one complete object, or none at all."""

from __future__ import annotations

import base64
import json

from mypy_boto3_s3 import S3Client

from mock_server.s3.embedded import EmbeddedS3
from tests.fixtures.app import AppFactory, InProcessClient
from tests.fixtures.s3 import object_keys
from tests.support import assert_error, form, image_of, source_png


def s3_client_app(app_factory: AppFactory, server: EmbeddedS3) -> InProcessClient:
    return InProcessClient(app_factory(s3_endpoint_url=server.endpoint_url))


def test_png_output_is_written_whole_with_its_content_type(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client, bucket: str
) -> None:
    client = s3_client_app(app_factory, s3_server)
    path = f"s3://{bucket}/renders/cat.png"
    body = client.generate(json={"model": "eigen-image", "prompt": "cat", "seed": 1, "s3_output_path": path}).json()
    assert body["s3_output_path"] == path
    stored = s3_client.get_object(Bucket=bucket, Key="renders/cat.png")
    assert stored["ContentType"] == "image/png"
    assert stored["Body"].read() == base64.b64decode(body["image_base64"])
    assert object_keys(s3_client, bucket) == ["renders/cat.png"]


def test_a_repeated_body_writes_its_object_every_time(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client, bucket: str
) -> None:
    client = s3_client_app(app_factory, s3_server)
    body = json.dumps({"model": "eigen-image", "prompt": "cat", "seed": 1, "s3_output_path": f"s3://{bucket}/again.png"})
    for _ in range(2):
        response = client.generate(content=body, headers={**client.headers, "Content-Type": "application/json"})
        assert response.status_code == 200
        assert object_keys(s3_client, bucket) == ["again.png"]
        s3_client.delete_object(Bucket=bucket, Key="again.png")


def test_jpeg_binary_output_from_multipart(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client, bucket: str
) -> None:
    client = s3_client_app(app_factory, s3_server)
    response = client.generate(files=form(model="qwen-image", prompt="p", output_format="jpg", binary_response="true",
                                          s3_output_path=f"s3://{bucket}/a/b c.jpg"))
    stored = s3_client.get_object(Bucket=bucket, Key="a/b c.jpg")
    assert stored["ContentType"] == "image/jpeg"
    assert stored["Body"].read() == response.content


def test_missing_bucket_is_502_and_writes_nothing(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client
) -> None:
    client = s3_client_app(app_factory, s3_server)
    response = client.generate(json={"model": "eigen-image", "prompt": "p", "s3_output_path": "s3://no-such-bucket-x1/k.png"})
    body = assert_error(response, 502, "storage_error", "s3_output_path")
    assert "no-such-bucket-x1" in body["error"]["message"]
    assert "no-such-bucket-x1" not in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]


def test_denied_write_is_502_and_leaves_no_object(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client, bucket: str
) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                                       "Resource": f"arn:aws:s3:::{bucket}/locked/*"}]}
    s3_client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    client = s3_client_app(app_factory, s3_server)
    response = client.generate(json={"model": "eigen-image", "prompt": "p", "s3_output_path": f"s3://{bucket}/locked/x.png"})
    assert_error(response, 502, "storage_error", "s3_output_path")
    assert object_keys(s3_client, bucket) == []


def test_unreachable_endpoint_is_502(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory(s3_endpoint_url="http://127.0.0.1:9"))
    response = client.generate(json={"model": "eigen-image", "prompt": "p", "s3_output_path": "s3://bucket/k.png"})
    assert_error(response, 502, "storage_error", "s3_output_path")


def test_invalid_request_with_s3_path_writes_nothing(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client, bucket: str
) -> None:
    client = s3_client_app(app_factory, s3_server)
    response = client.generate(json={"model": "eigen-image", "prompt": "p", "width": 99,
                                     "s3_output_path": f"s3://{bucket}/k.png"})
    assert_error(response, 400, "invalid_parameter", "width")
    assert object_keys(s3_client, bucket) == []


def test_s3_source_is_read_for_editing(
    app_factory: AppFactory, s3_server: EmbeddedS3, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="src/source.png", Body=source_png(), ContentType="image/png")
    client = s3_client_app(app_factory, s3_server)
    response = client.generate(json={"model": "eigen-image", "prompt": "p", "image_path": f"s3://{bucket}/src/source.png"})
    assert image_of(response)[1].size == (640, 480)
    missing = client.generate(json={"model": "eigen-image", "prompt": "p", "image_path": f"s3://{bucket}/src/none.png"})
    assert_error(missing, 400, "source_unavailable", "image_path")
