"""``eigen-mock``: the command line. Argument parsing only; the work is elsewhere.

``eigen-mock serve`` runs the mock (with an embedded S3 unless told otherwise; ``--replay DIR``
answers from a cassette), ``eigen-mock record`` forwards to a real server and records a cassette,
``eigen-mock proxy`` forwards and reports spec violations. Running is ``launcher.run``'s job;
other sub-commands belong to the packages that implement them and are dispatched by name.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_server.control.origins import exposure_problem
from mock_server.extras import MissingExtra, install_hint, installed
from mock_server.proxy.cassette import Cassette, CassetteError
from mock_server.serving.logs import LOG_FORMATS
from mock_server.settings import DEFAULT_API_KEY, DEFAULT_BUCKET, Settings, SettingsError
from mock_server.stubs.book import StubSpecError, load_directory

#: Sub-commands implemented elsewhere: name → (module, extra, help). Each module has ``main(argv) -> int``.
DELEGATED = {
    "check": (
        "contract_tests.cli",
        "contract",
        "check any server against the contract (see 'eigen-mock check --help')",
    ),
}


def _server_options() -> argparse.ArgumentParser:
    """Options every server command takes: where to listen, the control plane, the journal."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--host", default="127.0.0.1")
    common.add_argument("--port", type=int, default=8000)
    common.add_argument("--workers", type=int, default=1)
    common.add_argument("--max-body-bytes", type=int)
    common.add_argument("--control-token", help="require this bearer token on /_mock/")
    common.add_argument("--no-control", action="store_true", help="disable the /_mock/ control plane")
    common.add_argument(
        "--allow-open-control",
        action="store_true",
        help="serve /_mock/ without a token on a non-loopback --host (anyone there may drive it)",
    )
    common.add_argument("--journal-size", type=int, help="requests kept in the journal (default 1000)")
    common.add_argument("--thumbnails", type=int, help="gallery thumbnails kept (default 48; 0 for none)")
    common.add_argument(
        "--har-bodies",
        type=int,
        metavar="N",
        help="answers kept whole for /_mock/requests.har?bodies=true (default 32; 0 for none)",
    )
    common.add_argument(
        "--render-threads",
        type=int,
        metavar="N",
        help="requests rendered at once per process off the event loop (default: 2 per core, min 4)",
    )
    common.add_argument("--state-dir", type=Path, help="share state between workers in files here")
    common.add_argument(
        "--header-timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection whose request headers take longer (default 10)",
    )
    common.add_argument(
        "--body-timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection whose request body takes longer after its headers (default 60)",
    )
    common.add_argument(
        "--graceful-timeout",
        type=float,
        metavar="SECONDS",
        help="on SIGTERM, wait this long for requests in flight, then cut them (default 10)",
    )
    common.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    common.add_argument(
        "--log-format", default="text", choices=LOG_FORMATS, help="text lines (default) or one JSON object per line"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    from mock_server import __version__

    parser = argparse.ArgumentParser(prog="eigen-mock", description="Offline mock of Eigen AI's image API.")
    parser.add_argument("--version", action="version", version=f"eigen-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    common = _server_options()
    _add_serve(commands.add_parser("serve", parents=[common], help="run the mock server"))
    for name, help_text in (
        ("proxy", "forward to a server and report what breaks the spec"),
        ("record", "forward to a server and record every exchange in a cassette"),
    ):
        forwarding = commands.add_parser(name, parents=[common], help=help_text)
        forwarding.add_argument("--target", required=True, help="base URL of the server to forward to")
        if name == "record":
            forwarding.add_argument("--cassette", type=Path, required=True, help="directory to record into")
    for name, (_, _, help_text) in DELEGATED.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


def _add_serve(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted bearer key (repeatable; default {DEFAULT_API_KEY})",
    )
    serve.add_argument("--no-auth", action="store_true", help="accept requests without an API key")
    serve.add_argument("--s3-endpoint-url", help="use this S3 endpoint instead of the embedded one")
    serve.add_argument("--no-s3", action="store_true", help="run without S3 (s3_output_path answers 502)")
    serve.add_argument("--s3-bucket", default=DEFAULT_BUCKET, help="bucket created in the embedded S3")
    serve.add_argument("--models", type=Path, help="model library YAML (default: the shipped one)")
    serve.add_argument(
        "--allow-source-host",
        action="append",
        default=[],
        metavar="HOST",
        help="host that image_path may fetch over http(s) (repeatable)",
    )
    serve.add_argument("--source-root", type=Path, help="local directory that image_path may read")
    serve.add_argument("--random-seed", type=int, help="seed the RNG that picks missing seeds")
    serve.add_argument(
        "--latency",
        metavar="LATENCY",
        help="make each image take this long: model (its processing_time_seconds), seconds (2, 500ms) or a range (1-3)",
    )
    serve.add_argument(
        "--latency-scale",
        type=float,
        metavar="FACTOR",
        help="multiply the model latency (0.1: a 2 s image takes 0.2 s)",
    )
    serve.add_argument(
        "--stubs-dir",
        type=Path,
        metavar="DIR",
        help="answer matching requests as the stubs in this directory's YAML/JSON files say",
    )
    serve.add_argument("--rate-limit", type=int, metavar="N", help="allow N requests per key per window (429 beyond)")
    serve.add_argument("--rate-limit-window", type=float, metavar="SECONDS", help="the rate limit's window (60)")
    serve.add_argument("--replay", type=Path, metavar="DIR", help="answer requests recorded in this cassette")
    serve.add_argument("--replay-strict", action="store_true", help="404 for requests not in the cassette")


def settings_from_args(args: argparse.Namespace, base: Settings) -> Settings:
    changes: dict[str, object] = {}
    if getattr(args, "no_auth", False):
        changes["api_keys"] = ()
    elif getattr(args, "api_keys", None):
        changes["api_keys"] = tuple(args.api_keys)
    optional = {
        "models_path": "models",
        "max_body_bytes": "max_body_bytes",
        "source_root": "source_root",
        "control_token": "control_token",
        "random_seed": "random_seed",
        "s3_endpoint_url": "s3_endpoint_url",
        "journal_size": "journal_size",
        "thumbnails": "thumbnails",
        "render_threads": "render_threads",
        "state_dir": "state_dir",
        "har_bodies": "har_bodies",
        "latency": "latency",
        "latency_scale": "latency_scale",
        "stubs_dir": "stubs_dir",
        "header_timeout": "header_timeout",
        "body_timeout": "body_timeout",
        "graceful_timeout": "graceful_timeout",
        "rate_limit": "rate_limit",
        "rate_limit_window": "rate_limit_window",
        "replay_dir": "replay",
        "proxy_target": "target",
        "record_dir": "cassette",
    }
    changes.update(
        {field: getattr(args, name) for field, name in optional.items() if getattr(args, name, None) is not None}
    )
    if getattr(args, "allow_source_host", None):
        changes["allowed_source_hosts"] = frozenset(host.lower() for host in args.allow_source_host)
    if args.no_control:
        changes["control_enabled"] = False
    if getattr(args, "replay_strict", False):
        changes["replay_strict"] = True
    return base.replace(**changes)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return _delegate(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args, Settings.from_env())
        if settings.replay_dir is not None:
            Cassette(settings.replay_dir).interactions()  # refuse a bad cassette before anything starts
        exposed = exposure_problem(
            args.host,
            control_enabled=settings.control_enabled,
            control_token=settings.control_token,
            allow_open=args.allow_open_control,
        )
        if exposed is not None:
            raise SettingsError(exposed)
        if settings.stubs_dir is not None:
            load_directory(settings.stubs_dir)  # and bad stubs
    except (SettingsError, CassetteError, StubSpecError) as exc:
        print(f"eigen-mock: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    from mock_server.serving.launcher import Launch, run
    from mock_server.serving.preflight import StartupError

    serving = args.command == "serve"
    if serving and args.no_s3:
        settings = settings.replace(s3_endpoint_url=None)
    bucket = args.s3_bucket if serving and not args.no_s3 else None
    try:
        return run(settings, Launch(args.host, args.port, args.workers, args.log_level, bucket, args.log_format))
    except StartupError as exc:
        print(f"eigen-mock: {' '.join(str(exc).split())}", file=sys.stderr)  # noqa: T201  one line, always
        return 2


def _delegate(command: str, argv: list[str]) -> int:
    module_name, extra, _ = DELEGATED[command]
    if not installed(extra):
        print(f"eigen-mock {command} needs the {extra} extra: {install_hint(extra)}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        module = importlib.import_module(module_name)
    except MissingExtra as exc:
        print(f"eigen-mock {command}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    code: int = module.main(argv)
    return code
