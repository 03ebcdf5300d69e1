"""Every normative statement the suite judges: where it comes from, which check judges it, and how.

The contract is read sentence by sentence (``generate-api.md``, the public reference; ``contract.md``,
which fixes what the reference leaves open; and our spec, ``openapi/eigen.yaml``, where both are
silent). Each statement is a ``Clause``: its source, the check that judges it, the cheapest
request(s) that can show a breach (``cost`` 0: any response of the run shows it, an invariant
judges all traffic for free), and the planted bug in ``tests/planted/`` that breaks exactly it.
A statement left out says why (``not_judged``). ``docs/contract-coverage.md`` is generated from
this list (``python -m contract_tests.judging.coverage``); the order here is the order of value in which a
small budget judges clauses.

Sources matter for the verdict: a breach of a ``spec`` clause is our own choice being broken, not
the contract's, so a profile may report it as a warning (``severity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["reference", "contract", "spec"]
SOURCES: dict[Source, str] = {
    "reference": "public API reference (generate-api.md)",
    "contract": "contract.md",
    "spec": "our spec's own choice (openapi/eigen.yaml), where both are silent",
}


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    source: Source
    says: str
    check: str | None
    probe: str
    cost: int = 1
    planted: str = ""
    not_judged: str = ""


def _c(id: str, source: Source, says: str, check: str, probe: str, cost: int, planted: str) -> Clause:
    return Clause(id, source, says, check, probe, cost, planted)


def _not(id: str, source: Source, says: str, why: str) -> Clause:
    return Clause(id, source, says, None, "", 0, "", why)


R: Source = "reference"
C: Source = "contract"
S: Source = "spec"

CLAUSES: tuple[Clause, ...] = (
    # ---- authentication ------------------------------------------------------------------------
    _c(
        "auth.bearer",
        R,
        "Send your API key in the Authorization header as a Bearer token: without it, "
        "or with a wrong one, no image (401), on both media types.",
        "auth_required",
        "one multipart request without a key",
        1,
        "no_auth_on_multipart",
    ),
    _c(
        "auth.www_authenticate",
        C,
        "A 401 carries WWW-Authenticate: Bearer.",
        "auth_required",
        "one request without a key",
        1,
        "no_www_authenticate",
    ),
    # ---- images as a function of the request ----------------------------------------------------
    _c(
        "image.deterministic",
        C,
        "The same request gives byte-identical output; two identical requests "
        "get byte-identical bodies apart from request_id and created.",
        "determinism",
        "the same request twice",
        2,
        "measured_processing_time",
    ),
    _c(
        "image.deterministic_bytes",
        C,
        "Identical requests get identical bodies byte for byte (apart from "
        "request_id and created), not merely equal JSON.",
        "determinism",
        "the same request twice",
        2,
        "json_key_order_varies",
    ),
    _c(
        "image.seed_changes_image",
        C,
        "A different seed gives a visibly different image.",
        "seed_sensitivity",
        "two requests differing only in seed",
        2,
        "ignored_seed",
    ),
    _c(
        "image.seed_all_bits",
        C,
        "seed is an integer 0..2^32-1: every bit counts (no truncation to 31 bits, no modulo).",
        "parameters_matter",
        "seeds s and s+2^31",
        2,
        "seed_truncated_31_bits",
    ),
    _c(
        "image.seed_random_reported",
        C,
        "Without a seed the server picks one at random and reports it.",
        "seed_round_trip",
        "three requests without a seed",
        3,
        "constant_default_seed",
    ),
    _c(
        "image.seed_replay",
        C,
        "Replaying the request with the reported seed reproduces the image.",
        "seed_round_trip",
        "a request without a seed, then with the reported one",
        2,
        "picked_seed_not_reported",
    ),
    _c(
        "image.prompt_changes_image",
        C,
        "The start of the prompt is readable on the image, so another "
        "prompt gives another image (a cache keyed without the prompt breaks it).",
        "parameters_matter",
        "two requests differing only in prompt",
        2,
        "cache_ignores_prompt",
    ),
    _c(
        "image.negative_prompt_changes_image",
        S,
        "The image depends on negative_prompt (the mock renders "
        "every input into the picture; contract.md only lists it among the inputs of the pure function).",
        "parameters_matter",
        "two requests differing only in negative_prompt",
        2,
        "cache_ignores_negative_prompt",
    ),
    _c(
        "image.steps_change_time",
        C,
        "processing_time_seconds is derived from megapixels and steps: "
        "other steps, other time (not a constant, not a cache keyed without the knobs).",
        "parameters_matter",
        "num_inference_steps 1 and 100",
        2,
        "cache_ignores_knobs",
    ),
    _c(
        "image.megapixels_change_time",
        C,
        "processing_time_seconds depends on the megapixels of the image.",
        "parameters_matter",
        "512x512 and 1024x1024",
        2,
        "constant_processing_time",
    ),
    _c(
        "request.defaults",
        R,
        "Defaults (num_inference_steps 30, guidance_scale 1.0, output_format png, "
        "binary_response false): sending the default explicitly gives the same response as leaving it out.",
        "parameters_matter",
        "num_inference_steps absent and 30",
        2,
        "default_steps_not_30",
    ),
    _c(
        "image.t2i_size",
        R,
        "Text-to-image output has exactly the requested width and height (default 1024).",
        "image_size",
        "any text-to-image request",
        0,
        "wrong_size",
    ),
    _c(
        "image.format",
        C,
        "The bytes are a valid file of the requested format.",
        "image_format",
        "any success",
        0,
        "corrupt_image",
    ),
    _c(
        "image.format_honoured",
        C,
        "output_format png (default) or jpg is the format of the image, also right after the same request in "
        "the other format (a cache keyed without the format breaks it).",
        "image_format",
        "output_format jpg",
        0,
        "ignores_output_format",
    ),
    _c(
        "image.jpeg_synonym",
        C,
        "jpeg is accepted as a synonym of jpg (and reported as jpg).",
        "image_format",
        "output_format jpeg",
        1,
        "jpeg_synonym_rejected",
    ),
    _c(
        "image.caption_readable",
        C,
        "A person looking at the image can read the model, the seed, the size and the start of the prompt.",
        "parameters_matter",
        "two requests differing only in model",
        2,
        "cache_ignores_model",
    ),
    # ---- editing ---------------------------------------------------------------------------------
    _c(
        "edit.depends_on_source",
        C,
        "Editing output depends visibly on the source image.",
        "editing_depends_on_source",
        "two edits differing only in the source",
        2,
        "edit_ignores_source",
    ),
    _c(
        "edit.depends_on_every_image",
        C,
        "With repeated images parts the output depends on all of them (the 2nd..9th too).",
        "parameters_matter",
        "two 2-image edits differing in the 2nd image",
        2,
        "only_first_image_read",
    ),
    _c(
        "edit.first_source_size",
        C,
        "Editing output has the (first) source's size.",
        "editing_sources",
        "an edit with two images of different sizes",
        1,
        "output_has_last_image_size",
    ),
    _c(
        "edit.downsizing",
        C,
        "An editing source larger than downsizing_mp megapixels is scaled down to it.",
        "editing_downsizing",
        "a 1600x1200 source with downsizing_mp 0.5",
        1,
        "downsizing_ignored",
    ),
    _c(
        "edit.sources_accepted",
        C,
        "The source arrives as image_file, image, images (multipart file parts or JSON base64) or image_path.",
        "editing_sources",
        "one edit per source field",
        1,
        "images_field_refused",
    ),
    _c(
        "edit.mode_inferred",
        C,
        "Without mode, a request with a source is image-editing, else text-to-image.",
        "editing_sources",
        "an edit without mode",
        1,
        "mode_not_inferred",
    ),
    # ---- reported fields -----------------------------------------------------------------------
    _c(
        "success.status_200",
        C,
        "A success is 200 (not 201 or 202), JSON or binary.",
        "image_format",
        "any success",
        0,
        "created_201",
    ),
    _c(
        "request.model_non_empty",
        C,
        "model is a required, non-empty string: an empty model is a 400 (invalid_parameter or unknown_model), "
        "never a default model.",
        "errors_models",
        'model ""',
        1,
        "empty_model_defaults",
    ),
    _c(
        "success.fields",
        C,
        "A JSON success carries request_id, model, mode, seed, width, height, "
        "output_format, image_base64, image_sha256, processing_time_seconds and created.",
        "reported_fields",
        "any JSON success",
        0,
        "processing_time_missing",
    ),
    _c(
        "success.raw_base64",
        C,
        "The image is raw base64 (no data: prefix, no line breaks, the standard alphabet, padded), read strictly.",
        "image_format",
        "any JSON success",
        0,
        "base64_with_data_prefix",
    ),
    _c(
        "success.raw_base64_lines",
        C,
        "Raw base64 has no line breaks (a MIME encoder's 76-column lines are not raw base64).",
        "image_format",
        "any JSON success",
        0,
        "base64_with_newlines",
    ),
    _c(
        "success.alias_field",
        C,
        "The model's own field (response_field) carries the same base64 text as image_base64.",
        "alias_field",
        "any JSON success",
        0,
        "alias_field_differs",
    ),
    _c(
        "success.sha256",
        C,
        "image_sha256 is the hex SHA-256 of the decoded image bytes.",
        "image_sha256",
        "any success",
        0,
        "wrong_sha256",
    ),
    _c(
        "success.width_height_reported",
        C,
        "width/height are those of the returned image.",
        "image_size",
        "any JSON success",
        0,
        "reported_size_is_requested",
    ),
    _c(
        "success.model_echoed",
        C,
        "model is echoed as sent (an alias stays the alias).",
        "reported_fields",
        "one request to qwen-image-edit",
        1,
        "alias_model_canonicalized",
    ),
    _c(
        "success.use_lightning",
        C,
        "use_lightning (qwen edit models) is true when weight is lightning, the default.",
        "reported_fields",
        "a qwen edit without weight",
        1,
        "use_lightning_default_false",
    ),
    _c(
        "success.s3_only_when_asked",
        C,
        "s3_output_path is present only when the request asked for it.",
        "reported_fields",
        "any JSON success",
        0,
        "s3_path_always_reported",
    ),
    _c(
        "success.created_seconds",
        S,
        "created is Unix time in seconds (now, not milliseconds).",
        "reported_fields",
        "any JSON success",
        0,
        "created_in_milliseconds",
    ),
    _c(
        "request.schema_positive_json",
        C,
        "Every schema-valid JSON request the library allows gets a 2xx, and every response conforms to the "
        "spec's schemas (Schemathesis's default checks).",
        "schema_positive_json",
        "one generated JSON request",
        1,
        "non_ascii_prompt_refused",
    ),
    _c(
        "success.created_integer",
        S,
        "created is an integer (the response schema).",
        "schema_positive_json",
        "any JSON success",
        1,
        "created_as_text",
    ),
    # ---- binary responses ----------------------------------------------------------------------
    _c(
        "binary.same_bytes",
        C,
        "binary_response true returns the image bytes the JSON response carries.",
        "binary_matches_json",
        "a request as JSON and as binary",
        2,
        "binary_differs_from_json",
    ),
    _c(
        "binary.content_type",
        C,
        "Content-Type image/png or image/jpeg (image/jpeg, never image/jpg).",
        "image_format",
        "a binary JPEG",
        1,
        "wrong_content_type",
    ),
    _c(
        "binary.headers",
        C,
        "X-Request-Id, X-Seed, X-Image-Sha256, X-Processing-Time-Seconds and "
        'Content-Disposition: inline; filename="<request_id>.<png|jpg>".',
        "binary_headers",
        "a binary request",
        1,
        "binary_headers_missing",
    ),
    _c(
        "binary.headers_equal_json",
        C,
        "The X-* headers carry the same facts as the JSON response.",
        "binary_matches_json",
        "a request as JSON and as binary",
        2,
        "binary_time_header_differs",
    ),
    _c(
        "binary.accept_ignored",
        C,
        "The Accept header is ignored (never a 406).",
        "image_format",
        "a JPEG request with Accept: image/png",
        1,
        "accept_header_honoured",
    ),
    # ---- requests --------------------------------------------------------------------------------
    _c(
        "request.required",
        R,
        "model and prompt are required (400 missing_parameter naming them).",
        "errors_parameters",
        "a request without prompt",
        1,
        "prompt_optional",
    ),
    _c(
        "request.ranges",
        R,
        "Numeric parameters outside their range, wrong types and enum values outside "
        "the enum are 400 invalid_parameter naming the parameter.",
        "errors_parameters",
        "width 2049",
        1,
        "json_width_clamped",
    ),
    _c(
        "request.boundaries_accepted",
        C,
        "The bounds themselves are valid: width/height 512 and 2048, seed 0 "
        "and 2^32-1, a prompt of 10,000 characters, steps 1 and 100.",
        "accepts_edge_requests",
        "seed 4294967295",
        1,
        "seed_max_refused",
    ),
    _c(
        "request.prompt_max",
        C,
        "prompt is at most 10,000 characters: 10,000 is accepted.",
        "accepts_edge_requests",
        "a 10,000-character prompt",
        1,
        "prompt_limit_off_by_one",
    ),
    _c(
        "request.fraction_refused",
        C,
        "59.5 for an integer parameter is always a 400.",
        "errors_parameters",
        "seed 0.5",
        1,
        "fraction_truncated",
    ),
    _c(
        "request.json_strict",
        C,
        'JSON types are strict: "seed": "42" in a JSON body is a 400.',
        "errors_parameters",
        'seed "0" in JSON',
        1,
        "lenient_json_types",
    ),
    _c(
        "request.multipart_parsed",
        C,
        "In multipart, scalars arrive as text parts parsed to the schema's "
        "type; a part that does not parse is 400 invalid_parameter.",
        "errors_parameters",
        "multipart seed=12x",
        1,
        "lenient_multipart_seed",
    ),
    _c(
        "request.multipart_repeated",
        C,
        "A scalar sent twice as multipart text parts is refused with 400 "
        "invalid_parameter or read as its last value (either conforms).",
        "errors_parameters",
        "multipart seed sent twice",
        1,
        "repeated_scalar_first_value",
    ),
    _c(
        "request.integral_float",
        C,
        "59.0 for an integer may be accepted as 59 or refused with 400 "
        "invalid_parameter (either conforms); accepted, it is 59.",
        "accepts_edge_requests",
        "seed 59.0",
        1,
        "integral_float_misread",
    ),
    _c(
        "request.surrogate",
        C,
        'A JSON string holding an unpaired surrogate ("\\ud800") is 400 invalid_json '
        "or invalid_parameter naming the field, never a 200.",
        "errors_request_format",
        "a prompt with \\ud800",
        1,
        "surrogate_accepted",
    ),
    _c(
        "request.size_not_a_parameter",
        C,
        "size is not a parameter: 400 unsupported_parameter pointing to width and height.",
        "errors_models",
        'size "1024x1024"',
        1,
        "size_accepted",
    ),
    _c(
        "request.unknown_parameter",
        C,
        "An unknown parameter name is 400 unsupported_parameter naming it.",
        "errors_models",
        "colour=red",
        1,
        "unknown_parameter_ignored",
    ),
    _c(
        "request.unknown_model",
        C,
        "A model not in the library is 400 unknown_model; the message lists the valid ids.",
        "errors_models",
        "model no-such-model-0",
        1,
        "unknown_model_accepted",
    ),
    _c(
        "request.unknown_model_message",
        C,
        "The unknown_model message lists the valid ids.",
        "errors_models",
        "model no-such-model-0",
        1,
        "unknown_model_message_terse",
    ),
    _c(
        "request.unsupported_parameter",
        C,
        "A parameter the model or mode does not support is 400 unsupported_parameter naming it.",
        "unsupported_parameters",
        "width in an edit",
        1,
        "unsupported_parameter_accepted",
    ),
    _c(
        "request.mode_not_offered",
        C,
        "A mode the model does not offer is 400 unsupported_parameter naming mode.",
        "errors_models",
        "qwen-image in image-editing mode",
        1,
        "unoffered_mode_accepted",
    ),
    _c(
        "request.declared_accepted",
        C,
        "Every parameter of the reference is accepted in both media types by the models the library lists it for.",
        "accepts_declared_parameters",
        "one request with every listed parameter",
        1,
        "declared_parameter_rejected",
    ),
    _c(
        "request.charset_accepted",
        C,
        "application/json is the media type whatever its parameters: application/json; charset=utf-8 is JSON.",
        "accepts_edge_requests",
        "a JSON body with charset=utf-8",
        1,
        "charset_refused",
    ),
    _c(
        "request.negative_prompt_cap",
        C,
        "negative_prompt may be limited in length, to no fewer than 10,000 characters: 10,000 is accepted.",
        "accepts_edge_requests",
        "a 10,000-character negative_prompt",
        1,
        "negative_prompt_cap_too_low",
    ),
    _c(
        "request.negative_prompt_max",
        S,
        "Our spec caps negative_prompt at 10,000 characters (10,001 is a "
        "400); contract.md allows any cap from 10,000 up, or none.",
        "errors_parameters",
        "a 10,001-character negative_prompt",
        1,
        "negative_prompt_uncapped",
    ),
    _c(
        "request.schema_positive_multipart",
        C,
        "Every schema-valid multipart request (real PNG, JPEG or WebP parts) the library allows gets a 2xx.",
        "schema_positive_multipart",
        "one generated multipart edit",
        1,
        "multipart_webp_refused",
    ),
    _c(
        "request.schema_negative_json",
        C,
        "Schema-invalid JSON is refused with a 4xx.",
        "schema_negative_json",
        "one generated out-of-range value",
        1,
        "json_ranges_clamped",
    ),
    _c(
        "request.schema_negative_multipart",
        C,
        "Schema-invalid multipart values are refused with a 4xx.",
        "schema_negative_multipart",
        "one generated out-of-range part",
        1,
        "lenient_multipart_values",
    ),
    # ---- sources ---------------------------------------------------------------------------------
    _c(
        "source.missing",
        C,
        "Image editing without a source is 400 missing_source_image.",
        "errors_sources",
        "mode image-editing and no source",
        1,
        "edit_without_source_renders",
    ),
    _c(
        "source.edit_only_model",
        C,
        "An editing-only model sent with neither mode nor source is 400 "
        "missing_source_image or 400 unsupported_parameter (either conforms).",
        "errors_sources",
        "qwen-image-edit-2511 without mode or source",
        1,
        "edit_only_model_wrong_code",
    ),
    _c(
        "source.conflicting",
        C,
        "Two different source fields is 400 conflicting_source_images.",
        "errors_sources",
        "image_file and image together",
        1,
        "second_source_ignored",
    ),
    _c(
        "source.too_many",
        C,
        "More images than the model's max_source_images is a 400.",
        "errors_sources",
        "10 images for qwen-image-edit-2511",
        1,
        "image_count_unchecked",
    ),
    _c(
        "source.in_t2i",
        C,
        "A source image in text-to-image mode is a 400.",
        "errors_sources",
        "mode text-to-image with a source",
        1,
        "source_ignored_in_t2i",
    ),
    _c(
        "source.undecodable",
        C,
        "A source that is not a decodable PNG, JPEG or WebP is 400 invalid_image.",
        "errors_sources",
        "bytes that are not an image",
        1,
        "undecodable_source_500",
    ),
    _c(
        "source.bomb",
        C,
        "A decompression bomb is 400 invalid_image, and the message gives the pixel bound.",
        "errors_sources",
        "a tiny PNG that decodes to 30000x30000",
        1,
        "decompression_bomb_crashes",
    ),
    _c(
        "source.image_path_forms",
        C,
        "image_path is an http(s) URL, an s3://bucket/key or a data: URL; one "
        "that cannot be fetched is 400 source_unavailable.",
        "errors_sources",
        "a missing s3:// source",
        1,
        "missing_s3_source_500",
    ),
    # ---- S3 --------------------------------------------------------------------------------------
    _c(
        "s3.path_format",
        C,
        "s3_output_path is s3://bucket/key with a valid bucket name and a non-empty key, else 400 invalid_s3_path.",
        "errors_s3_path",
        "s3_output_path s3://bucket/",
        1,
        "s3_path_unchecked",
    ),
    _c(
        "s3.written",
        C,
        "After a 2xx with s3_output_path the object holds exactly the returned image.",
        "s3_write",
        "one request with s3_output_path",
        1,
        "missing_s3_write",
    ),
    _c(
        "s3.complete",
        S,
        "The object is written as one complete object with the image's Content-Type.",
        "s3_write",
        "one request with s3_output_path",
        1,
        "partial_s3_write",
    ),
    _c(
        "s3.no_object_on_failure",
        C,
        "A request that fails leaves no object behind.",
        "s3_no_object_on_failure",
        "one failing request with s3_output_path",
        1,
        "s3_write_on_failure",
    ),
    _c(
        "s3.storage_error",
        C,
        "Writing to s3_output_path that fails (bucket missing) is 502 storage_error.",
        "s3_no_object_on_failure",
        "s3_output_path in a missing bucket",
        1,
        "missing_bucket_500",
    ),
    # ---- errors, routing, headers ---------------------------------------------------------------
    _c(
        "error.shape",
        C,
        'Every error is application/json, exactly {"error": {code, message, param, request_id}}.',
        "error_shape",
        "any error",
        0,
        "wrong_error_shape",
    ),
    _c(
        "error.code_for_status",
        C,
        "The code is one of the contract's codes for its status.",
        "error_shape",
        "any error",
        0,
        "wrong_code_for_status",
    ),
    _c(
        "error.no_stack_trace",
        C,
        "An error message is never a stack trace.",
        "error_shape",
        "any error",
        0,
        "traceback_in_message",
    ),
    _c(
        "error.no_api_key",
        C,
        "No response contains the API key.",
        "api_key_not_echoed",
        "any error",
        0,
        "key_in_error_message",
    ),
    _c(
        "error.no_5xx",
        C,
        "500 is a bug: no input reaches it (503/504 only by fault injection).",
        "server_errors",
        "width and height 2048 (any response shows a 5xx; the edges are where servers break)",
        1,
        "500_on_width_2048",
    ),
    _c(
        "error.unicode",
        C,
        "Any text is a valid prompt: an emoji is not a 500.",
        "server_errors",
        "an emoji prompt",
        1,
        "500_on_emoji_prompt",
    ),
    _c(
        "error.invalid_json",
        C,
        "A body that cannot be parsed is 400 invalid_json / invalid_multipart.",
        "errors_request_format",
        "a truncated JSON body",
        1,
        "broken_json_500",
    ),
    _c(
        "error.not_found",
        C,
        "Any other path is 404 not_found (a trailing slash is another path).",
        "errors_request_format",
        "POST /api/v1/generate/",
        1,
        "trailing_slash_routed",
    ),
    _c(
        "error.not_found_shape",
        C,
        "The 404 of another path is in the error shape.",
        "error_shape",
        "POST /api/v1/nope",
        1,
        "plain_text_404",
    ),
    _c(
        "error.method",
        C,
        "Another method on /api/v1/generate is 405 method_not_allowed with Allow: POST.",
        "errors_request_format",
        "PATCH /api/v1/generate",
        1,
        "patch_accepted",
    ),
    _c(
        "error.allow_header",
        C,
        "The 405 carries Allow: POST (exactly: the one method there is).",
        "error_shape",
        "GET /api/v1/generate",
        1,
        "allow_lists_get",
    ),
    _c(
        "error.media_type",
        C,
        "A body that is neither JSON nor multipart is 415 unsupported_media_type.",
        "errors_request_format",
        "a text/plain body",
        1,
        "content_type_sniffed",
    ),
    _c(
        "error.payload_too_large",
        C,
        "A body over the configured limit (default 25 MiB) is 413 payload_too_large.",
        "errors_request_format",
        "a body one byte over 25 MiB",
        1,
        "no_body_limit",
    ),
    _c(
        "error.rate_limited",
        C,
        "A rate limit reached is 429 rate_limited with Retry-After in seconds.",
        "error_shape",
        "X-Mock-Fault: 429 (profiles with fault injection only)",
        1,
        "no_retry_after",
    ),
    _c(
        "error.fault_codes",
        C,
        "503 is model_unavailable and 504 generation_timeout, only by fault injection.",
        "error_shape",
        "X-Mock-Fault: 503 (profiles with fault injection only)",
        1,
        "fault_503_wrong_code",
    ),
    _c(
        "error.request_id",
        C,
        "Every response, success or error, carries X-Request-Id (equal to the body's request_id).",
        "request_id",
        "any error",
        0,
        "no_request_id_on_errors",
    ),
    _c(
        "error.request_id_unique",
        S,
        "X-Request-Id is unique per request, gen_ and 32 hex digits.",
        "request_id",
        "two requests",
        0,
        "request_id_reused",
    ),
    _c(
        "error.schema_coverage",
        C,
        "Boundary values, missing fields, wrong types, unexpected methods and "
        "media types each get the spec's answer (Schemathesis coverage phase).",
        "schema_coverage",
        "one coverage case",
        1,
        "patch_routed_to_post",
    ),
    # ---- not judged ------------------------------------------------------------------------------
    _not(
        "ref.base_url",
        R,
        "The production base URL is https://api-web.eigenai.com (older: app.eigenai.com).",
        "a property of the deployment, not of a response; the spec lists both servers (spec-lint checks it)",
    ),
    _not(
        "ref.knob_semantics",
        R,
        "guidance_scale, lora_strength, rank, true_cfg_scale, sample_steps, "
        "sample_guide_scale, offloading, real_time change the generation as described.",
        "what a knob does to a picture is the model's, not observable in a contract; their ranges, defaults "
        "and acceptance are judged (request.ranges, request.declared_accepted)",
    ),
    _not(
        "image.any_process",
        C,
        "The same request gives byte-identical output in any process, after any restart.",
        "the suite cannot restart the target; within a run it is judged by image.deterministic",
    ),
    _not(
        "request.http_source",
        C,
        "image_path may be an https:// or http:// URL.",
        "what a server may fetch is its own policy (the mock fetches only allow-listed hosts); the form is "
        "judged with data: and s3:// sources",
    ),
    _not(
        "source.pixel_bound_total",
        C,
        "A server may bound the pixels of all sources of a request together.",
        "an allowance, not an obligation: the suite's own sources are small, so every bound accepts them; a "
        "bomb is judged (source.bomb)",
    ),
    _not(
        "error.504_timeout",
        C,
        "504 generation_timeout when generation took too long.",
        "only by fault injection; its shape is judged wherever it occurs and error.fault_codes probes 503",
    ),
)

BY_ID: dict[str, Clause] = {clause.id: clause for clause in CLAUSES}


def clauses_of(check_id: str) -> list[Clause]:
    return [clause for clause in CLAUSES if clause.check == check_id]


def default_clause(check_id: str) -> str | None:
    """What a violation that names no clause breaks: the check's first clause that is not a spec-only choice
    (so an unattributed breach is never softened to a warning)."""
    return next((clause.id for clause in clauses_of(check_id) if clause.source != "spec"), None)


Severity = Literal["failure", "warning"]


def severity(clause_id: str | None, spec_choices: str) -> Severity:
    """A breach of our spec's own choice is a warning where the profile says so (``spec_choices: warn``);
    every other breach, and one whose clause is unknown, is a failure."""
    clause = BY_ID.get(clause_id or "")
    return "warning" if clause is not None and clause.source == "spec" and spec_choices == "warn" else "failure"
