"""Where `grader submit` finds the server and the token: options, then the environment, then the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.client import client_config
from grader.errors import ServiceError


def test_options_win_then_environment_then_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('server = "http://file:1/"\ntoken = "from-file"\n')
    monkeypatch.delenv("GRADER_SERVER", raising=False)
    monkeypatch.delenv("GRADER_TOKEN", raising=False)
    assert client_config(None, None, config) == ("http://file:1", "from-file")
    monkeypatch.setenv("GRADER_SERVER", "http://env:2")
    monkeypatch.setenv("GRADER_TOKEN", "from-env")
    assert client_config(None, None, config) == ("http://env:2", "from-env")
    assert client_config("http://option:3", "from-option", config) == ("http://option:3", "from-option")


def test_no_token_anywhere_says_where_to_put_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADER_TOKEN", raising=False)
    with pytest.raises(ServiceError, match="no token: pass --token, set GRADER_TOKEN"):
        client_config(None, None, tmp_path / "absent.toml")


def test_a_broken_config_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADER_TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text("server = ")
    with pytest.raises(ServiceError, match="cannot read .*config.toml"):
        client_config(None, None, config)
