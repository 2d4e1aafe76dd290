"""The browser tests' Chromium: used when there, installed by root when missing, else none."""

from pathlib import Path

import pytest

from tests.browser import chromium


def test_an_installed_chromium_is_used_as_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed = tmp_path / "chromium"
    installed.touch()
    monkeypatch.setattr(chromium, "CHROMIUM", installed)
    monkeypatch.setattr(chromium, "_apt_get", lambda *args: pytest.fail("apt-get was run"))
    assert chromium.ensure_chromium() == installed


def test_root_installs_a_missing_chromium_with_apt_get(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "chromium"
    commands: list[tuple[str, ...]] = []

    def apt_get(*args: str) -> bool:
        commands.append(args)
        if args[0] == "install" and ("update",) in commands:
            missing.touch()
            return True
        return False  # the first install: no package lists yet

    monkeypatch.setattr(chromium, "CHROMIUM", missing)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(chromium, "_apt_get", apt_get)
    assert chromium.ensure_chromium() == missing
    assert commands == [("install", "-y", "chromium"), ("update",), ("install", "-y", "chromium")]


def test_without_root_a_missing_chromium_is_none_and_the_message_says_how(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(chromium, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert chromium.ensure_chromium() is None
    assert "apt-get install -y chromium" in chromium.HOW_TO_INSTALL
