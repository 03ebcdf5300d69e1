"""The deliberately broken servers and, for each, the check that must catch it.

Every check of the suite has at least one; ``test_planted_bugs.py`` runs that check against each
server and expects it to fail, while the self-conformance run expects no failure on the real mock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contract_tests.judging.clauses import BY_ID
from mock_server import Settings

from .cache_bugs import KNOBS, ConstantProcessingTime, JsonKeyOrderVaries, SeedRewritten, StaleCache
from .encoding_bugs import (
    AcceptHonoured,
    Base64Decorated,
    BinaryTimeHeaderDiffers,
    Created201,
    CreatedInMilliseconds,
    FieldDropped,
    ReportedSizeIsRequested,
    RequestIdReused,
    S3PathAlwaysReported,
    UseLightningDefaultFalse,
)
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
from .routing_bugs import (
    AllowListsEveryMethod,
    BrokenJson500,
    ErrorRecoded,
    NoRetryAfter,
    PlainText404,
    TracebackInMessage,
    TrailingSlashRouted,
)
from .source_bugs import (
    DecompressionBombCrashes,
    EditOnlyModelWrongCode,
    EditWithoutSourceRenders,
    ImageCountUnchecked,
    ImagesFieldRefused,
    InvalidImage500,
    OnlyFirstImageRead,
    OutputHasLastImageSize,
    SourceIgnoredInT2i,
    SourceUnavailable500,
)
from .storage_bugs import MissingS3Write, PartialS3Write, S3WriteOnFailure
from .validation_bugs import (
    CharsetRefused,
    DefaultStepsNot30,
    EmptyModelDefaults,
    FractionTruncated,
    IntegralFloatEchoed,
    NegativePromptUncapped,
    PromptCharactersRefused,
    PromptOptional,
    RepeatedScalarFirstValue,
    SeedMaxRefused,
    SizeAccepted,
    SurrogateAccepted,
    TooLong,
    UnknownModelMessageTerse,
    UnknownParameterIgnored,
    UnofferedModeIgnored,
)


@dataclass(frozen=True)
class PlantedBug:
    name: str
    check: str  # the check that must fail on it
    make: Callable[[Settings], Bug]
    s3: bool = False
    #: the clause of ``contract_tests/judging/clauses.py`` it breaks (its ``planted`` names this bug)
    clause: str = ""
    #: settings of the mock behind it that differ from the default (a limit turned off)
    settings: Mapping[str, Any] = field(default_factory=dict)


class NoBug(Bug):
    """The mock itself, configured differently (see ``PlantedBug.settings``)."""


_ORIGINAL: list[PlantedBug] = [
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


_NEW: list[PlantedBug] = [
    PlantedBug("json_key_order_varies", "determinism", lambda s: JsonKeyOrderVaries()),
    PlantedBug("seed_truncated_31_bits", "parameters_matter", lambda s: SeedRewritten(lambda seed: seed & 0x7FFFFFFF)),
    PlantedBug("cache_ignores_prompt", "parameters_matter", lambda s: StaleCache("prompt")),
    PlantedBug("cache_ignores_negative_prompt", "parameters_matter", lambda s: StaleCache("negative_prompt")),
    PlantedBug("cache_ignores_knobs", "parameters_matter", lambda s: StaleCache(*KNOBS)),
    PlantedBug("cache_ignores_model", "parameters_matter", lambda s: StaleCache("model")),
    PlantedBug(
        "cache_ignores_format", "image_format", lambda s: StaleCache("output_format"), clause="image.format_honoured"
    ),
    PlantedBug("constant_processing_time", "parameters_matter", lambda s: ConstantProcessingTime()),
    PlantedBug("default_steps_not_30", "parameters_matter", lambda s: DefaultStepsNot30()),
    PlantedBug("only_first_image_read", "parameters_matter", lambda s: OnlyFirstImageRead()),
    PlantedBug("output_has_last_image_size", "editing_sources", lambda s: OutputHasLastImageSize()),
    PlantedBug("images_field_refused", "editing_sources", lambda s: ImagesFieldRefused()),
    PlantedBug("processing_time_missing", "reported_fields", lambda s: FieldDropped("processing_time_seconds")),
    PlantedBug("base64_with_data_prefix", "image_format", lambda s: Base64Decorated("data-url")),
    PlantedBug("base64_with_newlines", "image_format", lambda s: Base64Decorated("mime")),
    PlantedBug("reported_size_is_requested", "image_size", lambda s: ReportedSizeIsRequested()),
    PlantedBug("use_lightning_default_false", "reported_fields", lambda s: UseLightningDefaultFalse()),
    PlantedBug("s3_path_always_reported", "reported_fields", lambda s: S3PathAlwaysReported()),
    PlantedBug("created_in_milliseconds", "reported_fields", lambda s: CreatedInMilliseconds()),
    PlantedBug("binary_time_header_differs", "binary_matches_json", lambda s: BinaryTimeHeaderDiffers()),
    PlantedBug("accept_header_honoured", "image_format", lambda s: AcceptHonoured()),
    PlantedBug("prompt_optional", "errors_parameters", lambda s: PromptOptional()),
    PlantedBug("json_width_clamped", "errors_parameters", lambda s: JsonRangesClamped()),
    PlantedBug("seed_max_refused", "accepts_edge_requests", lambda s: SeedMaxRefused()),
    PlantedBug("prompt_limit_off_by_one", "accepts_edge_requests", lambda s: TooLong("prompt", 10_000)),
    PlantedBug("fraction_truncated", "errors_parameters", lambda s: FractionTruncated()),
    PlantedBug("lenient_multipart_seed", "errors_parameters", lambda s: LenientMultipartValues()),
    PlantedBug("repeated_scalar_first_value", "errors_parameters", lambda s: RepeatedScalarFirstValue()),
    PlantedBug("integral_float_misread", "accepts_edge_requests", lambda s: IntegralFloatEchoed()),
    PlantedBug("surrogate_accepted", "errors_request_format", lambda s: SurrogateAccepted()),
    PlantedBug("size_accepted", "errors_models", lambda s: SizeAccepted()),
    PlantedBug("unknown_parameter_ignored", "errors_models", lambda s: UnknownParameterIgnored()),
    PlantedBug("unknown_model_message_terse", "errors_models", lambda s: UnknownModelMessageTerse()),
    PlantedBug("unoffered_mode_accepted", "errors_models", lambda s: UnofferedModeIgnored()),
    PlantedBug("charset_refused", "accepts_edge_requests", lambda s: CharsetRefused()),
    PlantedBug("negative_prompt_cap_too_low", "accepts_edge_requests", lambda s: TooLong("negative_prompt", 5_000)),
    PlantedBug("negative_prompt_uncapped", "errors_parameters", lambda s: NegativePromptUncapped()),
    PlantedBug("edit_without_source_renders", "errors_sources", lambda s: EditWithoutSourceRenders()),
    PlantedBug("edit_only_model_wrong_code", "errors_sources", lambda s: EditOnlyModelWrongCode()),
    PlantedBug("image_count_unchecked", "errors_sources", lambda s: ImageCountUnchecked()),
    PlantedBug("source_ignored_in_t2i", "errors_sources", lambda s: SourceIgnoredInT2i()),
    PlantedBug("undecodable_source_500", "errors_sources", lambda s: InvalidImage500()),
    PlantedBug("decompression_bomb_crashes", "errors_sources", lambda s: DecompressionBombCrashes()),
    PlantedBug("missing_s3_source_500", "errors_sources", lambda s: SourceUnavailable500()),
    PlantedBug(
        "missing_bucket_500",
        "s3_no_object_on_failure",
        lambda s: ErrorRecoded("storage_error", "internal_error", 500),
        s3=True,
    ),
    PlantedBug("wrong_code_for_status", "error_shape", lambda s: ErrorRecoded("invalid_parameter", "validation_error")),
    PlantedBug("traceback_in_message", "error_shape", lambda s: TracebackInMessage()),
    PlantedBug("broken_json_500", "errors_request_format", lambda s: BrokenJson500()),
    PlantedBug("trailing_slash_routed", "errors_request_format", lambda s: TrailingSlashRouted()),
    PlantedBug("plain_text_404", "error_shape", lambda s: PlainText404()),
    PlantedBug("patch_accepted", "errors_request_format", lambda s: PatchRoutedToPost()),
    PlantedBug("allow_lists_get", "error_shape", lambda s: AllowListsEveryMethod()),
    PlantedBug("no_body_limit", "errors_request_format", lambda s: NoBug(), settings={"max_body_bytes": 64 << 20}),
    PlantedBug("no_retry_after", "error_shape", lambda s: NoRetryAfter()),
    PlantedBug(
        "fault_503_wrong_code", "error_shape", lambda s: ErrorRecoded("model_unavailable", "service_unavailable")
    ),
    PlantedBug("request_id_reused", "request_id", lambda s: RequestIdReused()),
    PlantedBug("created_201", "image_format", lambda s: Created201()),
    PlantedBug("empty_model_defaults", "errors_models", lambda s: EmptyModelDefaults()),
    PlantedBug("non_ascii_prompt_refused", "schema_positive_json", lambda s: PromptCharactersRefused()),
]


def _with_clause(bug: PlantedBug) -> PlantedBug:
    """The clause that names this bug as its planted one."""
    clause = bug.clause or next((c.id for c in BY_ID.values() if c.planted == bug.name), "")
    return PlantedBug(bug.name, bug.check, bug.make, bug.s3, clause, bug.settings)


PLANTED: list[PlantedBug] = [_with_clause(bug) for bug in _ORIGINAL + _NEW]
