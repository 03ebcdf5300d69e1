"""Image editing: every source field works, and the result depends on the source."""

from __future__ import annotations

from hypothesis import strategies as st

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.fuzzing.strategies import EditCase, edit_cases
from contract_tests.judging.expect import describe_error, image
from contract_tests.judging.violations import Findings, fail
from contract_tests.wire.calls import GenerateCall
from contract_tests.wire.exchange import Exchange
from contract_tests.wire.images import SourceImage, decode, source_image

from .test_images import VISIBLY_DIFFERENT, looks


def source_rows(check: CheckRun) -> list[tuple[str, GenerateCall, SourceImage]]:
    """(what, call, source): the first (media, field) pair, several images (whose first sets the size), the
    other pairs, then other source formats: a budget of a few rows judges each clause of the check."""
    builders = check.builders
    editor = builders.first("image-editing")
    assert editor is not None
    rows: list[tuple[str, GenerateCall, SourceImage]] = []
    for media, field in builders.source_forms():
        source = source_image(120, 80, len(rows))
        rows.append((f"{field} in {media}", builders.edit(editor, source, field, media), source))
    for fmt in ("jpeg", "webp"):
        source = source_image(90, 110, 7, fmt)
        rows.append((f"a {fmt.upper()} source", builders.edit(editor, source, builders.profile.sources[0]), source))
    multi = next((o for o in builders.offerings("image-editing") if o.max_source_images > 1), None)
    if multi is not None and "images" in builders.profile.sources:
        first, second = source_image(100, 70, 11), source_image(60, 60, 12)
        call = builders.edit(multi, first, "images").with_sources(("images", first), ("images", second))
        rows.insert(1, (f"two images for {multi.model}", call, first))
    return rows


def refused(check: CheckRun, findings: Findings, what: str, call: GenerateCall, exchange: Exchange, ask: bool) -> None:
    """An edit without mode was refused: is the source field refused, or the mode not inferred from it?
    One more request (only on failure) tells: the same edit with mode image-editing."""
    explicit = check.client.generate(call.with_params(mode="image-editing")) if ask else None
    if explicit is not None and explicit.received.ok:
        message = f"an edit with {what} and no mode was refused, with mode image-editing it succeeds: not inferred"
        findings.add(f"{message} ({describe_error(exchange)})", exchange, "edit.mode_inferred")
    else:
        message = f"an edit with {what} (and no mode) was refused: {describe_error(exchange)}"
        findings.add(message, exchange, "edit.sources_accepted")


@contract_check("editing_sources")
def test_editing_sources(eigen_check: CheckRun) -> None:
    findings = Findings(eigen_check.id)
    rows = source_rows(eigen_check)
    units = eigen_check.units(len(rows) + 1)
    planned = rows[:units]
    spare = units - len(planned)  # one request to tell a refused field from a mode not inferred
    sent = eigen_check.map([call for _, call, _ in planned], eigen_check.client.generate)
    for (what, call, source), exchange in zip(planned, sent, strict=True):
        if not exchange.received.ok:
            refused(eigen_check, findings, what, call, exchange, spare > 0)
            spare = 0
            continue
        body = exchange.received.json or {}
        if body.get("mode", "image-editing") != "image-editing":
            message = f"an edit with {what} and no mode must be image-editing, got {body.get('mode')!r}"
            findings.add(message, exchange, "edit.mode_inferred")
        result = decode(image(eigen_check.id, exchange))
        if result.problem:
            findings.add(f"an edit with {what} returned an image that does not decode: {result.problem}", exchange)
        elif (result.width, result.height) != (source.width, source.height):
            findings.add(
                f"an edit of a {source.width}x{source.height} source ({what}) came back "
                f"{result.width}x{result.height}; it must have the (first) source's size",
                exchange,
            )
    findings.raise_if_any()


@contract_check("editing_depends_on_source")
def test_editing_depends_on_source(eigen_check: CheckRun) -> None:
    @eigen_check.given(edit_cases(eigen_check.builders), st.integers(1, 1000))
    def other_source_other_image(case: EditCase, step: int) -> None:
        other = source_image(case.source.width, case.source.height, 1000 + step, case.source.format)
        first, second = eigen_check.map([case.call(), case.call(other)], eigen_check.client.generate)
        distance = looks(eigen_check.id, first, second)
        if distance < VISIBLY_DIFFERENT:
            message = f"two different sources gave the same edit (difference {distance:.2f}/255)"
            raise fail(eigen_check.id, message, second)

    other_source_other_image()
