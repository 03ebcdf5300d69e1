"""Making a schema-valid request contract-valid, so Schemathesis's positive data can be judged.

The schema alone cannot say which model exists or which parameters it takes (that is the model
library's job), nor that a source must be a real image or an ``s3_output_path`` a writable
bucket. A positive case is therefore rewritten: a model and mode from the profile's library,
only the parameters that offering accepts (keeping every generated value, boundaries included),
a real source when editing, and an ``s3_output_path`` under the run's prefix when S3 is checked.
What remains is a request the contract says must succeed, so ``positive_data_acceptance`` can
expect a 2xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemathesis.transport.serialization import Binary

from ..library import SOURCE_FIELDS, Offering
from ..wire.images import SourceImage
from ..wire.s3probe import S3Probe

_FILE_FIELDS = ("image_file", "image", "images")
#: Fields the repair decides itself rather than keeping from the generated body.
_DECIDED = frozenset({"model", "mode", "s3_output_path", *SOURCE_FIELDS})


@dataclass(frozen=True)
class Repair:
    """The choices that make one body valid: which offering, how the source travels."""

    offering: Offering
    field: str
    sources: tuple[SourceImage, ...]

    def apply(
        self,
        body: Mapping[str, Any],
        multipart: bool,
        s3: S3Probe | None,
        check: str,
        keep: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """The body made valid for the offering; the properties in ``keep`` stay as they were (or absent)."""
        fixed = {k: v for k, v in body.items() if k in keep or (k not in _DECIDED and self.offering.accepts(k))}
        if "model" not in keep:
            fixed["model"] = self.offering.model
        if "mode" in body and "mode" not in keep:
            fixed["mode"] = self.offering.mode
        if self.offering.editing and not keep & set(SOURCE_FIELDS):
            fixed.update(self._sources(multipart))
        if "s3_output_path" in body and "s3_output_path" not in keep and s3 is not None:
            extension = "jpg" if fixed.get("output_format") in ("jpg", "jpeg") else "png"
            fixed["s3_output_path"] = s3.uri(s3.new_key(check, extension))
        return fixed

    def _sources(self, multipart: bool) -> dict[str, Any]:
        if self.field == "image_path":
            return {"image_path": self.sources[0].data_url()}
        values = [Binary(image.data) if multipart else image.base64() for image in self.sources]
        return {self.field: values if self.field == "images" else values[0]}

    @property
    def content_types(self) -> dict[str, str]:
        """Per-part Content-Type of the file parts (multipart)."""
        return {self.field: self.sources[0].media_type} if self.field in _FILE_FIELDS else {}


def best_offering(body: Mapping[str, Any], offerings: list[Offering]) -> Offering:
    """The offering that keeps most of a body's parameters (the body's own model first), for coverage cases."""
    names = set(body) - _DECIDED

    def score(offering: Offering) -> tuple[bool, int]:
        return offering.model == body.get("model"), sum(1 for name in names if offering.accepts(name))

    return max(offerings, key=score)
