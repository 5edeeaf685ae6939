"""Supervision sessions: record, confirm by both parties, actions carried forward until closed,
agreements, and whether supervision is overdue against the agreement or the organisation's policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from logbook.accounts import links
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import User
from logbook.audit import service as audit
from logbook.changefeed import record_change
from logbook.errors import Conflict, Forbidden, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.frameworks import engine
from logbook.frameworks import service as frameworks
from logbook.supervision.models import (
    SESSION_FORMATS,
    SupervisionAction,
    SupervisionAgreement,
    SupervisionSession,
)

SESSION_TEXT = ("starts_at", "duration_minutes", "format", "location", "agenda", "summary", "is_cancelled")
# A policy "period" in days, generously rounded so that "monthly" is not overdue on the 29th.
PERIOD_DAYS = {"week": 7, "fortnight": 14, "month": 31, "quarter": 92, "year": 366}


# --- sessions --------------------------------------------------------------------------------


def session_changed(session: SupervisionSession, *, with_later: bool = False) -> None:
    """Put a session in both people's change feeds (their devices pull it); with_later also the pair's
    later sessions, whose carried-forward actions an action change alters."""
    ids = [session.id]
    if with_later:
        ids += list(
            db.session.scalars(
                select(SupervisionSession.id).where(
                    SupervisionSession.supervisor_id == session.supervisor_id,
                    SupervisionSession.supervisee_id == session.supervisee_id,
                    SupervisionSession.starts_at > session.starts_at,
                )
            )
        )
    for record_id in ids:
        for person in (session.supervisor_id, session.supervisee_id):
            record_change(entity="supervision_session", record_id=record_id, owner_id=person, is_shared=False)


def _party_session(actor: User, session_id: uuid.UUID, *, lock: bool = False) -> SupervisionSession:
    """A session the actor is one of the two people in; `lock` reads it afresh with its row locked
    until commit, for a change that moves its version on (two writers take turns)."""
    session = (
        db.session.get(
            SupervisionSession, session_id, with_for_update={"key_share": True}, populate_existing=True
        )
        if lock
        else db.session.get(SupervisionSession, session_id)
    )
    if session is None or actor.id not in (session.supervisor_id, session.supervisee_id):
        raise NotFound("No such supervision session.")
    return session


def session_content(session: SupervisionSession) -> dict[str, Any]:
    """What both parties confirm (and a signer signs): the session's record and its version, as JSON."""
    body = {name: getattr(session, name) for name in SESSION_TEXT}
    body["starts_at"] = session.starts_at.astimezone(dt.UTC).isoformat()
    return body | {"id": str(session.id), "version": session.version}


def content_sha256(content: dict[str, Any]) -> str:
    """SHA-256 of a session record's canonical JSON (sorted keys, no spaces, UTF-8)."""
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def session_hash(session: SupervisionSession) -> str:
    """SHA-256 of what both parties confirm: the session's record and its version."""
    return content_sha256(session_content(session))


def _check(data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if "format" in data and data["format"] not in SESSION_FORMATS:
        problems["format"] = [f"must be one of {', '.join(SESSION_FORMATS)}"]
    if "duration_minutes" in data and not 5 <= data["duration_minutes"] <= 600:
        problems["duration_minutes"] = ["must be between 5 and 600"]
    if data.get("starts_at") is not None and data["starts_at"].tzinfo is None:
        problems["starts_at"] = ["must include a time zone"]
    if problems:
        raise ValidationFailed("Some fields are not valid.", fields=problems)


def create_session(
    *,
    actor: User,
    supervisor_id: uuid.UUID,
    supervisee_id: uuid.UUID,
    data: dict[str, Any],
    now: dt.datetime,
    session_id: uuid.UUID | None = None,
) -> SupervisionSession:
    """Record (or plan) a session; the actor must be one of the two people and they must be linked."""
    if actor.id not in (supervisor_id, supervisee_id):
        raise Forbidden("You can only record your own supervision sessions.")
    if supervisee_id not in links.supervisee_ids(supervisor_id=supervisor_id, today=now.date()):
        raise ValidationFailed(
            "These two people have no current supervision link.",
            fields={"supervisor_id": ["is not a current supervisor of the supervisee"]},
        )
    _check(data)
    session = SupervisionSession(
        id=session_id or uuid.uuid4(),
        supervisor_id=supervisor_id,
        supervisee_id=supervisee_id,
        starts_at=data["starts_at"],
        duration_minutes=data.get("duration_minutes", 90),
        format=data.get("format", "individual"),
        location=data.get("location", ""),
        agenda=data.get("agenda", ""),
        summary=data.get("summary", ""),
        is_cancelled=False,
        version=1,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(session)
    db.session.flush()
    session_changed(session)
    return session


def update_session(
    *, actor: User, session_id: uuid.UUID, base_version: int, changes: dict[str, Any], now: dt.datetime
) -> SupervisionSession:
    """Change the record; any change clears both confirmations (each must confirm the new text)."""
    session = _party_session(actor, session_id, lock=True)
    if base_version != session.version:
        raise Conflict(
            "This session record changed since you opened it; reload it and try again.",
            code="stale_version",
            extra={"version": session.version},
        )
    changes = {k: v for k, v in changes.items() if k in SESSION_TEXT}
    _check(changes)
    if any(getattr(session, k) != v for k, v in changes.items()):
        for name, value in changes.items():
            setattr(session, name, value)
        session.version += 1
        session.updated_at = now
        session.supervisor_confirmed_at = None
        session.supervisee_confirmed_at = None
        session_changed(session, with_later="starts_at" in changes)
    db.session.flush()
    return session


def confirm_session(
    *, actor: User, session_id: uuid.UUID, version: int, now: dt.datetime
) -> SupervisionSession:
    """One party confirms the record as it stands at `version`; when both have, it is agreed."""
    session = _party_session(actor, session_id, lock=True)
    if version != session.version:
        raise Conflict(
            "The record changed after you read it; read it again before confirming.",
            code="stale_version",
            extra={"version": session.version},
        )
    if actor.id == session.supervisor_id:
        session.supervisor_confirmed_at = now
    else:
        session.supervisee_confirmed_at = now
    audit.append_event(
        kind="supervision_session.confirmed",
        actor=f"user:{actor.id}",
        subject_type="supervision_session",
        subject_id=session.id,
        data={"version": session.version, "content_sha256": session_hash(session)},
        now=now,
    )
    session_changed(session)
    db.session.flush()
    return session


def is_confirmed(session: SupervisionSession) -> bool:
    """Whether both parties confirmed the current record."""
    return session.supervisor_confirmed_at is not None and session.supervisee_confirmed_at is not None


def list_sessions(
    *, viewer: User, other_id: uuid.UUID | None = None, since: dt.datetime | None = None
) -> list[SupervisionSession]:
    """Sessions the viewer is a party to (optionally with one person, or from a time on), newest first."""
    query = select(SupervisionSession).where(
        or_(SupervisionSession.supervisor_id == viewer.id, SupervisionSession.supervisee_id == viewer.id)
    )
    if other_id is not None:
        query = query.where(
            or_(SupervisionSession.supervisor_id == other_id, SupervisionSession.supervisee_id == other_id)
        )
    if since is not None:
        query = query.where(SupervisionSession.starts_at >= since)
    return list(db.session.scalars(query.order_by(SupervisionSession.starts_at.desc())))


def get_session(*, viewer: User, session_id: uuid.UUID) -> SupervisionSession:
    """One session the viewer is a party to."""
    return _party_session(viewer, session_id)


# --- actions ---------------------------------------------------------------------------------


def add_action(
    *,
    actor: User,
    session_id: uuid.UUID,
    description: str,
    owner_id: uuid.UUID,
    due_on: dt.date | None,
    now: dt.datetime,
) -> SupervisionAction:
    """Agree an action in a session, owned by one of its two people."""
    session = _party_session(actor, session_id)
    if owner_id not in (session.supervisor_id, session.supervisee_id):
        raise ValidationFailed(
            "An action belongs to the supervisor or the supervisee.",
            fields={"owner_id": ["must be one of the two people in the session"]},
        )
    if not description.strip():
        raise ValidationFailed("Say what the action is.", fields={"description": ["is required"]})
    action = SupervisionAction(
        session_id=session.id,
        description=description.strip(),
        owner_id=owner_id,
        due_on=due_on,
        created_at=now,
    )
    db.session.add(action)
    db.session.flush()
    session_changed(session, with_later=True)
    return action


def close_action(
    *, actor: User, action_id: uuid.UUID, now: dt.datetime, in_session_id: uuid.UUID | None = None
) -> SupervisionAction:
    """Close an action (optionally noting the session where it was reviewed)."""
    action = db.session.get(
        SupervisionAction, action_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if action is None:
        raise NotFound("No such action.")
    session = _party_session(actor, action.session_id)
    if in_session_id is not None:
        _party_session(actor, in_session_id)
    if action.closed_at is None:
        action.closed_at = now
        action.closed_in_session_id = in_session_id
        session_changed(session, with_later=True)
    db.session.flush()
    return action


def actions_for(session: SupervisionSession) -> dict[str, list[SupervisionAction]]:
    """The session's own actions, and the open ones carried forward from earlier sessions of the pair."""
    own = list(
        db.session.scalars(
            select(SupervisionAction)
            .where(SupervisionAction.session_id == session.id)
            .order_by(SupervisionAction.created_at)
        )
    )
    earlier = (
        select(SupervisionSession.id)
        .where(
            SupervisionSession.supervisor_id == session.supervisor_id,
            SupervisionSession.supervisee_id == session.supervisee_id,
            SupervisionSession.starts_at < session.starts_at,
        )
        .scalar_subquery()
    )
    carried = list(
        db.session.scalars(
            select(SupervisionAction)
            .where(
                SupervisionAction.session_id.in_(earlier),
                or_(
                    SupervisionAction.closed_at.is_(None),
                    SupervisionAction.closed_in_session_id == session.id,
                ),
            )
            .order_by(SupervisionAction.due_on, SupervisionAction.created_at)
        )
    )
    return {"actions": own, "carried_forward": carried}


def open_actions(*, user: User) -> list[SupervisionAction]:
    """Every open action this person owns, soonest due first."""
    return list(
        db.session.scalars(
            select(SupervisionAction)
            .where(SupervisionAction.owner_id == user.id, SupervisionAction.closed_at.is_(None))
            .order_by(SupervisionAction.due_on, SupervisionAction.created_at)
        )
    )


# --- agreements and overdue ------------------------------------------------------------------


def set_agreement(
    *, actor: User, link_id: uuid.UUID, data: dict[str, Any], today: dt.date
) -> SupervisionAgreement:
    """Record the supervision agreement for a link (either party, or an org admin)."""
    link = db.session.get(SupervisionLink, link_id)
    if link is None:
        raise NotFound("No such supervision link.")
    supervisee = db.session.get(User, link.supervisee_id)
    if supervisee is None:
        raise RuntimeError("the link's foreign key: cannot be missing")
    if actor.id not in (link.supervisor_id, link.supervisee_id) and not (
        actor.is_org_admin and supervisee.organisation_id == actor.organisation_id
    ):
        raise NotFound("No such supervision link.")
    agreement = db.session.get(SupervisionAgreement, link_id) or SupervisionAgreement(link_id=link_id)
    for name in ("frequency_days", "session_minutes", "recorded_where", "notes"):
        if name in data:
            setattr(agreement, name, data[name])
    agreement.agreed_on = data.get("agreed_on") or today
    agreement.session_minutes = agreement.session_minutes or 90
    agreement.recorded_where = agreement.recorded_where or ""
    agreement.notes = agreement.notes or ""
    db.session.add(agreement)
    db.session.flush()
    return agreement


def policy_days(
    person: User, default_days: int | None, today: dt.date, compiled: dict[str, Any] | None = None
) -> tuple[int | None, str]:
    """How often this person should have supervision under the organisation's supervision policies
    (`compiled`: the organisation's compiled frameworks, when the caller already has them)."""
    regulators = {r.regulator for r in person.registrations}
    # The job role's service area counts too (as in the frameworks' own progress view).
    areas = {
        a
        for a in (getattr(person.team, "service_area", None), getattr(person.job_role, "service_area", None))
        if a
    }
    if compiled is None:
        try:
            compiled = frameworks.compiled_frameworks(organisation_id=person.organisation_id)
        except Exception:  # noqa: BLE001 - a broken framework file must not hide overdue supervision
            compiled = {}
    found: list[tuple[int, str]] = []
    for versions in compiled.values():
        current = engine.version_for(versions, today) if versions else None
        if current is None or current.kind != "supervision_policy":
            continue
        if not engine.policy_applies(current, regulators=regulators, service_areas=areas):
            continue
        for req in current.requirements:
            if req.get("measure") != "per_period":
                continue
            period = req.get("period", "")
            if _is_newly_qualified(person, current, req.get("newly_qualified"), today):
                period = req["newly_qualified"].get("period", period)
            if days := PERIOD_DAYS.get(period):
                found.append((days, f"{current.id} v{current.version}"))
    # The most frequent of the policies that apply; the configured default only when none says.
    return min(found) if found else (default_days, "default")


def _is_newly_qualified(person: User, policy: Any, rule: dict[str, Any] | None, today: dt.date) -> bool:
    """Whether the person first registered with the policy's regulator within the rule's months."""
    if not rule or not rule.get("within_months"):
        return False
    regulators = set((policy.applies_to or {}).get("regulators") or ())
    since = [
        r.registered_since for r in person.registrations if r.regulator in regulators and r.registered_since
    ]
    cutoff = today - dt.timedelta(days=round(rule["within_months"] * 30.44))
    return bool(since) and min(since) > cutoff


@dataclass(frozen=True)
class SupervisionDue:
    """Where one supervisee stands: when they last had supervision and when the next is due."""

    supervisee_id: uuid.UUID
    supervisor_id: uuid.UUID
    last_session_on: dt.date | None
    frequency_days: int | None
    basis: str
    due_on: dt.date | None
    is_overdue: bool


def supervision_due(
    *, viewer: User, scope: str, today: dt.date, default_days: int | None
) -> list[SupervisionDue]:
    """Supervision due or overdue for the viewer (me), their supervisees, or the whole organisation
    (admins), from the last session held (not cancelled) and the agreement's or policy's frequency."""
    query = select(SupervisionLink).where(
        SupervisionLink.starts_on <= today,
        or_(SupervisionLink.ends_on.is_(None), SupervisionLink.ends_on >= today),
    )
    if scope == "me":
        query = query.where(SupervisionLink.supervisee_id == viewer.id)
    elif scope == "supervisees":
        query = query.where(SupervisionLink.supervisor_id == viewer.id)
    elif scope == "organisation" and viewer.is_org_admin:
        query = query.join(User, User.id == SupervisionLink.supervisee_id).where(
            User.organisation_id == viewer.organisation_id
        )
    else:
        raise Forbidden("Only org admins can see the whole organisation's supervision.")
    out = []
    for link in db.session.scalars(query):
        supervisee = db.session.get(User, link.supervisee_id)
        if supervisee is None:
            raise RuntimeError("the link's foreign key: cannot be missing")
        agreement = db.session.get(SupervisionAgreement, link.id)
        days: int | None
        if agreement is not None and agreement.frequency_days:
            days, basis = agreement.frequency_days, "agreement"
        else:
            days, basis = policy_days(supervisee, default_days, today)
        last = db.session.scalar(
            select(func.max(SupervisionSession.starts_at)).where(
                and_(
                    SupervisionSession.supervisor_id == link.supervisor_id,
                    SupervisionSession.supervisee_id == link.supervisee_id,
                    SupervisionSession.is_cancelled.is_(False),
                    SupervisionSession.starts_at <= dt.datetime.combine(today, dt.time.max, dt.UTC),
                )
            )
        )
        last_on = last.date() if last else None
        start = last_on or link.starts_on
        due = start + dt.timedelta(days=days) if days else None
        out.append(
            SupervisionDue(
                supervisee_id=link.supervisee_id,
                supervisor_id=link.supervisor_id,
                last_session_on=last_on,
                frequency_days=days,
                basis=basis,
                due_on=due,
                is_overdue=bool(due and due < today),
            )
        )
    return out
