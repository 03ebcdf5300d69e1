"""Settings, CLI and layering for the client-testing features."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.cli import build_parser, main, settings_from_args
from mock_server.settings import Settings, SettingsError


def test_new_settings_survive_the_environment_round_trip(tmp_path: Path) -> None:
    settings = Settings(
        journal_size=10,
        thumbnails=0,
        state_dir=tmp_path,
        rate_limit=3,
        rate_limit_window=2.5,
        replay_dir=tmp_path / "c",
        replay_strict=True,
        proxy_target="http://h:1",
        record_dir=tmp_path / "r",
    )
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize(
    "changes",
    [{"record_dir": Path("x")}, {"rate_limit": 0}, {"rate_limit_window": 0}, {"journal_size": -1}],
)
def test_settings_that_cannot_work_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        Settings(**changes)  # type: ignore[arg-type]


def test_the_commands_become_settings() -> None:
    parse = build_parser().parse_args
    served = settings_from_args(
        parse(
            [
                "serve",
                "--replay",
                "c",
                "--replay-strict",
                "--rate-limit",
                "3",
                "--rate-limit-window",
                "9",
                "--journal-size",
                "10",
                "--state-dir",
                "s",
            ]
        ),
        Settings(),
    )
    assert (served.replay_dir, served.replay_strict, served.rate_limit) == (Path("c"), True, 3)
    assert (served.rate_limit_window, served.journal_size, served.state_dir) == (9.0, 10, Path("s"))
    recorded = settings_from_args(parse(["record", "--target", "http://t", "--cassette", "k"]), Settings())
    assert (recorded.proxy_target, recorded.record_dir) == ("http://t", Path("k"))
    proxied = settings_from_args(parse(["proxy", "--target", "http://t", "--control-token", "c"]), Settings())
    assert (proxied.proxy_target, proxied.record_dir, proxied.control_token) == ("http://t", None, "c")


def test_a_missing_cassette_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--no-s3", "--replay", str(tmp_path / "none"), "--port", "1"]) == 2
    assert "is not a cassette" in capsys.readouterr().err
