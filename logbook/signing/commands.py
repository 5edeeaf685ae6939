"""`logbook keys …` (the organisations' signing keys) and `logbook verify-pdf` (offline checks)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask

from logbook.config import KeyRing

# Imports inside the commands: start-up cost, as in logbook/cli.py (measured there).


def _app() -> Flask:
    """The app of this `logbook` run: the group (logbook/cli.py) puts its factory in the context."""
    return click.get_current_context().find_root().obj()


def _ring(app: Flask) -> KeyRing:
    """The app's key ring (made once per app from SIGNING_KEYS_DIR; logbook/config.py)."""
    return KeyRing.of(app)


def _organisation_exists(slug: str) -> bool:
    from sqlalchemy import select

    from logbook.accounts.models import Organisation
    from logbook.extensions import db

    return db.session.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None


@click.group("keys")
def keys_group() -> None:
    """The organisations' Ed25519 signing keys (kept in SIGNING_KEYS_DIR, never in the database)."""


@keys_group.command("create")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
def keys_create(slug: str) -> None:
    """Make the organisation's first signing key."""
    from logbook.signing import keys

    app = _app()
    ring = _ring(app)
    with app.app_context():
        if not _organisation_exists(slug):
            raise click.ClickException(f"No organisation has the slug {slug!r}.")
        try:
            record = keys.create_key(ring=ring, organisation=slug)
        except keys.KeyError_ as exc:
            raise click.ClickException(str(exc)) from exc
        folder = keys.keys_dir(ring)
    click.echo(f"Created key {record.kid} for {slug} in {folder}. Back up that folder.")


@keys_group.command("rotate")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
def keys_rotate(slug: str) -> None:
    """Give the organisation a new signing key; the old one is retired (its statements still verify)."""
    from logbook.signing import keys

    app = _app()
    with app.app_context():
        if not _organisation_exists(slug):
            raise click.ClickException(f"No organisation has the slug {slug!r}.")
        record = keys.rotate_key(ring=_ring(app), organisation=slug)
    click.echo(f"Created key {record.kid} for {slug}; earlier keys of {slug} are retired.")


@keys_group.command("compromise")
@click.argument("kid")
def keys_compromise(kid: str) -> None:
    """Mark a key compromised: every statement it signed becomes "cannot be confirmed"."""
    from logbook.signing import keys

    app = _app()
    with app.app_context():
        try:
            record = keys.compromise_key(ring=_ring(app), kid=kid)
        except keys.KeyError_ as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Key {record.kid} of {record.organisation} is marked compromised and its private key deleted. "
        f"Make a new one with: logbook keys create --organisation {record.organisation}"
    )


@keys_group.command("list")
def keys_list() -> None:
    """Every key: kid, organisation, status, when made; then the trusted keys of other organisations."""
    from logbook.signing import keys, trust

    ring = _ring(_app())
    records = keys.list_keys(ring=ring)
    trusted = trust.trusted_keys(ring=ring)
    if not records:
        click.echo("No signing keys yet.")
    for r in records:
        click.echo(f"{r.kid}  {r.organisation:<24} {r.status:<12} created {r.created_at}")
    for k in trusted:
        click.echo(
            f"{k['kid']}  {k['org']:<24} {k['status']:<12} (another organisation's, since {k['trusted_at']})"
        )


@keys_group.command("trust")
@click.argument("jwks_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "slug", default=None, help="Trust only this organisation's keys (its slug).")
def keys_trust(jwks_file: Path, slug: str | None) -> None:
    """Trust another organisation's public keys (its published JWKS, obtained from it directly):
    records imported from it then show their sign-offs as verified."""
    from logbook.signing import trust

    try:
        jwks = json.loads(jwks_file.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{jwks_file} is not JSON") from exc
    try:
        kids = trust.trust_keys(jwks, ring=_ring(_app()), organisation=slug, source=jwks_file.name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for kid in kids:
        click.echo(f"Trusted key {kid}.")


@keys_group.command("untrust")
@click.argument("kid")
def keys_untrust(kid: str) -> None:
    """Stop trusting another organisation's key."""
    from logbook.signing import keys, trust

    try:
        trust.untrust(kid, ring=_ring(_app()))
    except keys.KeyError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Key {kid} is no longer trusted.")


@keys_group.command("jwks")
def keys_jwks() -> None:
    """Print the public keys as published at /.well-known/jwks.json (for `verify-pdf --keys`)."""
    from logbook.signing import keys

    click.echo(json.dumps(keys.jwks(ring=_ring(_app())), indent=1))


@click.command("verify-pdf")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The published keys as a JWKS file (saved from /.well-known/jwks.json).",
)
def verify_pdf_command(pdf: Path, keys_file: Path) -> None:
    """Verify every sign-off in a portfolio PDF offline: a line per sign-off; exits 1 unless all are OK."""
    from logbook.signing import offline

    try:
        data = offline.read_portfolio_data(pdf)
        keys = offline.read_jwks(keys_file)
    except offline.PdfRefused as exc:
        raise click.ClickException(str(exc)) from exc
    lines = offline.verify_portfolio(data, keys)
    for line in lines:
        click.echo(str(line))
    failed = [line for line in lines if line.status != "OK"]
    click.echo(f"{len(lines)} sign-offs checked, {len(lines) - len(failed)} OK, {len(failed)} not OK.")
    if failed:
        raise SystemExit(1)
