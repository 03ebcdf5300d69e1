"""What a parameter must change: pairs of requests that differ in one input, and what must differ.

Aimed at the ways a plausible server gets it subtly wrong: a seed truncated to 31 bits or taken
modulo 2^16, a cache keyed on too little (without the prompt, the model, the knobs, the 2nd..9th
image), a computed field that is a constant, a default that is not the stated one. Each row
costs two requests; the first row of every clause is sent before any second row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import image
from contract_tests.judging.violations import ContractViolation, Findings
from contract_tests.library import Offering
from contract_tests.wire.builders import Builders
from contract_tests.wire.calls import GenerateCall
from contract_tests.wire.exchange import Exchange
from contract_tests.wire.images import source_image

from .test_images import VISIBLY_DIFFERENT, body_differences, looks

Judge = Callable[[str, Exchange, Exchange], str | None]


@dataclass(frozen=True)
class Pair:
    clause: str
    what: str
    first: GenerateCall
    second: GenerateCall
    judge: Judge


def other_image(check: str, first: Exchange, second: Exchange) -> str | None:
    distance = looks(check, first, second)
    return None if distance >= VISIBLY_DIFFERENT else f"the same picture (difference {distance:.2f}/255)"


def other_time(check: str, first: Exchange, second: Exchange) -> str | None:
    image(check, first)
    image(check, second)
    times = [_time(exchange) for exchange in (first, second)]
    return None if times[0] != times[1] else f"the same processing_time_seconds ({times[0]!r})"


def same_response(check: str, first: Exchange, second: Exchange) -> str | None:
    image(check, first)
    image(check, second)
    changed = body_differences(first, second)
    return f"different responses ({'; '.join(changed)})" if changed else None


def _time(exchange: Exchange) -> object:
    received = exchange.received
    return (
        received.header("x-processing-time-seconds")
        if received.binary
        else (received.json or {}).get("processing_time_seconds")
    )


def _t2i(builders: Builders, *needed: str) -> Offering | None:
    return next((o for o in builders.offerings("text-to-image") if all(o.accepts(n) for n in needed)), None)


def pairs(builders: Builders) -> Iterator[Pair]:
    """Most telling first within each clause (``clause_first`` sends one per clause before any second)."""
    t2i = _t2i(builders)
    if t2i is not None:
        base = builders.t2i(t2i)
        for low, high in ((5, 5 + 2**31), (2**32 - 1, 2**31 - 1), (5, 5 + 2**16), (5, 5 + 2**24)):
            yield Pair(
                "image.seed_all_bits",
                f"seeds {low} and {high}",
                base.with_params(seed=low),
                base.with_params(seed=high),
                other_image,
            )
        yield Pair(
            "image.prompt_changes_image",
            "two prompts",
            base.with_params(prompt="a red fox in snow"),
            base.with_params(prompt="a blue whale at sea"),
            other_image,
        )
        others = [o for o in builders.offerings("text-to-image") if o.model != t2i.model]
        if others:
            yield Pair(
                "image.caption_readable",
                f"models {t2i.model} and {others[0].model}",
                base,
                builders.t2i(others[0]),
                other_image,
            )
    yield from _knob_pairs(builders)
    yield from _image_pairs(builders)


def _knob_pairs(builders: Builders) -> Iterator[Pair]:
    negative = _t2i(builders, "negative_prompt")
    if negative is not None:
        base = builders.t2i(negative)
        yield Pair(
            "image.negative_prompt_changes_image",
            "two negative prompts",
            base.with_params(negative_prompt="blurry"),
            base.with_params(negative_prompt="oversaturated"),
            other_image,
        )
    steps = _t2i(builders, "num_inference_steps")
    if steps is not None:
        base = builders.t2i(steps)
        yield Pair(
            "image.steps_change_time",
            "num_inference_steps 1 and 100",
            base.with_params(num_inference_steps=1),
            base.with_params(num_inference_steps=100),
            other_time,
        )
        yield Pair(
            "request.defaults",
            "num_inference_steps absent and 30 (its default)",
            base,
            base.with_params(num_inference_steps=30),
            same_response,
        )
    sized = _t2i(builders, "width", "height")
    if sized is not None:
        base = builders.t2i(sized)
        yield Pair(
            "image.megapixels_change_time",
            "512x512 and 1024x1024",
            base.with_params(width=512, height=512),
            base.with_params(width=1024, height=1024),
            other_time,
        )
    default_free = _t2i(builders)
    if default_free is not None:
        base = builders.t2i(default_free)
        yield Pair(
            "request.defaults",
            "output_format absent and png, binary_response absent and false",
            base,
            base.with_params(output_format="png", binary_response=False),
            same_response,
        )
    guided = _t2i(builders, "guidance_scale")
    if guided is not None:
        base = builders.t2i(guided)
        yield Pair(
            "request.defaults",
            "guidance_scale absent and 1.0 (its default)",
            base,
            base.with_params(guidance_scale=1.0),
            same_response,
        )


def _image_pairs(builders: Builders) -> Iterator[Pair]:
    multi = next((o for o in builders.offerings("image-editing") if o.max_source_images > 1), None)
    if multi is None or "images" not in builders.profile.sources:
        return
    first = builders.edit(multi, source_image(80, 60, 30), "images")
    for count in (2, multi.max_source_images):
        images = [("images", source_image(80, 60, 30 + index)) for index in range(count)]
        changed = [*images[:-1], ("images", source_image(80, 60, 90))]
        yield Pair(
            "edit.depends_on_every_image",
            f"{count} images, the last one changed",
            first.with_sources(*images),
            first.with_sources(*changed),
            other_image,
        )


@contract_check("parameters_matter")
def test_parameters_matter(eigen_check: CheckRun) -> None:
    findings = Findings(eigen_check.id)
    for pair in eigen_check.planned(list(pairs(eigen_check.builders)), lambda pair: pair.clause):
        with eigen_check.judging(pair.clause):
            first, second = eigen_check.client.generate(pair.first), eigen_check.client.generate(pair.second)
        try:
            problem = pair.judge(eigen_check.id, first, second)
        except ContractViolation as violation:
            findings.violations += violation.violations
            continue
        if problem:
            findings.add(f"{pair.what}: {problem}", second, pair.clause)
    findings.raise_if_any()
