"""`logbook export-portfolio`: the same document as the API, written to a file."""

from __future__ import annotations

import pytest

from logbook import cli
from tests.factories import make_entry, persist, sign
from tests.helpers import pdf_text


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


@pytest.mark.parametrize(
    ("fmt", "regulator", "heading"),
    [
        ("nmc", "NMC", "NMC revalidation pack"),
        ("swe", "SWE", "Social Work England CPD records"),
        ("teachers", "TEACHERS", "Teachers' Standards evidence"),
    ],
)
def test_export_regulator_formats(app, runner, me, practitioner, tmp_path, fmt, regulator, heading):
    from logbook.accounts.models import Registration

    persist(app, Registration(user_id=practitioner.id, regulator=regulator, profession="x"))
    make_entry(me, title="Recorded activity")
    out = tmp_path / f"{fmt}.pdf"
    result = runner.invoke(
        cli.main, ["export-portfolio", "--user", practitioner.email, "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert heading in pdf_text(out.read_bytes())


def test_progress_bar_runs_over_every_activity_and_stage(runner, me, practitioner, tmp_path, monkeypatch):
    import click

    for i in range(3):
        make_entry(me, title=f"Activity {i}")
    bars = []
    real = click.progressbar

    def spy(*args, **kwargs):
        bar = real(*args, **kwargs)
        bars.append(bar)
        return bar

    monkeypatch.setattr(click, "progressbar", spy)
    out = tmp_path / "p.pdf"
    result = runner.invoke(cli.main, ["export-portfolio", "--user", practitioner.email, "--out", str(out)])
    assert result.exit_code == 0, result.output
    [bar] = bars
    assert bar.length == 3 + 3  # three activities, then three rendering stages
    assert bar.pos == bar.length
    assert "Reading activities" in result.output  # the label, printed once when not on a terminal
    assert out.exists()

    bars.clear()
    result = runner.invoke(
        cli.main, ["export-portfolio", "--user", practitioner.email, "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert bars == []
