"""Servers that describe a right image wrongly: base64 decorated, fields missing or constant, headers
out of step with the JSON (each wrong in one way, the image itself untouched)."""

from __future__ import annotations

import base64
import time
from dataclasses import replace

from .middleware import Bug
from .wire import Answer, Sent, error_answer, header


def _json_success(answer: Answer) -> dict[str, object] | None:
    return answer.json if answer.status == 200 else None


class Base64Decorated(Bug):
    """The image fields are written by a helper that decorates base64 (``style``: a data: URL or MIME lines)."""

    def __init__(self, style: str) -> None:
        self.style = style

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = _json_success(answer)
        if document is None:
            return answer
        raw = base64.b64decode(str(document["image_base64"]))
        text = (
            "data:image/png;base64," + base64.b64encode(raw).decode()
            if self.style == "data-url"
            else base64.encodebytes(raw).decode()
        )
        return answer.with_json({k: text if k.endswith("_base64") else v for k, v in document.items()})


class FieldDropped(Bug):
    """A JSON success without ``name`` (a serializer that skips it)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = _json_success(answer)
        if document is None:
            return answer
        return answer.with_json({k: v for k, v in document.items() if k != self.name})


class S3PathAlwaysReported(Bug):
    """s3_output_path is always in the JSON, null when the request did not ask for it."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = _json_success(answer)
        if document is None or "s3_output_path" in document:
            return answer
        return answer.with_json({**document, "s3_output_path": None})


class CreatedInMilliseconds(Bug):
    """created is Unix time in milliseconds (JavaScript's Date.now())."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = _json_success(answer)
        if document is None:
            return answer
        return answer.with_json({**document, "created": int(time.time() * 1000)})


class ReportedSizeIsRequested(Bug):
    """width/height report what text-to-image would default to (1024), also for edits."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = _json_success(answer)
        if document is None or document.get("mode") != "image-editing":
            return answer
        return answer.with_json({**document, "width": 1024, "height": 1024})


class UseLightningDefaultFalse(Bug):
    """use_lightning is true only when weight: lightning is sent, not by default."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = _json_success(answer)
        if document is None or "use_lightning" not in document or sent.param("weight") is not None:
            return answer
        return answer.with_json({**document, "use_lightning": False})


class BinaryTimeHeaderDiffers(Bug):
    """X-Processing-Time-Seconds is in milliseconds while the JSON says seconds."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        seconds = header(answer.headers, "x-processing-time-seconds")
        if not answer.binary or seconds is None:
            return answer
        return answer.with_header("x-processing-time-seconds", str(round(float(seconds) * 1000)))


class AcceptHonoured(Bug):
    """Content negotiation: a binary result the Accept header does not list is a 406."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        accept = header(sent.headers, "accept") or "*/*"
        media = header(answer.headers, "content-type") or ""
        if not answer.binary or "*/*" in accept or media in accept or "image/*" in accept:
            return answer
        return error_answer(406, "not_acceptable", f"{media} is not acceptable")


class Created201(Bug):
    """Successes are 201 Created (a REST habit): the contract says 200."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return replace(answer, status=201) if answer.status == 200 else answer


class RequestIdReused(Bug):
    """Every success has the same request id (a constant left from a test)."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        fixed = "gen_" + "0" * 31 + "1"
        if answer.status != 200:
            return answer
        document = answer.json
        answer = answer.with_header("x-request-id", fixed)
        return answer if document is None else answer.with_json({**document, "request_id": fixed})
