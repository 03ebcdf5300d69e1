"""Rules every response of the run must obey (``contract_tests/judging/invariants.py``).

These checks run last. Each sends a few probes of its own, when the budget allows, aimed at the
places its rule is most often broken; then it reports what its rule found in *every* exchange of
the run (the other checks' and Schemathesis's included), so a bug is caught wherever it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import describe_error
from contract_tests.judging.violations import Findings
from contract_tests.wire.builders import Builders
from contract_tests.wire.calls import JSON, MULTIPART, GenerateCall
from contract_tests.wire.client import ContractClient
from contract_tests.wire.exchange import Exchange
from contract_tests.wire.images import source_image

from .test_errors import base_call


@dataclass(frozen=True)
class Probe:
    what: str
    send: Callable[[ContractClient], Exchange]
    must_succeed: bool = True
    #: the status the probe must get (a fault asked for), if any
    expect: int | None = None
    clause: str = ""


def call(what: str, request: GenerateCall, must_succeed: bool = True, clause: str = "") -> Probe:
    return Probe(what, lambda client: client.generate(request), must_succeed, clause=clause)


def raw(
    what: str,
    method: str,
    path: str = "/api/v1/generate",
    body: bytes | None = None,
    content_type: str | None = None,
    clause: str = "",
) -> Probe:
    headers = {"Content-Type": content_type} if content_type else {}
    return Probe(what, lambda client: client.send(method, path, content=body, headers=headers), False, clause=clause)


def sent(check: CheckRun, probe: Probe) -> Exchange:
    with check.judging(probe.clause):
        return probe.send(check.client)


def judge(check: CheckRun, probes: list[Probe], needs: str) -> None:
    """Send the probes the budget allows, then fail on anything the rule found in the whole run."""
    findings = Findings(check.id)
    # Probes aimed at a clause of their own before the general ones (sorted is stable), and one per
    # clause before a second probe of any (``engine/sampling.py``).
    aimed = sorted(probes, key=lambda probe: not probe.clause)
    affordable = check.planned(aimed, lambda probe: probe.clause)
    for probe, exchange in check.map_affordable(affordable, lambda probe: sent(check, probe)):
        if probe.must_succeed and not exchange.received.ok:
            message = f"probe '{probe.what}': a valid request was refused: {describe_error(exchange)}"
            findings.add(message, exchange, probe.clause or None)
        if probe.expect is not None and exchange.received.status != probe.expect:
            message = f"probe '{probe.what}': expected HTTP {probe.expect}, got {describe_error(exchange)}"
            findings.add(message, exchange, probe.clause or None)
    traffic = check.run.traffic
    if not traffic.kinds[needs] and not findings.violations:
        pytest.skip(f"no {needs} response was observed in this run (budget)")
    findings.violations += traffic.findings[check.id]
    hidden = traffic.counts[check.id] - len(traffic.findings[check.id])
    if hidden > 0:
        findings.add(f"... and {hidden} more responses broke the same rule")
    if len(affordable) < len(probes):
        check.note(f"budget: {len(affordable)} of {len(probes)} probes; judged all {traffic.total} responses")
    findings.raise_if_any()


def t2i_or_none(builders: Builders, *needed: str) -> list[GenerateCall]:
    """A base text-to-image call for a model that accepts ``needed`` (none if no model does)."""
    offering = next((o for o in builders.offerings("text-to-image") if all(o.accepts(n) for n in needed)), None)
    return [builders.t2i(offering)] if offering is not None else []


@contract_check("server_errors")
def test_server_errors(eigen_check: CheckRun) -> None:
    """Edge values first: the maximum sizes are where servers run out of memory or buffers."""
    builders, spec = eigen_check.builders, eigen_check.builders.spec
    base = any_base(builders)
    probes = [
        call(f"{w}x{h}", c.with_params(width=w, height=h), False, clause="error.no_5xx")
        for c in t2i_or_none(builders, "width", "height")
        for w, h in ((2048, 2048), (512, 2048), (2048, 512))
    ]
    probes += [
        call(f"{name} at its maximum", base.with_params(**{name: spec.parameters[name]["maximum"]}), False)
        for name in ("seed", "num_inference_steps", "guidance_scale")
    ]
    prompts = {
        "a 10000-character prompt": "x" * 10000,
        "emoji and right-to-left text": "🦊 \u202eolleh\u202c 狐",
        "a NUL character": "a\x00b",
        "only whitespace": "   ",
    }
    for media in (JSON, MULTIPART):
        probes += [
            call(f"{media}: {what}", base.as_media(media).with_params(prompt=p), False, clause=_prompt_clause(p))
            for what, p in prompts.items()
        ]
    nested = b'{"model":' + b"[" * 5000 + b"]" * 5000 + b"}"
    probes.append(raw("a deeply nested JSON body", "POST", body=nested, content_type="application/json"))
    judge(eigen_check, probes, "response")


def _prompt_clause(prompt: str) -> str:
    return "" if prompt.isascii() else "error.unicode"


@contract_check("error_shape")
def test_error_shape(eigen_check: CheckRun) -> None:
    base = base_call(eigen_check.builders, eigen_check.builders.offerings()[0])
    probes = [
        call("an out-of-range seed", base.with_params(seed=-5), False),
        call("no API key", base.with_auth(None), False),
        call("an unknown model (multipart)", base.as_media(MULTIPART).with_params(model="nope"), False),
        raw("GET", "GET", clause="error.allow_header"),
        raw("an unknown path", "POST", "/api/v1/nope", b"{}", "application/json", clause="error.not_found_shape"),
        raw("text/plain", "POST", body=b"hello", content_type="text/plain"),
        raw("broken JSON", "POST", body=b"{", content_type="application/json"),
    ]
    probes += fault_probes(eigen_check, base)
    judge(eigen_check, probes, "error")


def fault_probes(check: CheckRun, base: GenerateCall) -> list[Probe]:
    """429 and 503 asked for through the profile's fault header: the only way to see them cheaply."""
    header = check.run.profile.fault_header
    if header is None:
        return []
    return [
        _fault(check, header, status, base, clause)
        for status, clause in ((429, "error.rate_limited"), (503, "error.fault_codes"))
    ]


def _fault(check: CheckRun, header: str, status: int, base: GenerateCall, clause: str) -> Probe:
    encoded = base.encode()
    encoded["headers"][header] = str(status)

    def send(client: ContractClient) -> Exchange:
        # The refusal is what this probe judges: seen as it came, not waited out and retried away.
        with check.run.session.refusals_as_answers():
            return client.post_encoded(encoded)

    return Probe(f"{header}: {status}", send, False, status, clause)


@contract_check("image_size")
def test_image_size(eigen_check: CheckRun) -> None:
    sizes = [(512, 2048), (2048, 512), (513, 1023), (1536, 1536)]
    probes = [
        call(f"{w}x{h}", c.with_params(width=w, height=h))
        for c in t2i_or_none(eigen_check.builders, "width", "height")
        for w, h in sizes
    ]
    probes += [call("default size (no width/height)", c) for c in t2i_or_none(eigen_check.builders)]
    probes += [
        call("binary 600x800", c.with_params(width=600, height=800, binary_response=True))
        for c in t2i_or_none(eigen_check.builders, "width", "height")
    ]
    probes += [
        call(
            "an edit (reported size is the output's)",
            eigen_check.builders.edit(o, source_image(130, 70, 5)),
            clause="success.width_height_reported",
        )
        for o in eigen_check.builders.offerings("image-editing")[:1]
    ]
    judge(eigen_check, probes, "success")


def any_base(builders: Builders) -> GenerateCall:
    return base_call(builders, builders.offerings()[0])


@contract_check("image_format")
def test_image_format(eigen_check: CheckRun) -> None:
    base = any_base(eigen_check.builders)
    probes = [
        call(
            f"{fmt} as {'binary' if binary else 'JSON'}",
            base.with_params(output_format=fmt, binary_response=binary),
            clause="binary.content_type" if binary and fmt == "jpg" else "",
        )
        # png then jpg of one request first: a cache keyed without the format answers the second with a PNG
        for fmt, binary in (("png", False), ("jpg", False), ("png", True), ("jpg", True))
    ]
    jpeg = base.with_params(output_format="jpeg", binary_response=True)
    probes.insert(
        2, Probe("jpeg (a synonym of jpg) as binary", lambda client: client.generate(jpeg), clause="image.jpeg_synonym")
    )
    # The Accept header is ignored (never a 406): a JPEG request that "accepts" only PNG gets its JPEG.
    accept = base.as_media(JSON).with_params(output_format="jpg", binary_response=True).encode()
    accept["headers"]["Accept"] = "image/png"
    probes.append(
        Probe(
            "a JPEG with Accept: image/png", lambda client: client.post_encoded(accept), clause="binary.accept_ignored"
        )
    )
    judge(eigen_check, probes, "success")


@contract_check("image_sha256")
def test_image_sha256(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    probes = [
        call("JSON", any_base(builders)),
        call("binary JPEG", any_base(builders).with_params(binary_response=True, output_format="jpg")),
    ]
    probes += [call("an edit", builders.edit(o, media=MULTIPART)) for o in builders.offerings("image-editing")[:1]]
    judge(eigen_check, probes, "success")


@contract_check("alias_field")
def test_alias_field(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    probes = [call(f"{o.model} ({o.mode})", base_call(builders, o)) for o in builders.offerings()]
    judge(eigen_check, probes, "json-success")


@contract_check("binary_headers")
def test_binary_headers(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    probes = [call("binary PNG", any_base(builders).with_params(binary_response=True), clause="binary.headers")]
    probes += [
        call("binary JPEG edit", builders.edit(o, binary_response=True, output_format="jpg"))
        for o in builders.offerings("image-editing")[:1]
    ]
    judge(eigen_check, probes, "binary")


@contract_check("request_id")
def test_request_id(eigen_check: CheckRun) -> None:
    base = any_base(eigen_check.builders)
    probes = [
        call("JSON success", base),
        call("binary success", base.with_params(binary_response=True)),
        call("a 400", base.with_params(seed=-1), False),
        call("a 401", base.with_auth("Bearer nope-nope"), False),
        raw("a 404", "POST", "/api/v1/nope"),
        raw("a 405", "GET"),
        raw("a 415", "POST", body=b"x", content_type="text/plain"),
    ]
    judge(eigen_check, probes, "response")


@contract_check("reported_fields")
def test_reported_fields(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    base = any_base(builders)
    probes = [call("no seed", base.without("seed")), call("output_format jpeg", base.with_params(output_format="jpeg"))]
    lightning = [o for o in builders.offerings("image-editing") if "weight" in o.parameters and o.extra_fields][:1]
    probes += [
        call(f"{o.model} without weight (lightning)", builders.edit(o), clause="success.use_lightning")
        for o in lightning
    ]
    probes += [call(f"{o.model} with weight vanilla", builders.edit(o, weight="vanilla")) for o in lightning]
    probes += [
        call("an edit without mode", builders.edit(o, media=MULTIPART)) for o in builders.offerings("image-editing")[:1]
    ]
    aliases = [o for o in builders.offerings() if o.alias_of][:1]
    probes += [call(f"the alias {o.model}", base_call(builders, o), clause="success.model_echoed") for o in aliases]
    judge(eigen_check, probes, "json-success")


@contract_check("editing_downsizing")
def test_editing_downsizing(eigen_check: CheckRun) -> None:
    builders = eigen_check.builders
    offering = next((o for o in builders.offerings("image-editing") if o.accepts("downsizing_mp")), None)
    probes = [
        call("an edit without downsizing_mp", builders.edit(o, source_image(333, 222, 1), media=MULTIPART))
        for o in builders.offerings("image-editing")[:1]
    ]
    if offering is not None:
        big, small = source_image(1600, 1200, 2), source_image(300, 200, 3)
        probes += [
            call(
                f"a 1600x1200 source, downsizing_mp {mp}",
                builders.edit(offering, big, media=MULTIPART, downsizing_mp=mp),
                clause="edit.downsizing",
            )
            for mp in (0.5, 1.2)
        ]
        probes.append(
            call(
                "a 300x200 source, downsizing_mp 16 (no upscaling)",
                builders.edit(offering, small, media=JSON, downsizing_mp=16),
            )
        )
    judge(eigen_check, probes, "edit")


@contract_check("api_key_not_echoed")
def test_api_key_not_echoed(eigen_check: CheckRun) -> None:
    base = any_base(eigen_check.builders)
    probes = [
        call("a success", base),
        call("an invalid parameter", base.with_params(width=1), False),
        call("an unknown parameter", base.with_params(colour="red"), False),
        call("a wrong key", base.with_auth("Bearer not-the-key-but-secret-too"), False),
        call("a malformed Authorization", base.with_auth(f"Token {eigen_check.run.target.api_key}"), False),
        raw("broken JSON", "POST", body=b"{", content_type="application/json"),
        raw("GET", "GET"),
        raw("an unknown path", "POST", "/api/v1/nope"),
    ]
    judge(eigen_check, probes, "response")
