"""The organisation's learning offer: events, .ics invites, QR check-in, registers, learning sets,
feedback (docs/events.md)."""

from __future__ import annotations

import io

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.errors import ValidationFailed
from logbook.events import checkin, service
from logbook.events.models import LearningEvent, LearningSet
from logbook.events.schemas import (
    CheckInCodeSchema,
    CheckInResultSchema,
    CheckInSchema,
    EventInSchema,
    EventListQuerySchema,
    EventListSchema,
    EventSchema,
    FacilitatorInSchema,
    FacilitatorListSchema,
    FeedbackInSchema,
    FeedbackSchema,
    FeedbackSummarySchema,
    LearningSetInSchema,
    LearningSetListSchema,
    LearningSetSchema,
    MarkedSchema,
    MeetingInSchema,
    MeetingSchema,
    QrQuerySchema,
    RegisterMarkSchema,
    RegisterSchema,
)
from logbook.extensions import limiter
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("events", __name__, url_prefix="/api/v1", description="Learning offer: events and check-in")


def present_events(viewer, events: list[LearningEvent]) -> list[dict]:
    """Events as the viewer sees them (attendee counts for facilitators only)."""
    ids = [e.id for e in events]
    mine = service.my_attendance(user=viewer, event_ids=ids)
    counts = service.attendee_counts([e.id for e in events if service.is_facilitator(viewer, e)])
    out = []
    for e in events:
        facilitating = service.is_facilitator(viewer, e)
        attendance = mine.get(e.id)
        out.append(
            {
                **{name: getattr(e, name) for name in EventSchema().fields if hasattr(e, name)},
                "hours": float(e.hours),
                "learning_set": e.learning_set,
                "is_facilitator": facilitating,
                "attended": attendance is not None,
                "my_entry_id": attendance.entry_id if attendance else None,
                "attendees": counts.get(e.id, 0) if facilitating else None,
                "ics_url": f"/api/v1/events/{e.id}/invite.ics",
            }
        )
    return out


def _result(event: LearningEvent, attended: service.Attended) -> dict:
    a = attended.attendance
    return {
        "event_id": event.id,
        "entry_id": a.entry_id,
        "created": attended.created,
        "method": a.method,
        "title": event.title,
    }


def _set(s: LearningSet) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "counts_as_peer_reflection": s.counts_as_peer_reflection,
        "members": s.members,
    }


@blp.route("/events")
class Events(MethodView):
    decorators = [login_required]

    @blp.arguments(EventListQuerySchema, location="query")
    @blp.response(200, EventListSchema)
    def get(self, args):
        """Events for the caller: upcoming ones meant for their profession or team (default), those
        they facilitate, or those they attended."""
        viewer = current_user()
        events = service.list_events(viewer=viewer, scope=args["scope"], now=utcnow(), limit=args["limit"])
        return {"items": present_events(viewer, events), "may_publish": service.may_publish(viewer)}

    @blp.arguments(EventInSchema)
    @blp.response(201, EventSchema)
    def post(self, data):
        """Publish an event (org admins and facilitators they allowed)."""
        viewer = current_user()
        event = service.create_event(actor=viewer, data=data, now=utcnow())
        return present_events(viewer, [event])[0]


@blp.route("/events/<uuid:event_id>")
@login_required
@blp.response(200, EventSchema)
def event_item(event_id):
    """One event of the caller's organisation."""
    viewer = current_user()
    return present_events(viewer, [service.get_event(viewer=viewer, event_id=event_id)])[0]


@blp.route("/events/<uuid:event_id>/invite.ics")
@login_required
@blp.response(200, content_type="text/calendar", description="The event as an iCalendar file (RFC 5545)")
@blp.doc(responses={"200": {"content": {"text/calendar": {"schema": {"type": "string"}}}}})
def event_invite(event_id):
    """The event as a downloadable calendar invite."""
    body = service.event_ics(viewer=current_user(), event_id=event_id, now=utcnow())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'attachment; filename="event.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/events/<uuid:event_id>/check-in-code")
@login_required
@blp.response(200, CheckInCodeSchema)
def check_in_code(event_id):
    """The rotating check-in code for the facilitator's screen (fetch again at next_at)."""
    now = utcnow()
    event, code = service.current_code(
        viewer=current_user(), event_id=event_id, now=now, secret_key=current_app.config["SECRET_KEY"]
    )
    return {
        "event_id": event.id,
        "code": code.code,
        "short_code": code.short,
        "url": f"/app/checkin/{code.code}",
        "qr_url": f"/api/v1/events/{event.id}/check-in-qr.svg?code={code.code}",
        "valid_from": code.valid_from,
        "next_at": code.next_at,
        "expires_at": code.expires_at,
        "refresh_seconds": max(1, int((code.next_at - now).total_seconds()) + 1),
    }


@blp.route("/events/<uuid:event_id>/check-in-qr.svg")
@login_required
@blp.arguments(QrQuerySchema, location="query")
@blp.response(200, content_type="image/svg+xml")
def check_in_qr(args, event_id):
    """The QR of a current code, as SVG: it encodes the absolute check-in URL."""
    now = utcnow()
    event, _ = service.current_code(
        viewer=current_user(), event_id=event_id, now=now, secret_key=current_app.config["SECRET_KEY"]
    )
    parsed = checkin.parse(args["code"])
    if parsed.event_id != event.id:
        raise ValidationFailed("Not this event's code.", fields={"code": ["is not this event's code"]})
    checkin.verify(
        parsed=parsed,
        secret_key=current_app.config["SECRET_KEY"],
        event_secret=event.check_in_secret,
        scanned_at=now,
    )
    import segno  # measured start-up cost: imported on use

    qr = segno.make(public_url(f"/app/checkin/{args['code']}"), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff", title="Check-in QR code")
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(response) -> bool:
    return response.status_code in (404, 422)


@blp.route("/events/check-in", methods=["POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["CHECK_IN_FAILURE_LIMIT"],
    key_func=lambda: f"check-in:{current_user().id}",
    deduct_when=_refused,
)
@blp.arguments(CheckInSchema)
@blp.response(200, CheckInResultSchema)
@blp.alt_response(404, description="Not an event of your organisation")
@blp.alt_response(422, description="Invalid or expired code")
@blp.alt_response(429, description="Too many refused check-ins: wait, or ask to be marked present")
def check_in(data):
    """Check in with a scanned code, or the short code typed from the facilitator's screen (e.g.
    K7PD-3QXM): makes the caller's pre-filled entry once (a second scan answers
    with the same entry, created false)."""
    event, attended = service.check_in(
        attendee=current_user(), code=data["code"], now=utcnow(), secret_key=current_app.config["SECRET_KEY"]
    )
    return _result(event, attended)


@blp.route("/events/<uuid:event_id>/register")
class Register(MethodView):
    decorators = [login_required]

    @blp.response(200, RegisterSchema)
    def get(self, event_id):
        """The register: who the event is for and who was there (facilitators only)."""
        event, rows = service.register(facilitator=current_user(), event_id=event_id)
        return {"event_id": event.id, "items": rows}

    @blp.arguments(RegisterMarkSchema)
    @blp.response(200, MarkedSchema)
    def post(self, data, event_id):
        """Mark people present; each gets their one pre-filled entry (facilitators only)."""
        event, marked = service.mark_register(
            facilitator=current_user(), event_id=event_id, user_ids=data["user_ids"], now=utcnow()
        )
        return {"event_id": event.id, "marked": [_result(event, a) for _, a in marked]}


@blp.route("/events/<uuid:event_id>/feedback")
class Feedback(MethodView):
    decorators = [login_required]

    @blp.response(200, FeedbackSummarySchema)
    def get(self, event_id):
        """Feedback in aggregate (facilitators only; suppressed below the insights threshold)."""
        return service.feedback_summary(
            viewer=current_user(), event_id=event_id, threshold=current_app.config["INSIGHTS_MIN_CELL"]
        )

    @blp.arguments(FeedbackInSchema)
    @blp.response(200, FeedbackSchema)
    def post(self, data, event_id):
        """Rate an event you attended (1 to 5) with an optional comment; again replaces it."""
        fb = service.give_feedback(
            attendee=current_user(),
            event_id=event_id,
            rating=data["rating"],
            comment=data["comment"],
            now=utcnow(),
        )
        return {"event_id": fb.event_id, "rating": fb.rating, "comment": fb.comment}


@blp.route("/events/facilitators")
class Facilitators(MethodView):
    decorators = [login_required]

    @blp.response(200, FacilitatorListSchema)
    def get(self):
        """People allowed to publish events (org admins)."""
        return {"items": service.list_facilitators(admin=current_user())}

    @blp.arguments(FacilitatorInSchema)
    @blp.response(200, FacilitatorListSchema)
    def post(self, data):
        """Allow a colleague to publish events and learning sets (org admins)."""
        admin = current_user()
        service.grant_facilitator(admin=admin, user_id=data["user_id"], now=utcnow())
        return {"items": service.list_facilitators(admin=admin)}


@blp.route("/events/facilitators/<uuid:user_id>", methods=["DELETE"])
@login_required
@blp.response(200, FacilitatorListSchema)
def revoke_facilitator(user_id):
    """Withdraw a colleague's permission to publish events (org admins)."""
    admin = current_user()
    service.revoke_facilitator(admin=admin, user_id=user_id)
    return {"items": service.list_facilitators(admin=admin)}


@blp.route("/learning-sets")
class LearningSets(MethodView):
    decorators = [login_required]

    @blp.response(200, LearningSetListSchema)
    def get(self):
        """Learning sets the caller belongs to (publishers: all of the organisation's)."""
        return {"items": [_set(s) for s in service.list_sets(viewer=current_user())]}

    @blp.arguments(LearningSetInSchema)
    @blp.response(201, LearningSetSchema)
    def post(self, data):
        """Form a learning set (org admins and allowed facilitators)."""
        return _set(service.create_set(actor=current_user(), data=data, now=utcnow()))


@blp.route("/learning-sets/<uuid:set_id>/meetings", methods=["POST"])
@login_required
@blp.arguments(MeetingInSchema)
@blp.response(201, MeetingSchema)
def add_meeting(data, set_id):
    """Record a meeting of a set: each member named present gets their pre-filled entry (members only)."""
    viewer = current_user()
    event, marked = service.add_meeting(actor=viewer, set_id=set_id, data=data, now=utcnow())
    return {"event": present_events(viewer, [event])[0], "marked": [_result(event, a) for _, a in marked]}
