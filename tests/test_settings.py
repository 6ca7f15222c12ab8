"""Every setting is read from the environment, documented, and a bad value stops start-up plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import documented_settings, load_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize(("env", "default", "why"), documented_settings(), ids=lambda v: str(v)[:40])
def test_every_setting_is_in_the_readme_table_with_its_reason(env, default, why):
    assert why.strip()
    assert any(line.startswith(f"| `{env}`") for line in README.splitlines()), f"{env} missing from README"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HELPLINE_CALLBACK_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("HELPLINE_SEND_RETRY_SECONDS", "1, 5,30")
    monkeypatch.setenv("PORT", "5101")
    monkeypatch.setenv("HELPLINE_VAR_DIR", "/srv/helpline-var")
    settings = load_settings()
    assert settings.callback_max_attempts == 5
    assert settings.send_retry_seconds == (1, 5, 30)
    assert settings.port == 5101
    assert settings.var_dir == Path("/srv/helpline-var")


def test_an_empty_variable_keeps_the_default(monkeypatch):
    monkeypatch.setenv("HELPLINE_RETENTION_DAYS", "")
    assert load_settings().retention_days == 30


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("HELPLINE_RETENTION_DAYS", "thirty")
    with pytest.raises(SystemExit, match="HELPLINE_RETENTION_DAYS"):
        load_settings()
