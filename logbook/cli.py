"""The `logbook` command (README, "Command line"): every command calls the same services as the API,
reads the settings they need from the app's configuration and passes them in, and commits.

- `serve` (development server, or gunicorn with --prod), `init-db` (migrate to the latest schema);
- `demo` (the demo organisation, or `--scale N` a large generated one), `create-user`,
  `import-roles`, `import-framework`;
- `import-staff` (staff onboarding from CSV or XLSX), `assign-supervisor`, `supervisors`,
  `end-supervision` (supervisor assignments; docs/onboarding.md);
- `insights-refresh` (daily), `notifications run` (reminders and pending emails, from cron);
- `audit verify` (the audit chain and every sign-off);
- `credentials recheck` (revoke issued credentials whose sign-off no longer verifies; from cron);
- `keys create|rotate|compromise|list|jwks|trust|untrust` (signing keys, logbook/signing/commands.py),
  `verify-pdf` (a portfolio PDF's sign-offs, offline);
- `export-portfolio`, `export-record`, `import-record` (logbook/exports/commands.py);
- `backup`, `restore` (logbook/backup.py);
- `sso set|show|disable` (single sign-on settings, logbook/sso/commands.py).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from logbook.config import KeyRing  # light (the standard library only): the app's signing keys

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

# Each command imports what it needs when it runs (ruff's PLC0415 is off for that): start-up cost,
# measured 2026-12-05 (2 shared cores): `import logbook.cli` takes 0.2-0.3 s, with the app and the
# services the commands use 2.9-3.8 s, which every `logbook --help` and cron run would pay.


def _app() -> Flask:
    from logbook.app import create_app

    return create_app()


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """CPD Logbook administration."""
    # Commands defined in other packages (exports/commands.py, signing/commands.py) make their app
    # through this, so they need not import this module (tests replace `_app` before invoking).
    ctx.obj = _app


# gunicorn's default access-log line without the query string (%(U)s, the path, for %(r)s, the
# request line): single sign-on's callback carries the authorisation code and state in its query,
# and nothing of a sign-in is logged (docs/sso.md).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--prod", is_flag=True, help="Run under gunicorn (production-grade server).")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="gunicorn workers (--prod); default: two per CPU core (docs/operations.md).",
)
def serve(host: str, port: int, prod: bool, workers: int | None) -> None:
    """Serve the app (development server, or gunicorn with --prod)."""
    if prod:
        workers = workers or 2 * (os.cpu_count() or 1)
        _check_shared_rate_limits(workers)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        args = [
            str(gunicorn),
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "logbook.wsgi:app",
        ]
        os.execv(args[0], args)  # noqa: S606 - replaces this process with gunicorn, fixed arguments  # nosec B606
    app = _app()
    click.echo(f"CPD Logbook on http://{host}:{port}/  (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


def _check_shared_rate_limits(workers: int) -> None:
    """Refuse per-process rate-limit counters with several workers: each worker would count on its
    own, and every documented limit would be multiplied by the number of workers (docs/security.md)."""
    from logbook.config import ConfigError, build_config

    try:
        uri = str(build_config(str(Path.cwd() / "instance"), None)["RATELIMIT_STORAGE_URI"])
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    if workers > 1 and uri.split(":", 1)[0].lower() in {"memory", "async+memory"}:
        raise click.ClickException(
            f"LOGBOOK_RATELIMIT_STORAGE_URI={uri} counts rate limits in each worker's memory, so with "
            f"{workers} workers every limit would allow up to {workers} times its number. Use the "
            "database (database://, the default) or Redis (redis://host:6379/0), or --workers 1."
        )


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from flask_migrate import upgrade

    from logbook.extensions import db
    from logbook.frameworks.service import load_shipped_frameworks

    app = _app()
    with app.app_context():
        upgrade()
        loaded = load_shipped_frameworks()
        db.session.commit()
    click.echo("Database is at the latest schema.")
    click.echo(f"Shipped frameworks: {loaded['files']} files, {loaded['added']} new versions stored.")


@main.command()
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=None,
    help="Instead: generate a large organisation of this many practitioners (insights, benchmarks).",
)
@click.option(
    "--entries-each", type=click.IntRange(min=1), default=60, show_default=True, help="With --scale."
)
@click.option(
    "--seed", type=int, default=9, show_default=True, help="With --scale: same seed, same organisation."
)
def demo(scale: int | None, entries_each: int, seed: int) -> None:
    """Create (or refresh) the demo organisation; safe to run more than once."""
    from logbook.demo import build_demo
    from logbook.extensions import db

    if scale is not None:
        _scale_demo(scale, entries_each, seed)
        return
    app = _app()
    # What is loaded by now (the app, its modules, SQLAlchemy's mappers) lives until the command
    # ends: moved out of the collector's generations, it is not walked again by every full collection
    # the demo's tens of thousands of new objects set off (5-10 % of the demo's CPU time, issue 24).
    gc.freeze()
    with app.app_context():
        logins = build_demo(ring=KeyRing.of(app))
        db.session.commit()
    click.echo("Demo organisation ready. Logins (all share the same password):")
    for email, label in logins["people"]:
        click.echo(f"  {email:42} {label}")
    click.echo(f"Password: {logins['password']}")


def _scale_demo(people: int, entries_each: int, seed: int) -> None:
    """`logbook demo --scale N`: bulk-generate a large organisation (see logbook/demo/scale.py)."""
    import datetime as dt
    import time

    from logbook.demo.scale import analyse, build_scale_demo
    from logbook.errors import DomainError
    from logbook.extensions import db
    from logbook.insights.precompute import refresh_compliance
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        started = time.perf_counter()
        try:
            made = build_scale_demo(
                people=people,
                entries_each=entries_each,
                seed=seed,
                today=dt.date.today(),  # noqa: DTZ011 - the demo follows the local calendar
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        analyse()
        db.session.commit()
        # The compliance view reads precomputed statuses: work them out now, as the daily refresh would.
        refresh_compliance(
            organisation_id=made["organisation_id"], today=utcnow().date(), ring=KeyRing.of(app)
        )
        db.session.commit()
    click.echo(
        f"{made['organisation']}: {made['people']:,} practitioners in {made['teams']:,} teams "
        f"across {made['job_roles']} job roles, {made['registrations']:,} registrations, "
        f"{made['supervision_links']:,} supervision links with {made['supervision_sessions']:,} sessions, "
        f"{made['entries']:,} entries ({time.perf_counter() - started:.1f} s)."
    )
    click.echo(f"Org admin: {made['admin_email']}   team manager: {made['manager_email']}")
    click.echo(f"Password: {made['password']}")


@main.command("insights-refresh")
def insights_refresh() -> None:
    """Work out every registrant's compliance status for the insights views (run daily)."""
    from logbook.extensions import db
    from logbook.insights.precompute import refresh_all
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        people = refresh_all(today=utcnow().date(), ring=KeyRing.of(app))  # the day the API counts from
        db.session.commit()
    click.echo(f"Insights: compliance worked out for {people:,} registrants.")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation", "org_slug", required=True, help="Organisation slug (created if missing).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=["practitioner"],
    show_default=True,
    type=click.Choice(["practitioner", "supervisor", "team_manager", "org_admin"]),
)
@click.password_option()
def create_user(email: str, name: str, org_slug: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user (e.g. the first org admin)."""
    from logbook.accounts import service
    from logbook.errors import DomainError
    from logbook.extensions import db

    app = _app()
    with app.app_context():
        org = service.get_or_create_organisation(name=org_slug.replace("-", " ").title(), slug=org_slug)
        try:
            user = service.create_user(
                organisation_id=org.id,
                data={"email": email, "name": name, "password": password, "roles": list(roles)},
            )
        except DomainError as err:
            db.session.rollback()
            for field, reasons in err.fields.items():
                click.echo(f"{field}: {'; '.join(reasons)}", err=True)
            raise click.ClickException(err.message) from err
        db.session.commit()
        click.echo(f"Created {user.email} in {org.slug} with roles {', '.join(user.roles)}.")


@main.command("import-framework")
@click.argument("framework_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--organisation", "org_slug", default=None, help="Organisation slug (default: for every organisation)."
)
def import_framework(framework_file: Path, org_slug: str | None) -> None:
    """Add a framework file (YAML, see docs/frameworks.md): all of it or nothing."""
    from sqlalchemy import select

    from logbook.accounts.models import Organisation
    from logbook.errors import DomainError
    from logbook.extensions import db
    from logbook.frameworks.definition import FrameworkFileError
    from logbook.frameworks.service import import_framework as import_file

    app = _app()
    with app.app_context():
        org_id = None
        if org_slug:
            org = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
            if org is None:
                raise click.ClickException(f"No organisation with slug {org_slug!r}.")
            org_id = org.id
        try:
            row = import_file(
                text=framework_file.read_text(encoding="utf-8"),
                filename=framework_file.name,
                organisation_id=org_id,
            )
        except FrameworkFileError as err:
            db.session.rollback()
            for problem in err.problems:
                click.echo(
                    f"{framework_file}:{problem.line or 0}: {problem.path or '-'}: {problem.reason}", err=True
                )
            raise click.ClickException(f"{framework_file.name} was not imported; nothing changed.") from err
        except DomainError as err:
            db.session.rollback()
            raise click.ClickException(err.message) from err
        db.session.commit()
        click.echo(
            f"Imported {row.framework_id} version {row.version} ({row.name}) for {org_slug or 'everyone'}."
        )


@main.command("import-roles")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "org_slug", required=True, help="Organisation slug.")
def import_roles(csv_file: Path, org_slug: str) -> None:
    """Import job roles from a CSV file (job_role, service_area, profession, registration_framework)."""
    from sqlalchemy import select

    from logbook.accounts import service
    from logbook.accounts.models import Organisation
    from logbook.errors import DomainError
    from logbook.extensions import db

    app = _app()
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
        if org is None:
            raise click.ClickException(f"No organisation with slug {org_slug!r}.")
        try:
            result = service.import_job_roles_csv(
                organisation_id=org.id, text=csv_file.read_text(encoding="utf-8-sig")
            )
        except DomainError as err:
            db.session.rollback()
            for field, reasons in err.fields.items():
                click.echo(f"{csv_file.name} {field}: {'; '.join(reasons)}", err=True)
            raise click.ClickException(err.message) from err
        db.session.commit()
        click.echo(f"Imported job roles: {result['created']} created, {result['updated']} updated.")


@main.group()
def audit() -> None:
    """The tamper-evident audit trail of sign-offs."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the whole audit chain, every sign-off and every signed entry; name the first broken link."""
    from logbook.extensions import db
    from logbook.supervision.signoff import verify_everything

    app = _app()
    with app.app_context():
        report = verify_everything(ring=KeyRing.of(app))
        db.session.rollback()
    chain = report.chain
    if chain.is_ok:
        click.echo(f"Audit chain intact: {chain.checked} events, head {chain.head}.")
    else:
        click.echo(f"Audit chain BROKEN at event {chain.broken_seq}: {chain.reason}.", err=True)
    for problem in report.problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    click.echo(f"Checked {report.sign_offs_checked} sign-offs on {report.entries_checked} entries.")
    if report.unsigned:
        click.echo(
            f"{report.unsigned} sign-offs have no signed statement (recorded before signatures, or "
            "imported unverified): they never show as valid."
        )
    if not report.is_ok:
        raise SystemExit(1)


@main.group()
def credentials() -> None:
    """Issued Open Badges 3.0 credentials (docs/record-format.md)."""


@credentials.command("recheck")
def credentials_recheck() -> None:
    """Revoke every issued credential whose sign-off no longer verifies or whose event was cancelled
    (its bit is set in the organisation's status list). Run from cron, and after `keys compromise`."""
    from logbook.credentials.service import recheck_revocations
    from logbook.extensions import db
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        revoked = recheck_revocations(now=utcnow(), ring=KeyRing.of(app))
        db.session.commit()
    click.echo(f"Credentials: {revoked:,} revoked.")


@main.group()
def notifications() -> None:
    """Reminders and notification emails."""


@notifications.command("run")
def notifications_run() -> None:
    """Create today's reminders and send pending notification emails (run from cron, e.g. hourly)."""
    from flask import current_app

    from logbook import reminders
    from logbook.extensions import db
    from logbook.notifications import service
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        now = utcnow()
        made = reminders.run_schedule(
            today=now.date(),
            now=now,
            default_supervision_days=current_app.config["SUPERVISION_DEFAULT_FREQUENCY_DAYS"],
            ring=KeyRing.of(app),
        )
        db.session.commit()
        from logbook.urls import public_url

        sent = service.deliver_email(now=now, base_url=public_url())
        db.session.commit()
    click.echo(f"Reminders created: {made}. Emails sent: {sent}.")


class _ProgressBar:
    """`logbook export-portfolio`'s progress: one bar over every activity read, then the three
    rendering stages (made on the first report, when the number of activities is known)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: ProgressBar[int] | None = None
        self.done = 0

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.render_finish()

    def update(self, stage: str, done: int, total: int) -> None:
        """A progress report from the portfolio builder or renderer: (stage, done, total)."""
        from logbook.portfolio.render import RENDER_STAGES

        if not self.enabled:
            return
        if self.bar is None:
            length = (0 if stage in RENDER_STAGES else total) + len(RENDER_STAGES)
            self.bar = click.progressbar(length=length, label=stage, show_pos=True, file=sys.stderr)
        self.bar.label = stage
        self.bar.update(1)


@main.command("export-portfolio")
@click.option("--user", "email", required=True, help="Email of the person whose portfolio to print.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["generic", "hcpc", "nmc", "swe", "teachers"]),
    default="generic",
    show_default=True,
    help="generic, hcpc (CPD profile), nmc (revalidation pack), swe (CPD records), teachers (standards).",
)
@click.option(
    "--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: two years ago)."
)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--include-reflections", is_flag=True, help="Include private reflective writing.")
@click.option(
    "--summary-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="HCPC summary."
)
@click.option(
    "--statement-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="HCPC statement."
)
@click.option("--choose", "chosen", multiple=True, help="HCPC: an entry id to feature (4 to 6 times).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-progress", is_flag=True, help="No progress bar (for scripts).")
def export_portfolio(
    *,
    no_progress: bool,
    email: str,
    fmt: str,
    date_from,
    date_to,
    include_reflections: bool,
    summary_file: Path | None,
    statement_file: Path | None,
    chosen: tuple[str, ...],
    out: Path,
) -> None:
    """Print one person's portfolio to a PDF file (the same document as POST /api/v1/portfolio)."""
    import uuid

    from logbook.errors import DomainError
    from logbook.extensions import db
    from logbook.portfolio import documents, render, service
    from logbook.timeutil import utcnow

    app = _app()
    bar = _ProgressBar(enabled=not no_progress)
    with app.app_context(), bar:
        try:
            owner = service.get_user_by_email(email=email)
            from logbook.urls import public_url

            context = documents.build_document(
                owner=owner,
                verify_url=public_url("/verify"),
                now=utcnow(),
                format=fmt,
                date_from=date_from.date() if date_from else None,
                date_to=date_to.date() if date_to else None,
                include_reflections=include_reflections,
                summary=summary_file.read_text(encoding="utf-8") if summary_file else "",
                statement=statement_file.read_text(encoding="utf-8") if statement_file else "",
                chosen_entry_ids=[uuid.UUID(c) for c in chosen],
                progress=bar.update,
                ring=KeyRing.of(app),
            )
            pdf = render.render_pdf(context, progress=bar.update)
        except (DomainError, ValueError) as err:
            db.session.rollback()
            fields = getattr(err, "fields", {})
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
            raise click.ClickException(f"{err}{' (' + detail + ')' if detail else ''}") from err
        out.write_bytes(pdf)
        db.session.commit()  # the verification codes printed in the file
    click.echo(f"Wrote {out} ({len(pdf):,} bytes, {len(context['entries'])} activities).")


@main.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def backup(out: Path) -> None:
    """Back up the database and every evidence file to one file, with checksums (safe while serving)."""
    from logbook.backup import BackupError, create_backup

    try:
        report = create_backup(_app(), out)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"Wrote {out}: {report.manifest['engine']} database ({report.rows} rows), "
        f"{report.evidence_files} evidence files, schema {report.manifest['schema_revision']}."
    )


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an instance that already holds data.")
def restore(archive: Path, force: bool) -> None:
    """Restore a backup into an empty instance (stop the app first); checks every checksum first."""
    from logbook.backup import BackupError, restore_backup

    try:
        report = restore_backup(_app(), archive, force=force)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"Restored {archive}: {report.rows} rows, {report.evidence_files} evidence files, "
        f"schema {report.manifest['schema_revision']}."
    )
    click.echo(
        "Next: `logbook init-db` (brings an older backup up to this version's schema), then raise "
        "LOGBOOK_SYNC_EPOCH by one so every device pulls again from the start."
    )


# --- staff onboarding and supervisor assignments (docs/onboarding.md) ---------------------------


def _organisation(slug: str | None):
    """The organisation named, or the only one there is."""
    from sqlalchemy import select

    from logbook.accounts.models import Organisation
    from logbook.extensions import db

    if slug:
        org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            raise click.ClickException(f"No organisation with slug {slug!r}.")
        return org
    orgs = list(db.session.scalars(select(Organisation).limit(2)))
    if len(orgs) != 1:
        raise click.ClickException("Name the organisation: --organisation SLUG.")
    return orgs[0]


def _fail(err) -> click.ClickException:
    detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in err.fields.items())
    return click.ClickException(f"{err.message}{' (' + detail + ')' if detail else ''}")


class _RowsBar:
    """`logbook import-staff`'s progress: one bar per stage, over the file's rows."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: ProgressBar[int] | None = None
        self.stage = ""

    def update(self, stage: str, done: int, total: int) -> None:
        """A report from the import: (stage, rows done, rows in all)."""
        if not self.enabled:
            return
        if stage != self.stage:
            if self.bar is not None:
                self.bar.render_finish()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=f"{stage:<30}", show_pos=True, file=sys.stderr)
        if self.bar is not None:
            self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        """Finish the last bar's line."""
        if self.bar is not None:
            self.bar.render_finish()


@main.command("import-staff")
@click.argument("staff_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "org_slug", default=None, help="Organisation slug (default: the only one).")
@click.option("--apply", "do_apply", is_flag=True, help="Write it (all rows or none); without: preview only.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_staff(staff_file: Path, org_slug: str | None, do_apply: bool, quiet: bool) -> None:
    """Onboard staff from a CSV or XLSX file (docs/onboarding.md): preview every row's result, or
    --apply it. Exits 1 if a row has a problem (nothing written)."""
    import datetime as dt

    from logbook.errors import DomainError
    from logbook.exports import staff_import
    from logbook.extensions import db
    from logbook.mail import mailer
    from logbook.sso import service as sso_service
    from logbook.timeutil import utcnow
    from logbook.urls import public_url

    app = _app()
    with app.app_context():
        org = _organisation(org_slug)
        budget = staff_import.budget_from(app.config)
        bar = _RowsBar(enabled=not quiet)
        try:
            if do_apply:
                found = staff_import.apply(
                    organisation_id=org.id,
                    data=staff_file.read_bytes(),
                    budget=budget,
                    by="system",
                    invitations=staff_import.Invitations(
                        lifetime=dt.timedelta(days=int(app.config["INVITATION_DAYS"])),
                        base_url=public_url(),
                        mailer=mailer(),
                        sso_login_url=sso_service.invitation_login_url(org, base_url=public_url()),
                    ),
                    now=utcnow(),
                    progress=bar.update,
                )
                bar.close()
                click.echo("Writing…", err=True)
                db.session.commit()
            else:
                found = staff_import.plan(
                    organisation_id=org.id, data=staff_file.read_bytes(), budget=budget, today=utcnow().date()
                )
        except DomainError as err:
            bar.close()
            db.session.rollback()
            preview = err.extra.get("preview") if isinstance(err.extra, dict) else None
            if preview:
                _print_problems(preview["rows"])
            raise _fail(err) from err
        finally:
            db.session.rollback()
    _print_problems(found.as_dict()["rows"])
    counts = found.summary
    verb = "Applied" if do_apply else "Preview (nothing written; add --apply)"
    click.echo(
        f"{verb}: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['unchanged']} unchanged, {counts['error']} with problems"
        + (f"; new teams: {', '.join(found.new_teams)}" if found.new_teams else "")
        + "."
    )
    if not found.can_apply:
        sys.exit(1)


def _print_problems(rows: list[dict]) -> None:
    for row in rows:
        for problem in row["problems"]:
            column = f" {problem['column']}" if problem["column"] else ""
            click.echo(f"row {row['row']}{column}: {problem['message']}")


@main.command("assign-supervisor")
@click.option("--organisation", "org_slug", default=None, help="Organisation slug (default: the only one).")
@click.option("--supervisor", "supervisor_email", required=True, help="The supervisor's email.")
@click.option("--supervisee", "supervisee_email", required=True, help="The supervised person's email.")
@click.option(
    "--role",
    type=click.Choice(["professional", "practice_educator", "line", "clinical"]),
    default="professional",
    show_default=True,
    help="professional: internal supervisor; line: line manager as supervisor.",
)
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (default today).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default open).")
@click.option("--frequency-days", type=click.IntRange(1, 366), default=None, help="Agreed days apart.")
@click.option("--session-minutes", type=click.IntRange(5, 600), default=None, help="Agreed session length.")
def assign_supervisor(
    *,
    org_slug: str | None,
    supervisor_email: str,
    supervisee_email: str,
    role: str,
    starts,
    ends,
    frequency_days: int | None,
    session_minutes: int | None,
) -> None:
    """Assign a supervisor to a person (recorded in the audit trail)."""
    from sqlalchemy import select

    from logbook.accounts.models import User
    from logbook.errors import DomainError
    from logbook.extensions import db
    from logbook.supervision import assignments
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        org = _organisation(org_slug)
        ids = {}
        for label, email in (("supervisor", supervisor_email), ("supervisee", supervisee_email)):
            person = db.session.scalar(
                select(User).where(User.email == email.strip().lower(), User.organisation_id == org.id)
            )
            if person is None:
                raise click.ClickException(f"No {label} {email!r} in {org.slug}.")
            ids[label] = person.id
        now = utcnow()
        wanted = assignments.Assignment(
            supervisor_id=ids["supervisor"],
            supervisee_id=ids["supervisee"],
            kind=role,
            starts_on=starts.date() if starts else now.date(),
            ends_on=ends.date() if ends else None,
            frequency_days=frequency_days,
            session_minutes=session_minutes,
        )
        try:
            link = assignments.assign(
                organisation_id=org.id, by="system", wanted=wanted, today=now.date(), now=now
            )
        except DomainError as err:
            db.session.rollback()
            raise _fail(err) from err
        db.session.commit()
        click.echo(f"Assigned: {link.id}")


@main.command("end-supervision")
@click.argument("link_id", type=click.UUID)
@click.option("--organisation", "org_slug", default=None, help="Organisation slug (default: the only one).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default yesterday).")
def end_supervision(link_id, org_slug: str | None, ends) -> None:
    """End a supervisor assignment (kept as history; the former supervisor's access ends)."""
    from logbook.errors import DomainError
    from logbook.extensions import db
    from logbook.supervision import assignments
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        org = _organisation(org_slug)
        now = utcnow()
        try:
            link = assignments.get_link(organisation_id=org.id, link_id=link_id)
            assignments.end(
                link=link, by="system", ends_on=ends.date() if ends else None, today=now.date(), now=now
            )
        except DomainError as err:
            db.session.rollback()
            raise _fail(err) from err
        db.session.commit()
        click.echo(f"Ended: {link_id} (last day {link.ends_on}).")


@main.command("supervisors")
@click.option("--organisation", "org_slug", default=None, help="Organisation slug (default: the only one).")
@click.option("--status", type=click.Choice(["current", "future", "ended", "all"]), default="all")
def list_supervisors(org_slug: str | None, status: str) -> None:
    """List supervisor assignments: id, supervisee, supervisor, role, dates, status."""
    from logbook.supervision import assignments
    from logbook.timeutil import utcnow

    app = _app()
    with app.app_context():
        org = _organisation(org_slug)
        today = utcnow().date()
        for item in assignments.list_assignments(organisation_id=org.id, today=today, status=status):
            click.echo(
                f"{item['id']}  {item['supervisee_name']} ← {item['supervisor_name']}  {item['kind_label']}  "
                f"{item['starts_on']} to {item['ends_on'] or 'open'}  {item['status']}"
            )


from logbook.exports.commands import export_record_command, import_record_command  # noqa: E402

main.add_command(export_record_command)
main.add_command(import_record_command)

from logbook.signing.commands import keys_group, verify_pdf_command  # noqa: E402

main.add_command(keys_group)
main.add_command(verify_pdf_command)

from logbook.sso.commands import sso_group  # noqa: E402

main.add_command(sso_group)
