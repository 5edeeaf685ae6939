"""`logbook export-record` and `logbook import-record`: a practitioner's full record, moved by file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from logbook.config import KeyRing

# Imports inside the commands: start-up cost, as in logbook/cli.py (measured there).


def _app() -> Flask:
    """The app of this `logbook` run: the group (logbook/cli.py) puts its factory in the context."""
    return click.get_current_context().find_root().obj()


@click.command("export-record")
@click.option("--user", "email", required=True, help="Email of the person whose record to export.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="ZIP to write.")
def export_record_command(email: str, out: Path) -> None:
    """Export a person's whole record (entries, versions, evidence, sign-offs, supervision) as a ZIP."""
    from logbook.errors import DomainError
    from logbook.exports import record
    from logbook.extensions import db
    from logbook.portfolio.service import get_user_by_email
    from logbook.storage import evidence_store
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        try:
            user = get_user_by_email(email=email)
            data = record.export_record(user=user, now=utcnow(), store=evidence_store(), ring=KeyRing.of(app))
        except DomainError as err:
            raise click.ClickException(err.message) from err
        finally:
            db.session.rollback()
    out.write_bytes(data)
    click.echo(f"Wrote {out} ({len(data):,} bytes).")


@click.command("import-record")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "org_slug", required=True, help="Slug of the organisation importing it.")
@click.option("--email", required=True, help="The person's account in that organisation.")
def import_record_command(archive: Path, org_slug: str, email: str) -> None:
    """Import a record exported from another logbook into a person's account (dates, versions and
    sign-offs kept as "imported, not verified")."""
    from sqlalchemy import select

    from logbook.accounts.models import Organisation, User
    from logbook.errors import DomainError
    from logbook.exports import record
    from logbook.extensions import db
    from logbook.storage import evidence_store
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
        if org is None:
            raise click.ClickException(f"No organisation with slug {org_slug!r}.")
        user = db.session.scalar(
            select(User).where(User.email == email.strip().lower(), User.organisation_id == org.id)
        )
        if user is None:
            raise click.ClickException(f"No account {email!r} in {org_slug}; create it first (create-user).")
        try:
            summary = record.import_record(
                user=user,
                data=archive.read_bytes(),
                store=evidence_store(),
                now=utcnow(),
                ring=KeyRing.of(app),
                limits=record.limits_from(app.config),
            )
        except DomainError as err:
            db.session.rollback()
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in err.fields.items())
            raise click.ClickException(f"{err.message}{' (' + detail + ')' if detail else ''}") from err
        db.session.commit()
    click.echo(
        f"Imported from {summary['source_organisation']}: {summary['entries']} entries, "
        f"{summary['sign_offs']} sign-offs ({summary['sign_offs_not_verified']} imported, not verified), "
        f"{summary['evidence_files']} evidence files, "
        f"{summary['supervision_sessions']} supervision sessions, "
        f"{summary['registration_proposals']} registrations proposed for an org admin to confirm."
    )
