"""Side effects only after the commit (issue #18): every email and every job leaves through the one
post-commit queue (logbook/aftercommit.py). When the commit fails (here: a constraint violated as the
transaction commits, after the service ran, as a row saved meanwhile would) nothing is emailed and no
job starts; on the normal path each goes out exactly once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from click.testing import CliRunner
from flask import has_request_context, request
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from logbook import aftercommit, cli
from logbook.accounts.models import PasswordReset
from logbook.extensions import db
from logbook.jobs.models import Job
from logbook.notifications.models import Notification
from logbook.supervision.models import ExternalSignOffLink
from tests.accounts.test_lockout_and_reset import _ask
from tests.factories import make_entry, request_from
from tests.helpers import export
from tests.sync.device import Device

SIGNER = {"name": "Dr Ada Byrne", "email": "ada.byrne@otheragency.example", "registration_body": "HCPC"}


@contextlib.contextmanager
def commits_fail(*, skip: int = 0) -> Iterator[list[int]]:
    """Every outermost commit of a writing request (or of the CLI) in the block fails on a
    primary-key violation flushed as it commits (a copy of an existing organisation row), on SQLite
    and PostgreSQL alike; pages read meanwhile (GET) commit as usual, and so do the first `skip`."""
    failed: list[int] = []
    skipped: list[int] = []

    def violate(session: Session) -> None:
        if session.get_nested_transaction() is not None:
            return
        if has_request_context() and request.method == "GET":
            return
        if len(skipped) < skip:
            skipped.append(1)
            return
        failed.append(1)
        session.execute(text("INSERT INTO organisation SELECT * FROM organisation LIMIT 1"))

    event.listen(Session, "before_commit", violate)
    try:
        yield failed
    finally:
        event.remove(Session, "before_commit", violate)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


class Recorder:
    """A job runner that records what it is handed."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, job_id) -> None:
        self.submitted.append(str(job_id))


# --- each kind of side effect -------------------------------------------------------------------


def test_password_reset_email_waits_for_the_commit(app, client, practitioner, outbox):
    with commits_fail() as failed:
        _ask(client, practitioner.email)
    assert failed, "the commit was not made to fail"
    assert outbox == []  # no email carrying a token that was never saved
    assert count(app, PasswordReset) == 0
    assert _ask(client, practitioner.email).status_code == 200
    [mail] = outbox
    assert mail.to == practitioner.email
    assert count(app, PasswordReset) == 1


def test_external_signer_link_waits_for_the_commit(app, make_client, practitioner, outbox):
    me = make_client(practitioner)
    entry = make_entry(me, title="Joint visit")
    with commits_fail():
        failed = request_from(me, entry, external=SIGNER)
    assert failed.status_code == 409, failed.get_json()
    assert outbox == []
    assert count(app, ExternalSignOffLink) == 0
    assert request_from(me, entry, external=SIGNER).status_code == 201
    [mail] = outbox
    assert mail.to == SIGNER["email"]
    assert count(app, ExternalSignOffLink) == 1


def test_links_sent_on_an_admins_approval_wait_for_the_commit(
    app, make_client, practitioner, admin_client, outbox
):
    assert (
        admin_client.api(
            "PATCH", "/api/v1/admin/external-signer-settings", json={"require_approval": True}
        ).status_code
        == 200
    )
    me = make_client(practitioner)
    assert request_from(me, make_entry(me), external=SIGNER).status_code == 201
    (pending,) = admin_client.api("GET", "/api/v1/admin/external-signers").get_json()["items"]
    url = f"/api/v1/admin/external-signers/{pending['id']}/approve"
    with commits_fail():
        assert admin_client.api("POST", url).status_code == 409
    assert outbox == []
    assert count(app, ExternalSignOffLink) == 0
    approved = admin_client.api("POST", url)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["links_sent"] == 1
    assert [m.to for m in outbox] == [SIGNER["email"]]


def test_notification_email_waits_for_the_commit(
    app, make_client, practitioner, supervisor, supervised, outbox
):
    me = make_client(practitioner)
    entry = make_entry(me)
    with commits_fail():
        assert request_from(me, entry, supervisor_id=str(supervisor.id)).status_code == 409
    assert outbox == []
    assert count(app, Notification) == 0
    assert request_from(me, entry, supervisor_id=str(supervisor.id)).status_code == 201
    assert [m.to for m in outbox] == [supervisor.email]


def test_a_job_starts_only_after_the_commit(app, make_client, practitioner):
    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 0  # every portfolio is a background job
    runner = app.extensions["logbook.job_runner"] = Recorder()
    me = make_client(practitioner)
    make_entry(me)
    with commits_fail():
        assert export(me).status_code == 409
    assert runner.submitted == []  # no worker looks for a row that was never saved
    assert count(app, Job) == 0
    started = export(me)
    assert started.status_code == 202, started.get_json()
    assert runner.submitted == [started.get_json()["id"]]


def test_a_sync_push_sends_only_when_it_commits(
    app, make_client, practitioner, supervisor, supervised, outbox
):
    from tests.supervision.test_sync_request import request_mutation

    phone = Device(make_client(practitioner))
    entry = make_entry(phone.client)
    with commits_fail():
        phone.push(request_mutation(phone, entry, supervisor_id=str(supervisor.id)), expect=409)
    assert outbox == []
    [result] = phone.push(request_mutation(phone, entry, supervisor_id=str(supervisor.id)))["results"]
    assert result["status"] == "applied", result
    assert [m.to for m in outbox] == [supervisor.email]


def test_the_cli_sends_reminder_emails_only_when_it_commits(
    app, make_client, practitioner, supervisor, supervised, outbox, monkeypatch
):
    from logbook.notifications import service

    with app.app_context():  # a notification whose email the cron still owes
        service.notify(user_id=supervisor.id, kind="supervision_due", title="Supervision due", now=_now())
        db.session.commit()
    assert outbox == []
    monkeypatch.setattr(cli, "_app", lambda: app)
    with commits_fail(skip=1):  # the reminders' commit passes; the emails' commit fails
        failed = CliRunner().invoke(cli.main, ["notifications", "run"])
    assert isinstance(failed.exception, IntegrityError)
    assert outbox == []
    done = CliRunner().invoke(cli.main, ["notifications", "run"])
    assert done.exit_code == 0, done.output
    assert [m.to for m in outbox] == [supervisor.email]
    again = CliRunner().invoke(cli.main, ["notifications", "run"])
    assert again.exit_code == 0, again.output
    assert len(outbox) == 1  # exactly once


def _now():
    from logbook.timeutil import utcnow

    return utcnow()


# --- the queue itself ---------------------------------------------------------------------------


def test_a_savepoint_rolled_back_drops_only_what_it_queued(app):
    ran: list[str] = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        aftercommit.after_commit(lambda: ran.append("outer"))
        with contextlib.suppress(RuntimeError), db.session.begin_nested():
            aftercommit.after_commit(lambda: ran.append("failed mutation"))
            raise RuntimeError("the mutation is refused")
        with db.session.begin_nested():
            aftercommit.after_commit(lambda: ran.append("applied mutation"))
        assert ran == []  # a released savepoint is not the commit
        db.session.commit()
        assert ran == ["outer", "applied mutation"]
        db.session.commit()
        assert ran == ["outer", "applied mutation"]  # each runs once


def test_a_rollback_or_a_closed_session_drops_everything(app):
    ran: list[str] = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        aftercommit.after_commit(lambda: ran.append("rolled back"))
        db.session.rollback()
        db.session.execute(text("SELECT 1"))
        aftercommit.after_commit(lambda: ran.append("closed"))
        db.session.close()
        db.session.execute(text("SELECT 1"))
        db.session.commit()
    assert ran == []


def test_a_failing_action_is_logged_and_the_others_still_run(app, caplog, monkeypatch):
    monkeypatch.setattr(aftercommit.log, "disabled", False)  # alembic's fileConfig disables loggers
    ran: list[str] = []

    def broken() -> None:
        raise ConnectionRefusedError("mail server down")

    with app.app_context():
        db.session.execute(text("SELECT 1"))
        aftercommit.after_commit(broken)
        aftercommit.after_commit(lambda: ran.append("next"))
        db.session.commit()  # committed: the failure must not surface as an error
    assert ran == ["next"]
    assert "after-commit action failed" in caplog.text
