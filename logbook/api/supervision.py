"""Supervision: sign-off requests, the supervisor's queue, decisions, sign-offs and their verification;
and the server-rendered page an external signer reaches through an emailed link."""

from __future__ import annotations

from functools import partial

from flask import Blueprint as FlaskBlueprint
from flask import Flask, Response, current_app, render_template, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import ValidationError

from logbook.accounts.auth import current_user, login_required
from logbook.api import notifications
from logbook.config import KeyRing
from logbook.credentials import service as credentials
from logbook.entries.evidence import download_name
from logbook.errors import DomainError, NotFound, ValidationFailed, flatten_messages
from logbook.extensions import client_address, limiter
from logbook.storage import evidence_store
from logbook.supervision import calendar, imported, session_signoff, sessions, signoff, withdrawal
from logbook.supervision import service as supervision
from logbook.supervision.registration import FORMATS
from logbook.supervision.schemas import (
    ActionCloseSchema,
    ActionInSchema,
    ActionListSchema,
    ActionSchema,
    AgreementSchema,
    CalendarFeedSchema,
    ConfirmSchema,
    DecisionInSchema,
    DueListSchema,
    DueQuerySchema,
    ExternalDecisionFormSchema,
    LinkedPeopleSchema,
    RequestListQuerySchema,
    RequestListSchema,
    SessionDecisionInSchema,
    SessionInSchema,
    SessionListSchema,
    SessionPatchSchema,
    SessionRequestListSchema,
    SessionSchema,
    SessionSignOffListSchema,
    SessionSignOffRequestInSchema,
    SessionSignOffRequestSchema,
    SessionSignOffSchema,
    SignOffListSchema,
    SignOffRequestInSchema,
    SignOffRequestSchema,
    SignOffSchema,
    SupervisionStatusSchema,
    WithdrawalInSchema,
)
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("supervision", __name__, url_prefix="/api/v1", description="Supervision and sign-off")
pages = FlaskBlueprint("signoff_pages", __name__)


def _present(sign_off) -> dict:
    out = {c.name: getattr(sign_off, c.name) for c in sign_off.__table__.columns}
    out["verification"] = signoff.verify_sign_off(sign_off, ring=_ring()).as_dict()
    out["can_withdraw"] = withdrawal.can_withdraw(current_user(), sign_off)
    return out | imported.presented(sign_off)


def _ring() -> KeyRing:
    """The app's signing keys, for every sign-off sealed or verified here."""
    return KeyRing.of(current_app)


def _base_url() -> str:
    return public_url()


@blp.route("/entries/<uuid:entry_id>/sign-off-requests", methods=["POST"])
@login_required
@blp.arguments(SignOffRequestInSchema)
@blp.response(201, SignOffRequestSchema)
@blp.alt_response(409, description="The entry changed since the caller read it")
def request_sign_off(data, entry_id):
    """Ask a current supervisor, or an external signer by single-use emailed link, to sign this version."""
    new = signoff.request_sign_off(
        owner=current_user(),
        entry_id=entry_id,
        now=utcnow(),
        link_days=current_app.config["EXTERNAL_SIGNOFF_DAYS"],
        base_url=_base_url(),
        external_requests_per_day=current_app.config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"],
        **data,
    )
    return {**_request(new.request), "link_expires_at": new.expires_at}


def _columns(row) -> dict:
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def _request(row) -> dict:
    """A sign-off request for the wire, with the name of the practitioner whose entry it is."""
    return {**_columns(row), "requested_by_name": row.requested_by.name}


@blp.route("/sign-off-requests")
@login_required
@blp.arguments(RequestListQuerySchema, location="query")
@blp.response(200, RequestListSchema)
def list_requests(args):
    """The caller's sign-off queue (scope=queue, as supervisor) or the requests they sent (scope=mine)."""
    state = None if args["state"] == "all" else args["state"]
    rows = signoff.list_requests(user=current_user(), scope=args["scope"], today=utcnow().date(), state=state)
    if args["scope"] == "queue":  # what the signer reads on the decision screen, kept on the phone
        return {"items": [{**_request(r), "shown": signoff.request_view(r)} for r in rows]}
    return {"items": [_request(r) for r in rows]}


@blp.route("/sign-off-requests/<uuid:request_id>", methods=["DELETE"])
@login_required
@blp.response(200, SignOffRequestSchema)
def revoke_request(request_id):
    """Withdraw an open request; an external link stops working at once."""
    return _request(signoff.revoke_request(owner=current_user(), request_id=request_id, now=utcnow()))


@blp.route("/entries/<uuid:entry_id>/sign-offs")
class EntrySignOffs(MethodView):
    decorators = [login_required]

    @blp.response(200, SignOffListSchema)
    def get(self, entry_id):
        """Every sign-off of an entry, each verified against the stored text and the audit trail."""
        rows = signoff.sign_offs_for(viewer=current_user(), entry_id=entry_id, today=utcnow().date())
        return {"items": [_present(s) for s in rows]}

    @blp.arguments(DecisionInSchema)
    @blp.response(201, SignOffSchema)
    @blp.alt_response(409, description="The entry changed after the supervisor read it, or nobody asked")
    def post(self, data, entry_id):
        """Approve or return the version (and SHA-256) of the entry the supervisor read."""
        sign_off = signoff.decide(
            signer=current_user(),
            entry_id=entry_id,
            now=utcnow(),
            base_url=_base_url(),
            ring=_ring(),
            **data,
        )
        return _present(sign_off)


@blp.route("/sign-offs/<uuid:sign_off_id>")
@login_required
@blp.response(200, SignOffSchema)
def get_sign_off(sign_off_id):
    """One sign-off and whether it still verifies."""
    return _present(
        signoff.get_sign_off(viewer=current_user(), sign_off_id=sign_off_id, today=utcnow().date())
    )


@blp.route("/sign-offs/<uuid:sign_off_id>/withdraw", methods=["POST"])
@login_required
@blp.arguments(WithdrawalInSchema)
@blp.response(200, SignOffSchema)
@blp.alt_response(409, description="Already withdrawn (already_withdrawn), or not an approval")
def withdraw_sign_off(data, sign_off_id):
    """Withdraw an approved sign-off, with a reason: by the person who signed it or an admin of the
    entry's organisation. It is sealed as a signed withdrawal, audited, stops counting everywhere,
    the practitioner is notified and its credentials are revoked (docs/supervision.md)."""
    sign_off = withdrawal.withdraw(
        actor=current_user(),
        sign_off_id=sign_off_id,
        reason=data["reason"],
        now=utcnow(),
        base_url=_base_url(),
        ring=_ring(),
        revoke=partial(credentials.revoke_for_withdrawal, ring=_ring()),
    )
    return _present(sign_off)


@blp.route("/supervision/people")
@login_required
@blp.response(200, LinkedPeopleSchema)
def linked_people():
    """The caller's current supervisors (whom they may ask for sign-off) and supervisees; the app keeps
    a copy so that a request or a session can be recorded offline."""
    return supervision.linked_people(user=current_user(), today=utcnow().date())


# --- supervision sessions, actions, agreements, due dates -------------------------------------


def _session_out(session) -> dict:
    out = _columns(session)
    out["is_confirmed"] = sessions.is_confirmed(session)
    out["content_sha256"] = sessions.session_hash(session)
    found = sessions.actions_for(session)
    out["actions"] = [_columns(a) for a in found["actions"]]
    out["carried_forward"] = [_columns(a) for a in found["carried_forward"]]
    return out


@blp.route("/supervision/sessions")
class Sessions(MethodView):
    decorators = [login_required]

    @blp.response(200, SessionListSchema)
    def get(self):
        """Supervision sessions the caller is a party to, newest first."""
        return {"items": [_session_out(s) for s in sessions.list_sessions(viewer=current_user())]}

    @blp.arguments(SessionInSchema)
    @blp.response(201, SessionSchema)
    def post(self, data):
        """Record or plan a session (either party; the two must be linked)."""
        session = sessions.create_session(
            actor=current_user(),
            supervisor_id=data.pop("supervisor_id"),
            supervisee_id=data.pop("supervisee_id"),
            session_id=data.pop("id"),
            data=data,
            now=utcnow(),
        )
        return _session_out(session)


@blp.route("/supervision/sessions/<uuid:session_id>")
class SessionItem(MethodView):
    decorators = [login_required]

    @blp.response(200, SessionSchema)
    def get(self, session_id):
        """One session with its actions and those carried forward."""
        return _session_out(sessions.get_session(viewer=current_user(), session_id=session_id))

    @blp.arguments(SessionPatchSchema)
    @blp.response(200, SessionSchema)
    def patch(self, data, session_id):
        """Change the record; both parties must confirm again."""
        base_version = data.pop("base_version")
        session = sessions.update_session(
            actor=current_user(), session_id=session_id, base_version=base_version, changes=data, now=utcnow()
        )
        return _session_out(session)


@blp.route("/supervision/sessions/<uuid:session_id>/confirm", methods=["POST"])
@login_required
@blp.arguments(ConfirmSchema)
@blp.response(200, SessionSchema)
def confirm_session(data, session_id):
    """Confirm the record as it stands at `version` (each party once)."""
    session = sessions.confirm_session(
        actor=current_user(), session_id=session_id, version=data["version"], now=utcnow()
    )
    return _session_out(session)


@blp.route("/supervision/sessions/<uuid:session_id>/actions", methods=["POST"])
@login_required
@blp.arguments(ActionInSchema)
@blp.response(201, ActionSchema)
def add_action(data, session_id):
    """Agree an action with an owner and a due date; it carries forward until closed."""
    return _columns(sessions.add_action(actor=current_user(), session_id=session_id, now=utcnow(), **data))


@blp.route("/supervision/actions")
@login_required
@blp.response(200, ActionListSchema)
def my_actions():
    """Open actions the caller owns, soonest due first."""
    return {"items": [_columns(a) for a in sessions.open_actions(user=current_user())]}


@blp.route("/supervision/actions/<uuid:action_id>/close", methods=["POST"])
@login_required
@blp.arguments(ActionCloseSchema)
@blp.response(200, ActionSchema)
def close_action(data, action_id):
    """Close an action."""
    action = sessions.close_action(
        actor=current_user(), action_id=action_id, now=utcnow(), in_session_id=data["session_id"]
    )
    return _columns(action)


@blp.route("/supervision/links/<uuid:link_id>/agreement", methods=["PUT"])
@login_required
@blp.arguments(AgreementSchema)
@blp.response(200, AgreementSchema)
def set_agreement(data, link_id):
    """Record the supervision agreement: frequency, session length, what is recorded where."""
    agreement = sessions.set_agreement(
        actor=current_user(), link_id=link_id, data=data, today=utcnow().date()
    )
    return _columns(agreement)


@blp.route("/supervision/due")
@login_required
@blp.arguments(DueQuerySchema, location="query")
@blp.response(200, DueListSchema)
def supervision_due(args):
    """When supervision is next due, and whether it is overdue (mine, my supervisees', the organisation's)."""
    rows = sessions.supervision_due(
        viewer=current_user(),
        scope=args["scope"],
        today=utcnow().date(),
        default_days=current_app.config["SUPERVISION_DEFAULT_FREQUENCY_DAYS"],
    )
    return {"items": [r.__dict__ for r in rows]}


@blp.route("/supervision/status")
@login_required
@blp.response(200, SupervisionStatusSchema)
def supervision_status():
    """The caller's supervision status: policy, last held, next due, periods missed (Home's one line)."""
    status = sessions.supervision_status(
        person=current_user(),
        today=utcnow().date(),
        default_days=current_app.config["SUPERVISION_DEFAULT_FREQUENCY_DAYS"],
    )
    return status.as_dict()


# --- sign-off of supervision session records -----------------------------------------------------


def _session_request(row) -> dict:
    return {**_columns(row), "requested_by_name": row.requested_by.name, "signer_name": row.signer.name}


def _session_sign_off(row) -> dict:
    return {**_columns(row), "verification": session_signoff.verify(row, ring=_ring()).as_dict()}


@blp.route("/supervision/sessions/<uuid:session_id>/sign-off-requests", methods=["POST"])
@login_required
@blp.arguments(SessionSignOffRequestInSchema)
@blp.response(201, SessionSignOffRequestSchema)
@blp.alt_response(409, description="The record changed since the caller read it")
def request_session_sign_off(data, session_id):
    """Ask the other person in the session to sign off this version of the record."""
    row = session_signoff.request_sign_off(
        actor=current_user(), session_id=session_id, now=utcnow(), base_url=_base_url(), **data
    )
    return _session_request(row)


@blp.route("/supervision/sign-off-requests")
@login_required
@blp.arguments(RequestListQuerySchema, location="query")
@blp.response(200, SessionRequestListSchema)
def list_session_requests(args):
    """Session records waiting for the caller's sign-off (scope=queue) or the requests they sent (mine)."""
    state = None if args["state"] == "all" else args["state"]
    rows = session_signoff.list_requests(user=current_user(), scope=args["scope"], state=state)
    return {"items": [_session_request(r) for r in rows]}


@blp.route("/supervision/sessions/<uuid:session_id>/sign-offs")
class SessionSignOffs(MethodView):
    decorators = [login_required]

    @blp.response(200, SessionSignOffListSchema)
    def get(self, session_id):
        """Every sign-off of a session record, each verified."""
        rows = session_signoff.sign_offs_for(viewer=current_user(), session_id=session_id)
        return {"items": [_session_sign_off(r) for r in rows]}

    @blp.arguments(SessionDecisionInSchema)
    @blp.response(201, SessionSignOffSchema)
    @blp.alt_response(409, description="The record changed after the signer read it, or nobody asked")
    def post(self, data, session_id):
        """Approve or return the version (and SHA-256) of the session record the signer read."""
        row = session_signoff.decide(
            signer=current_user(),
            session_id=session_id,
            now=utcnow(),
            base_url=_base_url(),
            ring=_ring(),
            **data,
        )
        return _session_sign_off(row)


# --- calendar ---------------------------------------------------------------------------------


@blp.route("/supervision/calendar-feed", methods=["POST", "DELETE"])
@login_required
@blp.response(200, CalendarFeedSchema)
def calendar_feed():
    """POST: a new secret iCalendar URL (earlier ones stop working). DELETE: stop every feed URL."""
    if request.method == "DELETE":
        calendar.revoke_feeds(user=current_user(), now=utcnow())
        return {"url": ""}
    token = calendar.create_feed(user=current_user(), now=utcnow())
    return {"url": f"{_base_url()}/calendar/{token}.ics"}


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/supervision/sessions/<uuid:session_id>/invite.ics")
@login_required
@blp.response(200, content_type="text/calendar", description="The session as an iCalendar file (RFC 5545)")
@blp.doc(responses={"200": {"content": {"text/calendar": {"schema": {"type": "string"}}}}})
def session_invite(session_id):
    """One session as a downloadable calendar invite."""
    return _ics(calendar.invite_ics(viewer=current_user(), session_id=session_id), "supervision.ics")


# --- the external signer's page (no account) -------------------------------------------------


def _refused_response(response) -> bool:
    """Only unusable or unknown links count towards the per-address limit (guessing is slowed)."""
    return response.status_code in (404, 410)


def _page_limit() -> str:
    return current_app.config["EXTERNAL_SIGNOFF_FAILURE_LIMIT"]


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def _refused(err: DomainError, token: str | None = None):
    status = 404 if isinstance(err, NotFound) else err.status
    # A used link opened again says what was decided, when and by whom (it was signed, after all).
    outcome = signoff.link_outcome(token=token) if token and getattr(err, "code", "") == "link_used" else None
    html = render_template("signoff_refused.html", message=err.message, outcome=outcome)
    return _no_store(current_app.make_response((html, status)))


# The external signer's page speaks plainly: what to do, not the validator's wording.
_EMPTY = {
    "name": "Enter your full name",
    "role": "Enter your role",
    "registration_body": "Choose your registration body",
    "registration_number": "Enter your registration number",
    "decision": "Choose whether you approve the record or return it",
    "comment": "Say what needs changing when you return the record",
}
_LABELS = {
    "name": "Your name",
    "role": "Your role",
    "registration_body": "The registration body",
    "registration_number": "The registration number",
    "comment": "The comment",
}


def plain_errors(errors: dict, form: dict) -> dict[str, list[str]]:
    """Field errors in plain English for the external page ("Enter your role", never "Length must be
    between 1 and 200.")."""
    out: dict[str, list[str]] = {}
    for name, messages in errors.items():
        texts = messages if isinstance(messages, list) else [str(messages)]
        if name in _EMPTY and not str(form.get(name, "")).strip():
            out[name] = [_EMPTY[name]]
        elif name == "content_sha256":
            out["_schema"] = ["The page was changed; reload the link and decide again."]
        elif name in _LABELS:
            out[name] = [
                f"{_LABELS[name]} {t.rstrip('.')}." if t[:3] in ("is ", "mus") else str(t) for t in texts
            ]
        else:
            out[name] = [str(t) for t in texts]
    return out


def _form_page(view, token: str, *, form=None, errors=None, status=200):
    entry = view.entry
    html = render_template(
        "signoff_page.html",
        request_=view.request,
        entry=entry,
        owner=view.owner,
        shown=signoff.signer_view(entry),
        token=token,
        content_sha256=view.request.content_sha256,
        formats=FORMATS,
        form=form
        or {
            "registration_body": view.request.registration_body or "",
            "name": view.request.external_name or "",
        },
        errors=errors or {},
    )
    return _no_store(current_app.make_response((html, status)))


@pages.route("/sign-off/<token>", methods=["GET", "POST"])
@limiter.limit(
    _page_limit, key_func=lambda: f"signoff-link:{client_address()}", deduct_when=_refused_response
)
def external_sign_off(token: str):
    """The page an external signer's link opens: the one entry, and a form to approve or return it."""
    now = utcnow()
    try:
        view = signoff.open_link(token=token, now=now)
    except DomainError as err:
        return _refused(err, token)
    if request.method == "GET":
        return _form_page(view, token)
    form = request.form.to_dict()
    try:
        data = ExternalDecisionFormSchema().load({k: v for k, v in form.items() if k != "csrf_token"})
        sign_off = signoff.decide_external(token=token, now=now, base_url=_base_url(), ring=_ring(), **data)
    except ValidationError as err:
        errors = plain_errors(flatten_messages(err.messages), form)
        return _form_page(view, token, form=form, errors=errors, status=422)
    except ValidationFailed as err:
        return _form_page(view, token, form=form, errors=plain_errors(err.fields, form), status=422)
    except DomainError as err:
        return _refused(err, token)
    html = render_template("signoff_done.html", sign_off=sign_off, entry=view.entry, owner=view.owner)
    return _no_store(current_app.make_response((html, 200)))


@pages.route("/sign-off/<token>/evidence/<sha256>")
@limiter.limit(
    _page_limit, key_func=lambda: f"signoff-link:{client_address()}", deduct_when=_refused_response
)
def external_evidence(token: str, sha256: str):
    """A file of the entry the link opens, only while the link works and only that entry's files."""
    try:
        evidence, data = signoff.link_evidence(
            token=token, sha256=sha256, store=evidence_store(), now=utcnow()
        )
    except DomainError as err:
        return _refused(err)
    response = Response(data, mimetype=evidence.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name(evidence)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


@pages.route("/calendar/<token>.ics")
@limiter.limit(_page_limit, key_func=lambda: f"calendar:{client_address()}", deduct_when=_refused_response)
def calendar_feed_ics(token: str):
    """A person's supervision sessions as an iCalendar feed (secret URL, no login)."""
    try:
        body = calendar.feed_ics(token=token, now=utcnow())
    except NotFound:
        return current_app.make_response(("No such calendar.", 404, {"Content-Type": "text/plain"}))
    return _ics(body, "supervision.ics")


def register(app: Flask, api: Api) -> None:
    """Register the supervision and notification API blueprints and the pages reached without login."""
    api.register_blueprint(blp)
    api.register_blueprint(notifications.blp)
    app.register_blueprint(pages)
