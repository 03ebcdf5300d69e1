"""Settings and the CLI's argument parsing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.cli import build_parser, main, settings_from_args
from mock_server.settings import Settings, SettingsError

tokens = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=20)


@given(
    keys=st.lists(tokens, max_size=3, unique=True),
    hosts=st.frozensets(tokens, max_size=3),
    limit=st.integers(min_value=1, max_value=2**40),
    seed=st.none() | st.integers(min_value=0, max_value=2**32),
    control=st.booleans(),
    threads=st.none() | st.integers(min_value=1, max_value=256),
)
def test_settings_survive_the_environment_round_trip(
    keys: list[str], hosts: frozenset[str], limit: int, seed: int | None, control: bool, threads: int | None
) -> None:
    settings = Settings(api_keys=tuple(keys), allowed_source_hosts=hosts, max_body_bytes=limit, random_seed=seed,
                        control_enabled=control, models_path=Path("/tmp/models.yaml"), s3_endpoint_url="http://h:1",
                        render_threads=threads)  # fmt: skip
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize(
    ("name", "value"),
    [("MAX_BODY_BYTES", "lots"), ("CONTROL", "maybe"), ("RANDOM_SEED", "1.5"), ("MAX_BODY_BYTES", "0")],
)
def test_bad_environment_values_are_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name if value != "0" else "positive"):
        Settings.from_env({f"EIGEN_MOCK_{name}": value})


def test_render_threads_must_be_at_least_one() -> None:
    with pytest.raises(SettingsError, match="render_threads"):
        Settings.from_env({"EIGEN_MOCK_RENDER_THREADS": "0"})


def test_environment_is_only_read_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EIGEN_MOCK_API_KEYS", "a,b")
    assert Settings().api_keys == ("eigen-mock-key",)
    assert Settings.from_env().api_keys == ("a", "b")


def test_cli_arguments_become_settings() -> None:
    args = build_parser().parse_args(
        ["serve", "--api-key", "k1", "--api-key", "k2", "--allow-source-host", "Images.Example.com",
         "--source-root", "/srv/img", "--no-control", "--random-seed", "7", "--max-body-bytes", "1000",
         "--render-threads", "3"]
    )
    settings = settings_from_args(args, Settings())
    assert settings.render_threads == 3
    assert settings.api_keys == ("k1", "k2")
    assert settings.allowed_source_hosts == frozenset({"images.example.com"})
    assert settings.source_root == Path("/srv/img")
    assert (settings.control_enabled, settings.random_seed, settings.max_body_bytes) == (False, 7, 1000)
    assert settings_from_args(build_parser().parse_args(["serve", "--no-auth"]), Settings()).api_keys == ()


def test_cli_rejects_a_bad_environment_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EIGEN_MOCK_MAX_BODY_BYTES", "huge")
    assert main(["serve"]) == 2
    assert "EIGEN_MOCK_MAX_BODY_BYTES" in capsys.readouterr().err


def test_cli_help_lists_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "mock_server", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "serve" in result.stdout and "check" in result.stdout
