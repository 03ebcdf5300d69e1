"""``eigen-mock``: the command line. Argument parsing only; the work is elsewhere.

``eigen-mock serve`` runs the mock (with an embedded S3 unless told otherwise); other
sub-commands belong to the packages that implement them and are dispatched by name.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .settings import DEFAULT_API_KEY, DEFAULT_BUCKET, Settings, SettingsError

#: Sub-commands implemented elsewhere: name → (module, help). Each module has ``main(argv) -> int``.
DELEGATED = {
    "check": ("contract_tests.cli", "check any server against the contract (see 'eigen-mock check --help')"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eigen-mock", description="Offline mock of Eigen AI's image API.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                       help=f"accepted bearer key (repeatable; default {DEFAULT_API_KEY})")
    serve.add_argument("--no-auth", action="store_true", help="accept requests without an API key")
    serve.add_argument("--s3-endpoint-url", help="use this S3 endpoint instead of the embedded one")
    serve.add_argument("--no-s3", action="store_true", help="run without S3 (s3_output_path answers 502)")
    serve.add_argument("--s3-bucket", default=DEFAULT_BUCKET, help="bucket created in the embedded S3")
    serve.add_argument("--models", type=Path, help="model library YAML (default: the shipped one)")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--max-body-bytes", type=int)
    serve.add_argument("--allow-source-host", action="append", default=[], metavar="HOST",
                       help="host that image_path may fetch over http(s) (repeatable)")
    serve.add_argument("--source-root", type=Path, help="local directory that image_path may read")
    serve.add_argument("--control-token", help="require this bearer token on /_mock/")
    serve.add_argument("--no-control", action="store_true", help="disable the /_mock/ control plane")
    serve.add_argument("--random-seed", type=int, help="seed the RNG that picks missing seeds")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    for name, (_, help_text) in DELEGATED.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


def settings_from_args(args: argparse.Namespace, base: Settings) -> Settings:
    changes: dict[str, object] = {}
    if args.no_auth:
        changes["api_keys"] = ()
    elif args.api_keys:
        changes["api_keys"] = tuple(args.api_keys)
    optional = {"models_path": args.models, "max_body_bytes": args.max_body_bytes,
                "source_root": args.source_root, "control_token": args.control_token,
                "random_seed": args.random_seed, "s3_endpoint_url": args.s3_endpoint_url}
    changes.update({key: value for key, value in optional.items() if value is not None})
    if args.allow_source_host:
        changes["allowed_source_hosts"] = frozenset(host.lower() for host in args.allow_source_host)
    if args.no_control:
        changes["control_enabled"] = False
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
    except SettingsError as exc:
        print(f"eigen-mock: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    return serve(args, settings)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .serving import configure_logging

    configure_logging(args.log_level)
    with _s3(args, settings) as settings:
        _announce(args, settings)
        if args.workers > 1:
            import os

            os.environ.update(settings.to_env())
            uvicorn.run("mock_server.app:create_app_from_env", factory=True, host=args.host, port=args.port,
                        workers=args.workers, access_log=False, log_level=args.log_level)
        else:
            from .app import create_app

            uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False,
                        log_level=args.log_level)
    return 0


@contextlib.contextmanager
def _s3(args: argparse.Namespace, settings: Settings) -> Iterator[Settings]:
    if args.no_s3:
        yield settings.replace(s3_endpoint_url=None)
        return
    if settings.s3_endpoint_url is not None:
        yield settings
        return
    from .embedded_s3 import EmbeddedS3

    with EmbeddedS3(bucket=args.s3_bucket) as s3:
        yield settings.replace(s3_endpoint_url=s3.endpoint_url)


def _announce(args: argparse.Namespace, settings: Settings) -> None:
    log = logging.getLogger("eigen_mock")
    log.info("eigen-mock listening on http://%s:%d (POST /api/v1/generate)", args.host, args.port)
    if settings.api_keys:
        log.info("API key: %s", settings.api_keys[0] if len(settings.api_keys) == 1 else "(several configured)")
    else:
        log.info("authentication is off")
    if settings.s3_endpoint_url:
        log.info("S3 endpoint: %s (bucket %s)", settings.s3_endpoint_url, args.s3_bucket)
