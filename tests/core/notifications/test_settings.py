"""The [notifications] table of valvomo.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings


def write_config(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "valvomo.toml"
    path.write_text(f'[web]\nsecret = "{"s" * 40}"\n\n[notifications]\n{table}\n', "utf-8")
    return path


def test_settings_are_read_and_secrets_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VALVOMO_SMS_TOKEN", "from-env")
    config = write_config(tmp_path, 'sms_gateway_url = "https://sms.example/api"\npoll_seconds = 5')
    settings = load_settings(config).notifications
    assert settings.sms_gateway_url == "https://sms.example/api"
    assert settings.poll_seconds == 5.0
    assert settings.sms_token == "from-env"


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("smtp_prot = 25", "unknown setting 'smtp_prot'"),
        ('smtp_port = "25"', "smtp_port must be a whole number"),
        ("max_attempts = 0", "max_attempts must be at least 1"),
        ('smtp_starttls = "yes"', "smtp_starttls must be true or false"),
    ],
)
def test_invalid_settings_stop_start_up_with_a_clear_message(
    tmp_path: Path, table: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_settings(write_config(tmp_path, table))
