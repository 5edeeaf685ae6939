"""Configuration precedence and refusal to run production without a real secret."""

import pytest

from logbook.config import ConfigError, build_config


def test_defaults_then_environment_then_mapping(tmp_path):
    env = {"LOGBOOK_SESSION_LIFETIME_DAYS": "7", "LOGBOOK_DATABASE_URL": "sqlite:///env.db"}
    cfg = build_config(str(tmp_path), {"DATABASE_URL": "sqlite:///mapping.db"}, environ=env)
    assert cfg["SESSION_LIFETIME_DAYS"] == 7  # from the environment, parsed as a number
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "sqlite:///mapping.db"  # the mapping wins


def test_default_database_is_sqlite_in_instance_folder(tmp_path):
    cfg = build_config(str(tmp_path), None, environ={})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/logbook.sqlite3"
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["SESSION_COOKIE_SECURE"] is False  # development over plain http


@pytest.mark.parametrize("secret", [None, "", "short", "dev-only-insecure-secret-key"])
def test_production_refuses_weak_or_missing_secret(tmp_path, secret):
    env = {"LOGBOOK_ENV": "production"}
    if secret is not None:
        env["LOGBOOK_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(str(tmp_path), None, environ=env)


def test_production_with_real_secret_uses_secure_cookies(tmp_path):
    env = {"LOGBOOK_ENV": "production", "LOGBOOK_SECRET_KEY": "x" * 40}
    cfg = build_config(str(tmp_path), None, environ=env)
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_bad_typed_value_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="LOGBOOK_SESSION_LIFETIME_DAYS"):
        build_config(str(tmp_path), None, environ={"LOGBOOK_SESSION_LIFETIME_DAYS": "weeks"})


def test_unknown_environment_name_refused(tmp_path):
    with pytest.raises(ConfigError, match="ENV"):
        build_config(str(tmp_path), {"ENV": "staging"}, environ={})
