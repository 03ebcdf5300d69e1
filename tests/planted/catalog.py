"""The deliberately broken servers and, for each, the check that must catch it.

Every check of the suite has at least one; ``test_planted_bugs.py`` runs that check against each
server and expects it to fail, while the self-conformance run expects no failure on the real mock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mock_server import Settings

from .middleware import Bug
from .request_bugs import (
    ConstantDefaultSeed,
    ContentTypeSniffed,
    DownsizingIgnored,
    EdgeValue500,
    JsonRangesClamped,
    KeyInErrors,
    LenientJsonTypes,
    LenientMultipartValues,
    ModeNotInferred,
    MultipartWebpRefused,
    NoAuthOnMultipart,
    NoRequestIdOnErrors,
    NoWwwAuthenticate,
    PatchRoutedToPost,
    RejectsNegativePrompt,
    S3PathUnchecked,
    SecondSourceIgnored,
    Unicode500,
    UnknownModelFallback,
    UnsupportedAccepted,
    WrongErrorShape,
)
from .result_bugs import (
    AliasMismatch,
    AliasModelCanonicalized,
    BinaryHeadersMissing,
    BinaryReencoded,
    CorruptImage,
    CreatedAsText,
    EditIgnoresSource,
    IgnoredSeed,
    IgnoresOutputFormat,
    JpegSynonymRejected,
    MeasuredProcessingTime,
    PickedSeedNotReported,
    WrongContentType,
    WrongSha256,
    WrongSize,
)
from .storage_bugs import MissingS3Write, PartialS3Write, S3WriteOnFailure


@dataclass(frozen=True)
class PlantedBug:
    name: str
    check: str  # the check that must fail on it
    make: Callable[[Settings], Bug]
    s3: bool = False


PLANTED: list[PlantedBug] = [
    PlantedBug("ignored_seed", "seed_sensitivity", lambda s: IgnoredSeed()),
    PlantedBug("wrong_size", "image_size", lambda s: WrongSize()),
    PlantedBug("wrong_content_type", "image_format", lambda s: WrongContentType()),
    PlantedBug("no_auth_on_multipart", "auth_required", lambda s: NoAuthOnMultipart(s.api_keys[0])),
    PlantedBug("500_on_width_2048", "server_errors", lambda s: EdgeValue500()),
    PlantedBug("500_on_emoji_prompt", "server_errors", lambda s: Unicode500()),
    PlantedBug("missing_s3_write", "s3_write", lambda s: MissingS3Write(), s3=True),
    PlantedBug("partial_s3_write", "s3_write", PartialS3Write, s3=True),
    PlantedBug("s3_write_on_failure", "s3_no_object_on_failure", S3WriteOnFailure, s3=True),
    PlantedBug("corrupt_image", "image_format", lambda s: CorruptImage()),
    PlantedBug("alias_field_differs", "alias_field", lambda s: AliasMismatch()),
    PlantedBug("wrong_sha256", "image_sha256", lambda s: WrongSha256()),
    PlantedBug("key_in_error_message", "api_key_not_echoed", lambda s: KeyInErrors()),
    PlantedBug("unknown_model_accepted", "errors_models", lambda s: UnknownModelFallback()),
    PlantedBug("wrong_error_shape", "error_shape", lambda s: WrongErrorShape()),
    PlantedBug("no_request_id_on_errors", "request_id", lambda s: NoRequestIdOnErrors()),
    PlantedBug("ignores_output_format", "image_format", lambda s: IgnoresOutputFormat()),
    PlantedBug("binary_differs_from_json", "binary_matches_json", lambda s: BinaryReencoded()),
    PlantedBug("edit_ignores_source", "editing_depends_on_source", lambda s: EditIgnoresSource()),
    PlantedBug("downsizing_ignored", "editing_downsizing", lambda s: DownsizingIgnored()),
    PlantedBug("unsupported_parameter_accepted", "unsupported_parameters", lambda s: UnsupportedAccepted()),
    PlantedBug("lenient_json_types", "errors_parameters", lambda s: LenientJsonTypes()),
    PlantedBug("measured_processing_time", "determinism", lambda s: MeasuredProcessingTime()),
    PlantedBug("picked_seed_not_reported", "seed_round_trip", lambda s: PickedSeedNotReported()),
    PlantedBug("constant_default_seed", "seed_round_trip", lambda s: ConstantDefaultSeed()),
    PlantedBug("no_www_authenticate", "auth_required", lambda s: NoWwwAuthenticate()),
    PlantedBug("mode_not_inferred", "editing_sources", lambda s: ModeNotInferred()),
    PlantedBug("jpeg_synonym_rejected", "image_format", lambda s: JpegSynonymRejected()),
    PlantedBug("binary_headers_missing", "binary_headers", lambda s: BinaryHeadersMissing()),
    PlantedBug("declared_parameter_rejected", "accepts_declared_parameters", lambda s: RejectsNegativePrompt()),
    PlantedBug("second_source_ignored", "errors_sources", lambda s: SecondSourceIgnored()),
    PlantedBug("content_type_sniffed", "errors_request_format", lambda s: ContentTypeSniffed()),
    PlantedBug("s3_path_unchecked", "errors_s3_path", lambda s: S3PathUnchecked()),
    PlantedBug("alias_model_canonicalized", "reported_fields", lambda s: AliasModelCanonicalized()),
    PlantedBug("created_as_text", "schema_positive_json", lambda s: CreatedAsText()),
    PlantedBug("multipart_webp_refused", "schema_positive_multipart", lambda s: MultipartWebpRefused()),
    PlantedBug("json_ranges_clamped", "schema_negative_json", lambda s: JsonRangesClamped()),
    PlantedBug("lenient_multipart_values", "schema_negative_multipart", lambda s: LenientMultipartValues()),
    PlantedBug("patch_routed_to_post", "schema_coverage", lambda s: PatchRoutedToPost()),
]
