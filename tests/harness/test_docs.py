"""The README's "Check your own server" section matches the suite: every check listed, the profile example loads."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from contract_tests.engine.registry import CHECKS
from contract_tests.profile import Profile
from contract_tests.resources import bundled

ROOT = Path(__file__).resolve().parents[2]


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_readme_lists_every_check() -> None:
    listed = set(re.findall(r"^\| `([a-z0-9_]+)`", section("Check your own server"), flags=re.MULTILINE))
    listed |= set(re.findall(r", `([a-z0-9_]+)` \|", section("Check your own server")))
    assert listed == set(CHECKS)


def test_the_readme_profile_example_loads(tmp_path: Path) -> None:
    example = re.search(r"```yaml\n(.*?)```", section("Check your own server"), flags=re.DOTALL)
    assert example is not None
    shutil.copy(bundled("fixtures/models.yaml"), tmp_path / "my-models.yaml")
    profile = Profile.from_document(yaml.safe_load(example.group(1)), base=tmp_path)
    assert profile.library.models() == ["eigen-image"]
    assert set(profile.skip) <= set(CHECKS)
    assert not profile.s3
