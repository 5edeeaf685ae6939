"""Configuration precedence and refusal to run production without a real secret."""

import os

import pytest

from logbook.config import DEV_PUBLIC_URL, ConfigError, build_config

PUBLIC = "https://cpd.example.org"


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
    env = {"LOGBOOK_ENV": "production", "LOGBOOK_SECRET_KEY": "x" * 40, "LOGBOOK_PUBLIC_URL": PUBLIC}
    cfg = build_config(str(tmp_path), None, environ=env)
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_bad_typed_value_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="LOGBOOK_SESSION_LIFETIME_DAYS"):
        build_config(str(tmp_path), None, environ={"LOGBOOK_SESSION_LIFETIME_DAYS": "weeks"})


def test_unknown_environment_name_refused(tmp_path):
    with pytest.raises(ConfigError, match="ENV"):
        build_config(str(tmp_path), {"ENV": "staging"}, environ={})


def test_fast_password_hashing_is_refused_in_production(tmp_path):
    env = {"LOGBOOK_ENV": "production", "LOGBOOK_SECRET_KEY": "s" * 40, "LOGBOOK_PUBLIC_URL": PUBLIC}
    with pytest.raises(ConfigError, match="LOGBOOK_PASSWORD_HASHING"):
        build_config(str(tmp_path), None, environ={**env, "LOGBOOK_PASSWORD_HASHING": "fast-for-tests"})
    assert build_config(str(tmp_path), None, environ=env)["ENV"] == "production"


def test_standard_password_hashing_is_the_default():
    """Without the test suite's setting, hashes use argon2's recommended parameters."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "LOGBOOK_PASSWORD_HASHING"}
    code = "from logbook.accounts import passwords as p; print(p.PROFILE, p.hash_password('x' * 12)[:30])"
    out = subprocess.run(  # noqa: S603 - a fixed command line: this interpreter, a literal program
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("standard $argon2id$v=19$m=65536,t=3,p=4")


def test_production_refuses_to_start_without_public_url(tmp_path):
    """Every emailed, printed and scanned link is built from LOGBOOK_PUBLIC_URL (never from the
    request's Host), so production cannot run without it."""
    env = {"LOGBOOK_ENV": "production", "LOGBOOK_SECRET_KEY": "s" * 40}
    with pytest.raises(ConfigError, match="LOGBOOK_PUBLIC_URL"):
        build_config(str(tmp_path), None, environ=env)
    with pytest.raises(ConfigError, match="LOGBOOK_PUBLIC_URL"):
        build_config(str(tmp_path), None, environ={**env, "LOGBOOK_PUBLIC_URL": ""})
    cfg = build_config(str(tmp_path), None, environ={**env, "LOGBOOK_PUBLIC_URL": PUBLIC + "/"})
    assert cfg["PUBLIC_URL"] == PUBLIC  # stored without the trailing slash


@pytest.mark.parametrize(
    "url",
    [
        "cpd.example.org",  # no scheme
        "ftp://cpd.example.org",
        "javascript:alert(1)",
        "https://",  # no host
        "https:///path-only",
        "https://user:pw@cpd.example.org",  # credentials would be mailed to everyone
        "https://cpd.example.org/?next=x",
        "https://cpd.example.org/#frag",
        "https://cpd.example.org:99999",  # a port that cannot exist
    ],
)
def test_public_url_must_be_an_http_url_with_a_host(tmp_path, url):
    for env_name in ("production", "development"):
        env = {"LOGBOOK_ENV": env_name, "LOGBOOK_SECRET_KEY": "s" * 40, "LOGBOOK_PUBLIC_URL": url}
        with pytest.raises(ConfigError, match="LOGBOOK_PUBLIC_URL"):
            build_config(str(tmp_path), None, environ=env)


def test_public_url_outside_production_defaults_to_the_dev_server(tmp_path):
    assert build_config(str(tmp_path), None, environ={})["PUBLIC_URL"] == DEV_PUBLIC_URL == "http://127.0.0.1:5000"
    cfg = build_config(str(tmp_path), None, environ={"LOGBOOK_PUBLIC_URL": "http://10.0.0.5:8080/cpd/"})
    assert cfg["PUBLIC_URL"] == "http://10.0.0.5:8080/cpd"  # a sub-path is kept


def test_every_setting_is_in_the_readme_configuration_table():
    """A setting a maintainer cannot find is a setting nobody changes safely: each key of DEFAULTS is
    a row (`LOGBOOK_<KEY>`) of the README's configuration table."""
    import re
    from pathlib import Path

    from logbook.config import DEFAULTS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `LOGBOOK_")]
    documented = {key for row in rows for key in re.findall(r"`LOGBOOK_([A-Z0-9_]+)`", row.split("|")[1])}
    assert sorted(set(DEFAULTS) - documented) == []
