"""Open Badges 3.0 / CLR 2.0 credentials of the caller's verified record, and the issuer's public
profile and revocation list (no login: anyone checking a credential fetches them)."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, jsonify
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.config import KeyRing
from logbook.credentials import service
from logbook.errors import ValidationFailed
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("credentials", __name__, url_prefix="/api/v1", description="Verifiable credentials")
pages = FlaskBlueprint("credential_pages", __name__)

JWT_TYPE = "application/vc+jwt"


def _download(issued: service.Issued, filename: str) -> Response:
    response = Response(issued.jwt, mimetype=JWT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/entries/<uuid:entry_id>/credential")
@login_required
@blp.response(200, content_type=JWT_TYPE, description="The entry's Open Badges 3.0 credential (VC-JWT)")
def entry_credential(entry_id: uuid.UUID):
    """The caller's own entry as an Open Badges 3.0 OpenBadgeCredential signed as a VC-JWT: for its
    sign-off that still verifies, or for a checked-in learning event that has ended. 404 for anyone
    else's entry; 409 `not_verified` when nothing about it was verified."""
    issued = service.credential_for_entry(
        owner=current_user(),
        entry_id=entry_id,
        base_url=public_url(),
        now=utcnow(),
        ring=KeyRing.of(current_app),
    )
    return _download(issued, f"credential-{entry_id}.jwt")


@blp.route("/me/cycles/<uuid:registration_id>/<starts_on>/credential")
@login_required
@blp.response(200, content_type=JWT_TYPE, description="The cycle's Open Badges 3.0 credential (VC-JWT)")
@blp.alt_response(409, description="The cycle has not ended (cycle_not_ended) or was not met (cycle_not_met)")
def cycle_credential(registration_id: uuid.UUID, starts_on: str):
    """One of the caller's completed registration cycles (a registration id and the cycle's first day,
    YYYY-MM-DD, as /api/v1/progress/history lists them) as an Open Badges 3.0 OpenBadgeCredential
    signed as a VC-JWT: the framework's rules as criteria, the counted entries as evidence. 404 for
    no such cycle of the caller's; 409 while the cycle runs or when its rules were not met."""
    try:
        first_day = dt.date.fromisoformat(starts_on[:10]) if len(starts_on) == 10 else None
    except ValueError:
        first_day = None
    if first_day is None:
        raise ValidationFailed(
            "Give the cycle's first day as YYYY-MM-DD.", fields={"starts_on": ["is not a date"]}
        )
    issued = service.credential_for_cycle(
        owner=current_user(),
        registration_id=registration_id,
        starts_on=first_day,
        base_url=public_url(),
        now=utcnow(),
        ring=KeyRing.of(current_app),
    )
    return _download(issued, f"cycle-credential-{first_day.isoformat()}.jwt")


@blp.route("/record/clr")
@login_required
@blp.response(200, content_type=JWT_TYPE, description="The caller's record as a CLR 2.0 credential (VC-JWT)")
def record_clr():
    """The caller's verified record as a CLR 2.0 ClrCredential (VC-JWT) enveloping one Open Badges
    3.0 credential per verified entry. 409 `not_verified` when nothing has been verified yet."""
    issued = service.clr_for(
        owner=current_user(), base_url=public_url(), now=utcnow(), ring=KeyRing.of(current_app)
    )
    return _download(issued, "cpd-record-clr.jwt")


@pages.route("/credentials/issuers/<slug>")
def issuer(slug: str):
    """The organisation as an Open Badges 3.0 issuer Profile."""
    org = service.organisation_by_slug(slug)
    response = jsonify(service.issuer_profile(organisation=org, base_url=public_url()))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@pages.route("/credentials/status/<slug>")
def status_list(slug: str):
    """The organisation's revocation list, a signed BitstringStatusListCredential (VC-JWT)."""
    org = service.organisation_by_slug(slug)
    issued = service.status_list(
        organisation=org, base_url=public_url(), now=utcnow(), ring=KeyRing.of(current_app)
    )
    response = Response(issued.jwt, mimetype=JWT_TYPE)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def register(app, api) -> None:
    """Register the API blueprint and the public issuer pages."""
    api.register_blueprint(blp)
    app.register_blueprint(pages)
