"""Registrations an imported record claims are proposals, not registrations (docs/record-format.md).

A record file is written by whoever posts it, so its `person.registrations` never become registrations
directly (a regulator named `=HYPERLINK(…)` would otherwise reach the compliance insight and its CSV).
Each is kept as a proposal that an org admin of the person's organisation lists, then confirms (the
values are validated exactly as the admin API validates a registration, and the registration is
created) or rejects. Nobody confirms a proposal about themselves, and an admin of another organisation
does not see it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from logbook.accounts import service as accounts
from logbook.accounts.models import User
from logbook.accounts.schemas import RegistrationSchema
from logbook.audit import service as audit
from logbook.errors import Conflict, Forbidden, NotFound, ValidationFailed
from logbook.exports.models import PROPOSAL_STATES, RegistrationProposal
from logbook.extensions import db


def _key(values: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(values.get("regulator") or ""),
        str(values.get("registration_number") or ""),
        str(values.get("profession") or ""),
    )


def propose(
    *, user: User, proposed: list[dict[str, Any]], record_import_id: uuid.UUID | None, now: dt.datetime
) -> list[RegistrationProposal]:
    """Keep each claimed registration the person does not already hold (or have pending) as a
    pending proposal; nothing becomes a registration here."""
    known = {
        _key(
            {
                "regulator": r.regulator,
                "registration_number": r.registration_number,
                "profession": r.profession,
            }
        )
        for r in user.registrations
    }
    known |= {
        _key(p.proposed)
        for p in db.session.scalars(
            select(RegistrationProposal).where(
                RegistrationProposal.user_id == user.id, RegistrationProposal.state == "pending"
            )
        )
    }
    out = []
    for values in proposed:
        if _key(values) in known:
            continue
        known.add(_key(values))
        row = RegistrationProposal(
            user_id=user.id,
            organisation_id=user.organisation_id,
            record_import_id=record_import_id,
            proposed=values,
            state="pending",
            created_at=now,
        )
        db.session.add(row)
        out.append(row)
    db.session.flush()
    return out


def list_proposals(
    *, organisation_id: uuid.UUID, state: str | None = "pending"
) -> list[RegistrationProposal]:
    """The organisation's proposals (pending by default), oldest first."""
    query = select(RegistrationProposal).where(RegistrationProposal.organisation_id == organisation_id)
    if state is not None:
        if state not in PROPOSAL_STATES:
            raise ValidationFailed(
                "Unknown state.", fields={"state": [f"must be one of {', '.join(PROPOSAL_STATES)}"]}
            )
        query = query.where(RegistrationProposal.state == state)
    return list(db.session.scalars(query.order_by(RegistrationProposal.created_at, RegistrationProposal.id)))


def _pending(*, actor: User, proposal_id: uuid.UUID) -> RegistrationProposal:
    proposal = db.session.get(RegistrationProposal, proposal_id)
    if proposal is None or proposal.organisation_id != actor.organisation_id or not actor.is_org_admin:
        raise NotFound("No such registration proposal.")
    if proposal.user_id == actor.id:
        raise Forbidden("A registration you imported yourself must be confirmed by another org admin.")
    if proposal.state != "pending":
        raise Conflict(f"This proposal was already {proposal.state}.", code="proposal_closed")
    return proposal


def confirm(
    *, actor: User, proposal_id: uuid.UUID, changes: dict[str, Any] | None = None, now: dt.datetime
) -> RegistrationProposal:
    """Confirm a proposal (optionally corrected by the admin): validated exactly like a registration
    added through the admin API, which it then becomes."""
    proposal = _pending(actor=actor, proposal_id=proposal_id)
    values = {k: v for k, v in proposal.proposed.items() if v is not None} | dict(changes or {})
    try:
        data = RegistrationSchema().load(values)
    except ValidationError as err:
        raise ValidationFailed(
            "The proposed registration is not valid; correct it or reject it.",
            fields={k: v if isinstance(v, list) else [str(v)] for k, v in err.messages_dict.items()},
        ) from err
    registration = accounts.add_registration(
        organisation_id=actor.organisation_id, user_id=proposal.user_id, data=data
    )
    proposal.state = "confirmed"
    proposal.registration_id = registration.id
    proposal.decided_by_id = actor.id
    proposal.decided_at = now
    audit.append_event(
        kind="registration_proposal.confirmed",
        actor=f"user:{actor.id}",
        subject_type="registration_proposal",
        subject_id=proposal.id,
        data={"user_id": str(proposal.user_id), "registration_id": str(registration.id)},
        now=now,
    )
    db.session.flush()
    return proposal


def reject(*, actor: User, proposal_id: uuid.UUID, now: dt.datetime) -> RegistrationProposal:
    """Reject a proposal: no registration is made."""
    proposal = _pending(actor=actor, proposal_id=proposal_id)
    proposal.state = "rejected"
    proposal.decided_by_id = actor.id
    proposal.decided_at = now
    audit.append_event(
        kind="registration_proposal.rejected",
        actor=f"user:{actor.id}",
        subject_type="registration_proposal",
        subject_id=proposal.id,
        data={"user_id": str(proposal.user_id)},
        now=now,
    )
    db.session.flush()
    return proposal
