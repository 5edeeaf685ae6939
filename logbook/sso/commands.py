"""`logbook sso set|show|disable --organisation SLUG`: an organisation's single sign-on settings from
the command line, through the same service (validated, audited) as the API."""

from __future__ import annotations

import os

import click
from flask import Flask

# Imports inside the commands: start-up cost, as in logbook/cli.py (measured there).


def _app() -> Flask:
    """The app of this `logbook` run: the group (logbook/cli.py) puts its factory in the context."""
    return click.get_current_context().find_root().obj()


def _organisation(slug: str):
    from logbook.sso import service

    organisation = service.organisation_by_slug(slug)
    if organisation is None:
        raise click.ClickException(f"No organisation has the slug {slug!r}.")
    return organisation


def _describe(app: Flask, organisation, provider) -> None:
    base = str(app.config["PUBLIC_URL"]).rstrip("/")
    click.echo(f"organisation:      {organisation.slug}")
    if provider is None:
        click.echo("single sign-on:    off (password login only)")
        click.echo(f"redirect URI:      {base}/auth/oidc/callback (register it at the provider)")
        return
    present = "set" if os.environ.get(provider.client_secret_env) else "NOT SET on this machine"
    click.echo("single sign-on:    on")
    click.echo(f"issuer:            {provider.issuer}")
    click.echo(f"client id:         {provider.client_id}")
    click.echo(f"secret variable:   {provider.client_secret_env} ({present})")
    click.echo(f"email domains:     {', '.join(provider.email_domains)}")
    click.echo(f"just-in-time:      {'on' if provider.jit_enabled else 'off'}")
    click.echo(f"password login:    {'on' if provider.password_login else 'off'}")
    click.echo(f"redirect URI:      {base}/auth/oidc/callback (register it at the provider)")
    click.echo(f"sign-in link:      {base}/auth/oidc/login?organisation={organisation.slug}")


@click.group("sso")
def sso_group() -> None:
    """Single sign-on with the organisation's OpenID Connect provider (docs/sso.md)."""


@sso_group.command("set")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
@click.option("--issuer", required=True, help="The provider's issuer URL, as it names itself.")
@click.option("--client-id", required=True, help="The client (application) id the provider gave.")
@click.option(
    "--secret-env",
    required=True,
    help="The environment variable holding the client secret: LOGBOOK_OIDC_SECRET_<NAME>.",
)
@click.option("--domain", "domains", multiple=True, required=True, help="An email domain (repeat for more).")
@click.option("--jit/--no-jit", default=False, show_default=True, help="Create accounts at first sign-in.")
@click.option(
    "--password-login/--no-password-login", default=True, show_default=True, help="Allow password login too."
)
def sso_set(
    *,
    slug: str,
    issuer: str,
    client_id: str,
    secret_env: str,
    domains: tuple[str, ...],
    jit: bool,
    password_login: bool,
) -> None:
    """Set up (or change) the organisation's provider."""
    from marshmallow import ValidationError

    from logbook.errors import ValidationFailed
    from logbook.extensions import db
    from logbook.sso import service
    from logbook.sso.schemas import SsoSettingsInSchema
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        organisation = _organisation(slug)
        raw = {
            "issuer": issuer,
            "client_id": client_id,
            "client_secret_env": secret_env,
            "email_domains": list(domains),
            "jit_enabled": jit,
            "password_login": password_login,
        }
        try:
            data = SsoSettingsInSchema().load(raw)
            provider = service.save_provider(
                organisation=organisation,
                data=data,
                allow_http=app.config["ENV"] != "production",
                actor="cli",
                now=utcnow(),
            )
        except ValidationError as err:
            raise click.ClickException(f"Not saved: {err.messages}") from err
        except ValidationFailed as err:
            raise click.ClickException(f"Not saved: {err.fields}") from err
        db.session.commit()
        _describe(app, organisation, provider)


@sso_group.command("show")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
def sso_show(slug: str) -> None:
    """Show the organisation's provider settings (never the secret)."""
    from logbook.sso import service

    app = _app()
    with app.app_context():
        organisation = _organisation(slug)
        _describe(app, organisation, service.provider_for(organisation.id))


@sso_group.command("disable")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
def sso_disable(slug: str) -> None:
    """Switch single sign-on off (password login works again for everybody)."""
    from logbook.errors import NotFound
    from logbook.extensions import db
    from logbook.sso import service
    from logbook.timeutil import utcnow

    with _app().app_context():
        organisation = _organisation(slug)
        try:
            service.disable_provider(organisation=organisation, actor="cli", now=utcnow())
        except NotFound as err:
            raise click.ClickException(err.message) from err
        db.session.commit()
    click.echo(f"Single sign-on is off for {slug}; password login works again.")
