"""`logbook export-portfolio`: the same document as the API, written to a file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from logbook import cli
from tests.portfolio.conftest import pdf_text, sign
from tests.supervision.conftest import make_entry


@pytest.fixture
def runner(app, monkeypatch):
    """A CLI runner whose commands use the test's app and database."""
    monkeypatch.setattr(cli, "_app", lambda: app)
    return CliRunner()


def test_export_generic(runner, me, boss, supervisor, practitioner, tmp_path):
    sign(me, boss, make_entry(me, title="Signed study day"), supervisor.id)
    out = tmp_path / "p.pdf"
    result = runner.invoke(cli.main, ["export-portfolio", "--user", practitioner.email, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Signed study day" in text
    assert "Verification code" in text


def test_export_hcpc_reports_field_errors(runner, practitioner, tmp_path):
    out = tmp_path / "p.pdf"
    result = runner.invoke(
        cli.main, ["export-portfolio", "--user", practitioner.email, "--format", "hcpc", "--out", str(out)]
    )
    assert result.exit_code != 0
    assert "summary" in result.output
    assert not out.exists()


def test_unknown_user(runner, tmp_path):
    result = runner.invoke(
        cli.main, ["export-portfolio", "--user", "nobody@x.example", "--out", str(tmp_path / "p")]
    )
    assert result.exit_code != 0
    assert "No user" in result.output
