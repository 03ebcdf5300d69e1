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

from mock_server.proxy.cassette import Cassette, CassetteError
from mock_server.settings import DEFAULT_API_KEY, DEFAULT_BUCKET, Settings, SettingsError

#: Sub-commands implemented elsewhere: name → (module, help). Each module has ``main(argv) -> int``.
DELEGATED = {
    "check": ("contract_tests.cli", "check any server against the contract (see 'eigen-mock check --help')"),
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
    common.add_argument("--journal-size", type=int, help="requests kept in the journal (default 1000)")
    common.add_argument("--thumbnails", type=int, help="gallery thumbnails kept (default 48; 0 for none)")
    common.add_argument("--render-threads", type=int, metavar="N",
                        help="requests rendered at once per process off the event loop (default: 2 per core, min 4)")
    common.add_argument("--state-dir", type=Path, help="share state between workers in files here")
    common.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eigen-mock", description="Offline mock of Eigen AI's image API.")
    commands = parser.add_subparsers(dest="command", required=True)
    common = _server_options()
    _add_serve(commands.add_parser("serve", parents=[common], help="run the mock server"))
    for name, help_text in (("proxy", "forward to a server and report what breaks the spec"),
                            ("record", "forward to a server and record every exchange in a cassette")):
        forwarding = commands.add_parser(name, parents=[common], help=help_text)
        forwarding.add_argument("--target", required=True, help="base URL of the server to forward to")
        if name == "record":
            forwarding.add_argument("--cassette", type=Path, required=True, help="directory to record into")
    for name, (_, help_text) in DELEGATED.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


def _add_serve(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                       help=f"accepted bearer key (repeatable; default {DEFAULT_API_KEY})")
    serve.add_argument("--no-auth", action="store_true", help="accept requests without an API key")
    serve.add_argument("--s3-endpoint-url", help="use this S3 endpoint instead of the embedded one")
    serve.add_argument("--no-s3", action="store_true", help="run without S3 (s3_output_path answers 502)")
    serve.add_argument("--s3-bucket", default=DEFAULT_BUCKET, help="bucket created in the embedded S3")
    serve.add_argument("--models", type=Path, help="model library YAML (default: the shipped one)")
    serve.add_argument("--allow-source-host", action="append", default=[], metavar="HOST",
                       help="host that image_path may fetch over http(s) (repeatable)")
    serve.add_argument("--source-root", type=Path, help="local directory that image_path may read")
    serve.add_argument("--random-seed", type=int, help="seed the RNG that picks missing seeds")
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
        "models_path": "models", "max_body_bytes": "max_body_bytes", "source_root": "source_root",
        "control_token": "control_token", "random_seed": "random_seed", "s3_endpoint_url": "s3_endpoint_url",
        "journal_size": "journal_size", "thumbnails": "thumbnails", "render_threads": "render_threads",
        "state_dir": "state_dir",
        "rate_limit": "rate_limit", "rate_limit_window": "rate_limit_window", "replay_dir": "replay",
        "proxy_target": "target", "record_dir": "cassette",
    }
    changes.update({field: getattr(args, name) for field, name in optional.items()
                    if getattr(args, name, None) is not None})
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
        module = importlib.import_module(DELEGATED[argv[0]][0])
        code: int = module.main(argv[1:])
        return code
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args, Settings.from_env())
        if settings.replay_dir is not None:
            Cassette(settings.replay_dir).interactions()  # refuse a bad cassette before anything starts
    except (SettingsError, CassetteError) as exc:
        print(f"eigen-mock: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    from mock_server.serving.launcher import Launch, run

    serving = args.command == "serve"
    if serving and args.no_s3:
        settings = settings.replace(s3_endpoint_url=None)
    bucket = args.s3_bucket if serving and not args.no_s3 else None
    return run(settings, Launch(args.host, args.port, args.workers, args.log_level, bucket))
