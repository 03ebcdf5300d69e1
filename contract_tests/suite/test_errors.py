"""Bad input of every class gets the contract's status and code, never a 5xx.

Each check is a table of bad requests (the most telling first, so a small budget tests those);
every row is sent, and all rows that fail are reported together. The error *shape* of every
response is judged by the ``error_shape`` invariant; here it is the status, code and param.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain, zip_longest

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import ANY_PARAM, rejected
from contract_tests.judging.violations import Findings
from contract_tests.library import FILE_FIELDS, Offering
from contract_tests.wire.badvalues import bad_values
from contract_tests.wire.builders import Builders
from contract_tests.wire.calls import JSON, MULTIPART, GenerateCall
from contract_tests.wire.client import ContractClient
from contract_tests.wire.exchange import Exchange
from contract_tests.wire.images import SourceImage, decompression_bomb, source_image

INVALID = {"invalid_parameter"}
#: Parameters with their own checks (sources, S3 paths) or whose bad values mean another code.
_NOT_GENERIC = frozenset({"model", "image_path", "s3_output_path", "image_file", "image", "images"})


@dataclass(frozen=True)
class Bad:
    what: str
    send: Callable[[ContractClient], Exchange]
    status: int = 400
    codes: Collection[str] = field(default_factory=lambda: INVALID)
    param: object = ANY_PARAM
    #: words the error message must contain (the contract says what some messages tell)
    says: tuple[str, ...] = ()
    #: the clause (``judging/clauses.py``) the row judges
    clause: str = ""
    #: the message must give a bound (a number), as contract.md says of the pixel bound
    says_bound: bool = False
    #: where the contract also allows a success: what is wrong with it (``None``: it conforms)
    or_success: Callable[[Exchange], str | None] | None = None


def bad_call(
    what: str,
    call: GenerateCall,
    codes: Collection[str] = INVALID,
    param: object = ANY_PARAM,
    says: tuple[str, ...] = (),
    *,
    clause: str,
) -> Bad:
    return Bad(what, lambda client: client.generate(call), 400, codes, param, says, clause)


def bomb_row(base: GenerateCall, file_field: str) -> Bad:
    call = base.with_sources((file_field, decompression_bomb()))
    return Bad(
        "a decompression bomb (a small PNG that decodes to 30000x30000 pixels)",
        lambda client: client.generate(call),
        codes={"invalid_image"},
        clause="source.bomb",
        says_bound=True,
    )


def run_table(check: CheckRun, rows: list[Bad]) -> None:
    findings = Findings(check.id)
    planned = check.planned(rows, lambda row: row.clause)
    for row, exchange in zip(planned, check.map(planned, lambda row: sent(check, row)), strict=True):
        judge_row(findings, row, exchange)
    findings.raise_if_any()


def sent(check: CheckRun, row: Bad) -> Exchange:
    with check.judging(row.clause):
        return row.send(check.client)


def judge_row(findings: Findings, row: Bad, exchange: Exchange) -> None:
    if row.or_success is not None and exchange.received.ok:
        problem = row.or_success(exchange)
        if problem:
            findings.add(f"{row.what}: {problem}", exchange, row.clause)
        return
    before = len(findings.violations)
    rejected(findings, exchange, row.what, row.status, row.codes, row.param)
    message = str((exchange.received.error or {}).get("message", ""))
    missing = [word for word in row.says if word not in message]
    if row.says_bound and not any(ch.isdigit() for ch in message):
        missing.append("the bound (a number)")
    if exchange.received.status == row.status and missing:
        findings.add(f"{row.what}: the error message must mention {', '.join(missing)}", exchange)
    findings.violations[before:] = [replace(v, clause=row.clause or v.clause) for v in findings.violations[before:]]


def base_call(builders: Builders, offering: Offering, media: str = JSON) -> GenerateCall:
    return builders.edit(offering, media=media) if offering.editing else builders.t2i(offering, media=media)


def interleave(*groups: list[Bad]) -> list[Bad]:
    """Round-robin over groups, so the first rows cover every group."""
    return [row for row in chain.from_iterable(zip_longest(*groups)) if row is not None]


def parameter_rows(builders: Builders, strict_json: bool) -> Iterator[list[Bad]]:
    """Per parameter, its bad values (from the spec), sent to a model and mode that accept it."""
    for name, schema in builders.spec.parameters.items():
        offering = next((o for o in builders.offerings() if o.accepts(name)), None)
        if name in _NOT_GENERIC or offering is None:
            continue
        base = base_call(builders, offering)
        yield [
            bad_call(
                f"{name} {why}", base.with_params(**{name: value}), param=name, clause=_bad_value_clause(name, why)
            )
            for why, value in bad_values(schema, strict_json)
        ]


def _bad_value_clause(name: str, why: str) -> str:
    if name == "negative_prompt" and why.startswith("longer"):
        return "request.negative_prompt_max"  # our spec's cap; contract.md allows any from 10,000 up
    if why.startswith("a fraction"):
        return "request.fraction_refused"
    if "JSON string" in why:
        return "request.json_strict"
    return "request.ranges"


def required_rows(builders: Builders, offering: Offering) -> list[Bad]:
    base = base_call(builders, offering)
    return [
        bad_call(f"no {name}", base.without(name), {"missing_parameter"}, name, clause="request.required")
        for name in sorted(builders.spec.required, key=lambda name: name != "prompt")  # a defaulted prompt first
    ]


def multipart_rows(builders: Builders, offering: Offering) -> list[Bad]:
    """Text parts that do not parse to their parameter's type."""
    base = base_call(builders, offering, MULTIPART)
    rows = [("seed", "12x"), ("seed", "-1"), ("output_format", "gif")]
    rows += [(name, "abc") for name in ("width", "num_inference_steps") if offering.accepts(name)]
    rows += [("binary_response", "maybe")]
    found = [
        bad_call(
            f"multipart {name}={text!r}",
            base.with_params(**{name: text}),
            param=name,
            clause="request.multipart_parsed",
        )
        for name, text in rows
    ]
    twice = base.encode()
    twice["files"].append(("seed", (None, "8")))
    repeated = Bad(
        "multipart seed sent twice (7, then 8)",
        lambda client: client.post_encoded(twice),
        param="seed",
        clause="request.multipart_repeated",
        or_success=lambda exchange: _reports_seed(exchange, 8, "read as its last value"),
    )
    return [*found, repeated]


def _reports_seed(exchange: Exchange, seed: int, how: str) -> str | None:
    """Why a success does not report ``seed`` as an integer (``None`` when it does)."""
    reported = (exchange.received.json or {}).get("seed") if not exchange.received.binary else None
    if type(reported) is int and reported == seed:
        return None
    return f"accepted, so it must be {how}: seed {seed}, but the response reports {reported!r}"


@contract_check("errors_parameters")
def test_errors_parameters(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    offering = builders.offerings()[0]
    generic = list(parameter_rows(builders, eigen_check.run.profile.strict_json_types))
    run_table(eigen_check, interleave(required_rows(builders, offering), multipart_rows(builders, offering), *generic))


@contract_check("errors_models")
def test_errors_models(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    base, models = base_call(builders, builders.offerings()[0]), tuple(builders.library.models())
    unknown, unsupported = {"unknown_model"}, {"unsupported_parameter"}
    rows = [
        bad_call(
            "an unknown model",
            base.with_params(model="no-such-model-0"),
            unknown,
            "model",
            clause="request.unknown_model",
        ),
        bad_call(
            "an empty model",
            base.with_params(model=""),
            {"invalid_parameter", "missing_parameter", "unknown_model"},
            "model",
            clause="request.model_non_empty",
        ),
        bad_call(
            "an unknown model (the message lists the valid ids)",
            base.with_params(model="no-such-model-1"),
            unknown,
            "model",
            models,
            clause="request.unknown_model_message",
        ),
        bad_call(
            "size (not a parameter)",
            base.with_params(size="1024x1024"),
            unsupported,
            "size",
            ("width", "height"),
            clause="request.size_not_a_parameter",
        ),
        bad_call(
            "an unknown parameter",
            base.with_params(colour="red"),
            unsupported,
            "colour",
            clause="request.unknown_parameter",
        ),
        bad_call(
            "an unknown model (multipart)",
            base.as_media(MULTIPART).with_params(model="no-1"),
            unknown,
            "model",
            clause="request.unknown_model",
        ),
        bad_call(
            "a model id in the wrong case",
            base.with_params(model=str(base.params["model"]).upper()),
            unknown,
            clause="request.unknown_model",
        ),
        *mode_rows(builders),
    ]
    run_table(eigen_check, rows)


def mode_rows(builders: Builders) -> Iterator[Bad]:
    """A mode the model does not offer: 400 unsupported_parameter naming mode."""
    for offering in builders.offerings():
        modes = builders.library.modes_of(offering.model)
        if len(modes) == 1:
            other = "text-to-image" if offering.editing else "image-editing"
            call = base_call(builders, offering).with_params(mode=other)
            yield bad_call(
                f"{offering.model} in {other} mode (it offers {modes[0]} only)",
                call,
                {"unsupported_parameter"},
                "mode",
                clause="request.mode_not_offered",
            )


def source_rows(builders: Builders) -> Iterator[Bad]:
    """Bad sources, sent in the source fields the profile says the target accepts."""
    editor, t2i = builders.first("image-editing"), builders.first("text-to-image")
    fields, png = builders.profile.sources, source_image()
    if editor is not None:
        yield from _editing_source_rows(builders, editor, fields)
    if t2i is not None:
        with_source = builders.edit(t2i, png, fields[0], MULTIPART, mode="text-to-image")
        yield bad_call(
            "a source image in text-to-image mode", with_source, builders.spec.error_codes[400], clause="source.in_t2i"
        )
    modes = builders.library.modes_of
    edit_only = next((o for o in builders.offerings("image-editing") if modes(o.model) == [o.mode]), None)
    if edit_only is not None:
        yield bad_call(
            f"{edit_only.model} (editing only) without a source and without mode",
            GenerateCall({"model": edit_only.model, "prompt": "edit"}),
            {"missing_source_image", "unsupported_parameter"},  # contract.md: either names the problem
            clause="source.edit_only_model",
        )


def _editing_source_rows(builders: Builders, editor: Offering, fields: tuple[str, ...]) -> Iterator[Bad]:
    png, base = source_image(), base_call(builders, editor, MULTIPART).with_sources().without("image_path")
    yield bad_call(
        "image-editing without a source",
        base.with_params(mode="image-editing"),
        {"missing_source_image"},
        clause="source.missing",
    )
    if len(fields) > 1:
        first = builders.edit(editor, png, fields[0], MULTIPART)
        both = builders.edit(editor, png, fields[1], MULTIPART).with_params(**first.params)
        both = both.with_sources(*both.sources, *first.sources)
        yield bad_call(
            f"two source fields ({fields[0]} and {fields[1]})",
            both,
            {"conflicting_source_images"},
            clause="source.conflicting",
        )
    file_field = next((field for field in fields if field in FILE_FIELDS), None)
    if file_field is not None:
        yield bad_call(
            "undecodable image bytes",
            base.with_sources((file_field, _not_an_image())),
            {"invalid_image"},
            clause="source.undecodable",
        )
        yield bomb_row(base, file_field)
    if "images" in fields:
        multi = [o for o in builders.offerings("image-editing") if o.max_source_images > 1][:1]
        for offering in [*multi, editor]:  # one over a limit of 9 is the likelier slip than one over 1
            too_many = [("images", source_image(variant=v)) for v in range(offering.max_source_images + 1)]
            yield bad_call(
                f"{len(too_many)} images for {offering.model}, which takes {offering.max_source_images}",
                base.with_params(model=offering.model).with_sources(*too_many),
                {"conflicting_source_images", "invalid_parameter"},
                clause="source.too_many",
            )
    if "image_path" in fields:
        yield from _image_path_rows(base_call(builders, editor).with_sources().without("image_path"))


def _image_path_rows(base: GenerateCall) -> Iterator[Bad]:
    rows = [  # an unfetchable source first: where a fetch error escapes as a 500
        (
            "an s3:// source that does not exist",
            "s3://eigen-contract-no-such-bucket/none.png",
            {"source_unavailable"},
            "image_path",
        ),
        (
            "image_path that is not a URL, s3:// or data:",
            "ftp://example.com/a.png",
            {"invalid_parameter", "source_unavailable"},
            "image_path",
        ),
        ("a truncated PNG as a data: URL", _truncated_data_url(), {"invalid_image"}, ANY_PARAM),
    ]
    for what, path, codes, param in rows:
        yield bad_call(what, base.with_params(image_path=path), codes, param, clause="source.image_path_forms")


def _not_an_image() -> SourceImage:
    return SourceImage(b"this is not an image at all", 1, 1, "png")


def _truncated_data_url() -> str:
    image = source_image(160, 120, 3)
    return SourceImage(image.data[: len(image.data) // 2], 160, 120, "png").data_url()


@contract_check("errors_sources")
def test_errors_sources(eigen_check: CheckRun) -> None:
    run_table(eigen_check, list(source_rows(eigen_check.builders)))


def raw(
    what: str,
    status: int,
    codes: set[str],
    method: str = "POST",
    path: str = "/api/v1/generate",
    content: bytes | None = None,
    content_type: str | None = None,
    *,
    clause: str,
) -> Bad:
    headers = {"Content-Type": content_type} if content_type else {}
    send: Callable[[ContractClient], Exchange] = lambda client: client.send(  # noqa: E731
        method, path, content=content, headers=headers
    )
    return Bad(what, send, status, codes, None, clause=clause)


def _surrogate_prompt(builders: Builders) -> Bad:
    """An unpaired surrogate escape in a JSON string: not text (contract.md's first clarification)."""
    base = base_call(builders, builders.offerings()[0]).with_params(prompt="SURROGATE")
    body = base.encode()["data"].replace(b'"SURROGATE"', b'"a \\ud800 b"')
    return Bad(
        "a prompt holding an unpaired surrogate (\\ud800)",
        lambda client: client.post_encoded({"data": body, "headers": {"Content-Type": "application/json"}}),
        codes={"invalid_json", "invalid_parameter"},
        clause="request.surrogate",
    )


def _oversized(limit: int) -> Bad:
    """One byte over the body limit: a JSON body whose size alone is wrong (a 413, not a 400 for its content)."""
    head, tail = b'{"model": "x", "prompt": "', b'"}'
    body = head + b"x" * (limit + 1 - len(head) - len(tail)) + tail
    return raw(
        f"a body of {len(body)} bytes (one over the {limit}-byte limit)",
        413,
        {"payload_too_large"},
        content=body,
        content_type="application/json",
        clause="error.payload_too_large",
    )


@contract_check("errors_request_format")
def test_errors_request_format(eigen_check: CheckRun) -> None:
    json_type, form = "application/json", "multipart/form-data; boundary=eigen"
    rows = [
        raw(
            "a body that is not JSON",
            400,
            {"invalid_json"},
            content=b'{"model": ',
            content_type=json_type,
            clause="error.invalid_json",
        ),
        raw(
            "a text/plain body",
            415,
            {"unsupported_media_type"},
            content=b"model=x",
            content_type="text/plain",
            clause="error.media_type",
        ),
        raw(
            "PATCH on the operation",
            405,
            {"method_not_allowed"},
            method="PATCH",
            content=b"{}",
            content_type=json_type,
            clause="error.method",
        ),
        # The trailing slash first: a router that strips it is a likelier slip than one that routes any path.
        raw(
            "the operation's path with a trailing slash",
            404,
            {"not_found"},
            path="/api/v1/generate/",
            content=b"{}",
            content_type=json_type,
            clause="error.not_found",
        ),
        raw(
            "a path that does not exist",
            404,
            {"not_found"},
            path="/api/v1/no-such-path",
            content=b"{}",
            content_type=json_type,
            clause="error.not_found",
        ),
        _surrogate_prompt(eigen_check.builders),
        raw(
            "a multipart body that does not parse",
            400,
            {"invalid_multipart"},
            content=b"--eigen\r\nbroken",
            content_type=form,
            clause="error.invalid_json",
        ),
        raw(
            "NaN in a JSON body",
            400,
            {"invalid_json"},
            content=b'{"model": "x", "prompt": "y", "seed": NaN}',
            content_type=json_type,
            clause="error.invalid_json",
        ),
        raw("GET on the operation", 405, {"method_not_allowed"}, method="GET", clause="error.method"),
        raw(
            "an empty JSON body",
            400,
            {"invalid_json"},
            content=b"",
            content_type=json_type,
            clause="error.invalid_json",
        ),
        raw(
            "a form-urlencoded body",
            415,
            {"unsupported_media_type"},
            content=b"model=x&prompt=y",
            content_type="application/x-www-form-urlencoded",
            clause="error.media_type",
        ),
        raw(
            "a JSON array body",
            400,
            {"invalid_json", "invalid_parameter"},
            content=b"[]",
            content_type=json_type,
            clause="error.invalid_json",
        ),
        raw("DELETE on the operation", 405, {"method_not_allowed"}, method="DELETE", clause="error.method"),
        raw(
            "PUT on the operation",
            405,
            {"method_not_allowed"},
            method="PUT",
            content=b"{}",
            content_type=json_type,
            clause="error.method",
        ),
        raw("OPTIONS on the operation", 405, {"method_not_allowed"}, method="OPTIONS", clause="error.method"),
        raw(
            "the operation's path in another case",
            404,
            {"not_found"},
            path="/api/v1/Generate",
            content=b"{}",
            content_type=json_type,
            clause="error.not_found",
        ),
    ]
    limit = eigen_check.run.profile.max_body_bytes
    if limit is not None:
        rows.append(_oversized(limit))
    run_table(eigen_check, rows)


@contract_check("errors_s3_path")
def test_errors_s3_path(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    base = base_call(builders, builders.offerings()[0])
    bucket = eigen_check.run.target.s3_bucket or "eigen-contract-bucket"
    paths = [
        ("not s3://", f"https://{bucket}/out.png"),
        ("an empty key", f"s3://{bucket}/"),
        ("an invalid bucket name", "s3://Not_A_Bucket/out.png"),
        ("no bucket", "s3:///out.png"),
        ("a bucket name too short", "s3://ab/out.png"),
    ]
    rows = [
        bad_call(
            f"s3_output_path with {why}",
            base.with_params(s3_output_path=path),
            {"invalid_s3_path"},
            "s3_output_path",
            clause="s3.path_format",
        )
        for why, path in paths
    ]
    run_table(eigen_check, rows)
