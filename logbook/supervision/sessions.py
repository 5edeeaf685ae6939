"""Supervision sessions: record, confirm by both parties, actions carried forward until closed,
agreements, and whether supervision is overdue against the agreement or the organisation's policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from logbook.accounts import links
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import User
from logbook.audit import service as audit
from logbook.changefeed import record_change
from logbook.entries.models import Entry
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


# --- a supervision entry is its session -------------------------------------------------------

ENTRY_SESSION_HOUR = dt.time(12, 0, tzinfo=dt.UTC)  # an entry has a day, not a time: midday keeps the day


def session_of_entry(entry_id: uuid.UUID) -> SupervisionSession | None:
    """The session a supervision entry was logged as, if it has one."""
    return db.session.scalar(select(SupervisionSession).where(SupervisionSession.entry_id == entry_id))


def _entry_session_fields(entry: Entry) -> dict[str, Any]:
    details = entry.details or {}
    return {
        "starts_at": dt.datetime.combine(entry.start_date, ENTRY_SESSION_HOUR),
        "duration_minutes": min(600, max(5, entry_minutes(entry))),
        "format": details.get("format") if details.get("format") in SESSION_FORMATS else "individual",
        "agenda": details.get("agenda") or "",
        "summary": entry.description or "",
        "is_cancelled": bool(entry.is_deleted),
    }


def is_session_entry(*, actor: User, entry: Entry) -> bool:
    """Whether saving this entry may make, change or cancel a supervision session
    (session_for_entry does nothing for any other entry)."""
    return entry.kind == "supervision" and entry.owner_id == actor.id and entry.status != "draft"


def session_for_entry(*, actor: User, entry: Entry, now: dt.datetime) -> SupervisionSession | None:
    """Supervision is one thing: a supervision entry its owner logged naming a current supervisor
    (`details.supervisor_id`) is that supervision session, with both people. Made the first time the
    entry is saved (not as a draft), with the actions the entry lists (owned by the supervisor when the
    entry names them as owner, else by the supervisee) and the supervisee's confirmation (they logged
    it); the supervisor confirms it on their side. Later saves change the session to match (which asks
    both to confirm again); deleting the entry cancels it. Called by the entries API and by sync, so a
    supervision logged offline becomes the session when it syncs. None when no session applies."""
    if not is_session_entry(actor=actor, entry=entry):
        return None
    fields = _entry_session_fields(entry)
    session = session_of_entry(entry.id)
    if session is not None:
        if any(getattr(session, k) != v for k, v in fields.items()):
            update_session(
                actor=actor, session_id=session.id, base_version=session.version, changes=fields, now=now
            )
        return session
    raw = (entry.details or {}).get("supervisor_id")
    try:
        supervisor_id = uuid.UUID(str(raw)) if raw else None
    except ValueError:
        supervisor_id = None
    if entry.is_deleted or supervisor_id is None:
        return None
    if actor.id not in links.supervisee_ids(supervisor_id=supervisor_id, today=now.date()):
        return None  # not (or no longer) their supervisor: the entry still counts as supervision held
    fields.pop("is_cancelled")
    session = create_session(
        actor=actor, supervisor_id=supervisor_id, supervisee_id=actor.id, data=fields, now=now
    )
    session.entry_id = entry.id
    supervisor = db.session.get(User, supervisor_id)
    for item in (entry.details or {}).get("actions") or []:
        if not str(item.get("text") or "").strip():
            continue
        named = str(item.get("owner") or "").strip().lower()
        owner = supervisor_id if supervisor and named and named in supervisor.name.lower() else actor.id
        due = item.get("due_date")
        action = add_action(
            actor=actor,
            session_id=session.id,
            description=str(item["text"]),
            owner_id=owner,
            due_on=dt.date.fromisoformat(due) if isinstance(due, str) and due else due or None,
            now=now,
        )
        if item.get("is_done"):
            close_action(actor=actor, action_id=action.id, now=now, in_session_id=session.id)
    confirm_session(actor=actor, session_id=session.id, version=session.version, now=now)
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


@dataclass(frozen=True)
class SupervisionPolicy:
    """How often a person should have supervision, and for how long: from their agreement, else the
    organisation's supervision policy in its framework files, else the configured default."""

    days: int | None  # the frequency in days (a "month" counts as 31, so that it is not overdue on the 29th)
    period: (
        str | None
    )  # week, fortnight, month, quarter, year: a policy's calendar period; None for a number of days
    min_minutes: (
        int | None
    )  # the shortest session that counts (a policy's min_minutes, an agreement's length)
    basis: str  # "agreement", "<framework id> v<version>" or "default"

    @property
    def text(self) -> str:
        """The policy in a few words, e.g. "90 min monthly" or "every 42 days (default)"."""
        how = ADVERBS.get(self.period or "") or ADVERBS.get(DAYS_PERIOD.get(self.days or 0, ""))
        if how is None:
            how = f"every {self.days} days" if self.days else "no frequency set"
        length = f"{self.min_minutes} min " if self.min_minutes else ""
        return f"{length}{how}" + (" (default)" if self.basis == "default" else "")


ADVERBS = {
    "week": "weekly",
    "fortnight": "fortnightly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}
DAYS_PERIOD = {7: "week", 14: "fortnight", 28: "month", 30: "month", 31: "month", 92: "quarter"}


def _policy_rules(person: User, today: dt.date, compiled: dict[str, Any] | None) -> list[SupervisionPolicy]:
    """Every per-period supervision rule of the organisation's policies that applies to this person."""
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
    found: list[SupervisionPolicy] = []
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
                found.append(
                    SupervisionPolicy(
                        days, period, req.get("min_minutes"), f"{current.id} v{current.version}"
                    )
                )
    return found


def policy_days(
    person: User, default_days: int | None, today: dt.date, compiled: dict[str, Any] | None = None
) -> tuple[int | None, str]:
    """How often this person should have supervision under the organisation's supervision policies
    (`compiled`: the organisation's compiled frameworks, when the caller already has them)."""
    found = _policy_rules(person, today, compiled)
    # The most frequent of the policies that apply; the configured default only when none says.
    best = min(found, key=lambda p: (p.days or 0, p.basis)) if found else None
    return (best.days, best.basis) if best else (default_days, "default")


def supervision_policy(
    person: User, *, default_days: int | None, today: dt.date, agreement: SupervisionAgreement | None = None
) -> SupervisionPolicy:
    """The policy that decides when this person's supervision is due: their agreement's frequency,
    else the most frequent framework policy that applies to them, else the default."""
    if agreement is not None and agreement.frequency_days:
        return SupervisionPolicy(
            agreement.frequency_days, None, agreement.session_minutes or None, "agreement"
        )
    found = _policy_rules(person, today, None)
    if found:
        return min(found, key=lambda p: (p.days or 0, p.basis))
    return SupervisionPolicy(default_days, None, None, "default")


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
class SupervisionStatus:
    """Where one person's supervision stands: the policy, what was held, when the next is due and
    which of the policy's periods went by without a session long enough to count."""

    person_id: uuid.UUID
    policy: SupervisionPolicy
    held: list[tuple[dt.date, int]]  # (day, minutes) of every session held, oldest first
    last_held_on: dt.date | None
    next_due_on: dt.date | None
    is_overdue: bool
    missed: list[tuple[dt.date, dt.date]]  # whole periods of the last year with no session that counts

    def as_dict(self) -> dict[str, Any]:
        """The status as the wire schema reads it (GET /api/v1/supervision/status)."""
        return {
            "person_id": self.person_id,
            "policy_text": self.policy.text,
            "basis": self.policy.basis,
            "period": self.policy.period,
            "frequency_days": self.policy.days,
            "min_minutes": self.policy.min_minutes,
            "held_count": len(self.held),
            "last_held_on": self.last_held_on,
            "next_due_on": self.next_due_on,
            "is_overdue": self.is_overdue,
            "missed": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in self.missed],
        }


def held_supervision(
    *, person_id: uuid.UUID, today: dt.date, supervisor_id: uuid.UUID | None = None
) -> list[tuple[dt.date, int]]:
    """Supervision this person actually had, up to today, oldest first, as (day, minutes): every session
    held with any supervisor (not cancelled), and every supervision entry they logged that has no
    session behind it (a supervisor outside the app); an entry with a session counts once, as it.
    With `supervisor_id`: only the sessions with that supervisor (one supervision link's own record)."""
    end = dt.datetime.combine(today, dt.time.max, dt.UTC)
    query = select(SupervisionSession.starts_at, SupervisionSession.duration_minutes).where(
        SupervisionSession.supervisee_id == person_id,
        SupervisionSession.is_cancelled.is_(False),
        SupervisionSession.starts_at <= end,
    )
    if supervisor_id is not None:
        query = query.where(SupervisionSession.supervisor_id == supervisor_id)
    held = [(at.date(), minutes) for at, minutes in db.session.execute(query)]
    if supervisor_id is not None:
        return sorted(held)
    linked = select(SupervisionSession.entry_id).where(SupervisionSession.entry_id.is_not(None))
    for entry in db.session.scalars(
        select(Entry).where(
            Entry.owner_id == person_id,
            Entry.kind == "supervision",
            Entry.is_deleted.is_(False),
            Entry.status != "draft",
            Entry.start_date <= today,
            Entry.id.not_in(linked),
        )
    ):
        held.append((entry.start_date, entry_minutes(entry)))
    return sorted(held)


def entry_minutes(entry: Entry) -> int:
    """A supervision entry's length: its details' minutes, else its hours."""
    minutes = (entry.details or {}).get("duration_minutes")
    return int(minutes) if minutes else int(Decimal(entry.hours) * 60)


def _due_after(day: dt.date, policy: SupervisionPolicy) -> dt.date | None:
    if policy.period == "month":
        return engine.add_months_clamped(day, 1)
    return day + dt.timedelta(days=policy.days) if policy.days else None


def _periods_missed(
    held: list[tuple[dt.date, int]], policy: SupervisionPolicy, since: dt.date, today: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """Whole calendar months (or weeks, fortnights) of the last year, from `since`, ended before today,
    with no session of at least the policy's length. Only a policy with a period has them."""
    if policy.period not in ("month", "fortnight", "week"):
        return []
    counted = [day for day, minutes in held if not policy.min_minutes or minutes >= policy.min_minutes]
    periods: list[tuple[dt.date, dt.date]] = []
    if policy.period == "month":
        first = max(since, engine.add_months_clamped(today.replace(day=1), -12))
        cursor = (
            first.replace(day=1) if first.day == 1 else engine.add_months_clamped(first.replace(day=1), 1)
        )
        while (end := engine.add_months_clamped(cursor, 1) - dt.timedelta(days=1)) < today:
            periods.append((cursor, end))
            cursor = end + dt.timedelta(days=1)
    else:
        step = dt.timedelta(days=7 if policy.period == "week" else 14)
        end = today - dt.timedelta(days=1)
        while end - step + dt.timedelta(days=1) >= max(since, today - dt.timedelta(days=365)):
            periods.insert(0, (end - step + dt.timedelta(days=1), end))
            end -= step
    return [(a, b) for a, b in periods if not any(a <= day <= b for day in counted)]


def supervision_status(
    *, person: User, today: dt.date, default_days: int | None, supervisor_id: uuid.UUID | None = None
) -> SupervisionStatus:
    """The one rule for whether a person's supervision is on track (Home, the supervisor's list, the
    reminders and the due list all read it): the policy from their agreement (the most frequent of
    their current links'), else the employer's policy in the framework files, else the default; what
    was actually held (held_supervision); the next date due after the last held (or after supervision
    started); and the periods missed. With `supervisor_id`, one supervision link's status: its
    agreement and the sessions with that supervisor (line and clinical supervision are kept apart)."""
    query = select(SupervisionLink).where(
        SupervisionLink.supervisee_id == person.id,
        SupervisionLink.starts_on <= today,
        or_(SupervisionLink.ends_on.is_(None), SupervisionLink.ends_on >= today),
    )
    if supervisor_id is not None:
        query = query.where(SupervisionLink.supervisor_id == supervisor_id)
    current = list(db.session.scalars(query))
    agreements = [
        a
        for a in (db.session.get(SupervisionAgreement, link.id) for link in current)
        if a and a.frequency_days
    ]
    agreement = min(agreements, key=lambda a: a.frequency_days or 0) if agreements else None
    policy = supervision_policy(person, default_days=default_days, today=today, agreement=agreement)
    held = held_supervision(person_id=person.id, today=today, supervisor_id=supervisor_id)
    last = held[-1][0] if held else None
    started = min((link.starts_on for link in current), default=None)
    base = last or started
    due = _due_after(base, policy) if base else None
    missed = _periods_missed(held, policy, started or today, today) if started else []
    return SupervisionStatus(
        person_id=person.id,
        policy=policy,
        held=held,
        last_held_on=last,
        next_due_on=due,
        is_overdue=bool(due and due < today),
        missed=missed,
    )


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
    supervisee_name: str = ""


def supervision_due(
    *, viewer: User, scope: str, today: dt.date, default_days: int | None
) -> list[SupervisionDue]:
    """Supervision due or overdue for the viewer (me), their supervisees, or the whole organisation
    (admins): one row per current supervision link, each the supervisee's supervision_status."""
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
        status = supervision_status(
            person=supervisee, today=today, default_days=default_days, supervisor_id=link.supervisor_id
        )
        out.append(
            SupervisionDue(
                supervisee_id=link.supervisee_id,
                supervisor_id=link.supervisor_id,
                last_session_on=status.last_held_on,
                frequency_days=status.policy.days,
                basis=status.policy.basis,
                due_on=status.next_due_on,
                is_overdue=status.is_overdue,
                supervisee_name=supervisee.name,
            )
        )
    return out
