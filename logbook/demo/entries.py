"""A year of realistic CPD entries for each demo practitioner (deterministic and idempotent).

Entries are made through the entries service, so they have revisions and change-feed rows like any
other. Each entry's id is derived from the person and its place in the year, so running the demo
again makes nothing new. Standards are tagged against whatever framework versions are loaded.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from logbook.accounts.models import Registration, User
from logbook.config import KeyRing
from logbook.demo import supervision, workdays
from logbook.entries import service
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks import service as frameworks
from logbook.frameworks.models import FrameworkVersion
from logbook.notifications.models import Notification

NAMESPACE = uuid.UUID("6d1f3c0e-4a59-4f7e-9c59-0a5d3b1e2f10")

TOPICS: dict[str, list[str]] = {
    "social_care": [
        "the neglect toolkit",
        "Signs of Safety mapping",
        "Graded Care Profile 2",
        "contextual safeguarding",
        "child criminal exploitation",
        "Safe and Together and domestic abuse",
        "court skills and writing parenting assessments",
        "direct work with children",
        "trauma-informed practice",
        "parental mental health and child protection",
    ],
    "education": [
        "EHCP annual reviews",
        "attachment-aware schools",
        "dynamic assessment",
        "Emotion Coaching",
        "autism in girls",
        "precision teaching",
        "trauma-informed practice in schools",
        "Personal Education Plans for children in care",
        "emotionally based school avoidance",
    ],
    "send": [
        "EHCP annual reviews",
        "the SEND Code of Practice",
        "preparing for adulthood",
        "writing outcomes in section E",
        "SEND tribunal preparation",
        "co-production with parents and carers",
    ],
    "health": [
        "speech sound disorders",
        "Developmental Language Disorder",
        "safe sleep and sudden infant death",
        "perinatal mental health",
        "ASQ-3 developmental reviews",
        "infant feeding",
        "sensory processing in the early years",
        "safeguarding supervision for health practitioners",
        "was not brought: missed health appointments",
    ],
    "early_years": [
        "the EYFS statutory framework changes",
        "schemas in young children's play",
        "Early Talk Boost",
        "SEND in the early years",
        "Makaton signing",
        "the two-year-old progress check",
        "Graded Care Profile 2",
    ],
    "early_help": [
        "Graded Care Profile 2",
        "motivational interviewing",
        "restorative practice",
        "parenting programmes",
        "young carers",
        "the neglect toolkit",
        "reducing parental conflict",
        "trauma-informed practice",
    ],
    "business_support": [
        "learning needs analysis",
        "evaluating training impact",
        "coaching skills for managers",
        "trauma-informed organisations",
    ],
}
PROVIDERS = [
    "Research in Practice",
    "NSPCC Learning",
    "Northshire Safeguarding Children Partnership",
    "Northshire Workforce Development",
    "Tavistock and Portman",
    "Council for Disabled Children",
    "Institute of Health Visiting",
    "RCSLT",
]
PROFESSIONS = [
    "health visitor",
    "school nurse",
    "teacher",
    "educational psychologist",
    "speech and language therapist",
    "social worker",
    "paediatrician",
    "police officer",
    "early years practitioner",
]
READING = [
    "Munro (2011) The Munro Review of Child Protection: Final Report",
    "Working Together to Safeguard Children (2023)",
    "Child Safeguarding Practice Review Panel annual report",
    "Ofsted (2024) Inspecting local authority children's services",
    "Dodd (2014) Differential diagnosis of pediatric speech sound disorder",
    "Golding et al. (2013) Observing Adolescents with Attachment Difficulties",
    "Brandon et al. (2020) Complexity and challenge: a triennial analysis of serious case reviews",
    "Bercow: Ten Years On (2018)",
]
# Standards that fit a kind best, by framework (any other code may be added at random).
HINTS: dict[tuple[str, str], str] = {
    ("swe", "supervision"): "4.2",
    ("swe", "practice_feedback"): "4.1",
    ("swe", "reading"): "4.3",
    ("swe", "peer_reflection"): "4.6",
    ("swe", "reflective_learning_set"): "4.5",
    ("hcpc", "reading"): "3",
    ("hcpc", "practice_feedback"): "4",
}
# (kind, how many in a year) for everyone; NMC registrants add the NMC's own kinds.
PLAN: list[tuple[str, int]] = [
    ("supervision", 6),
    ("appraisal", 1),
    ("study_day", 2),
    ("course", 1),
    ("bite_size_workshop", 3),
    ("team_study_day", 1),
    ("reflective_learning_set", 2),
    ("conference", 1),
    ("shadowing", 1),
    ("reading", 2),
    ("peer_reflection", 1),
    ("practice_feedback", 2),
    ("other", 1),
]
NMC_PLAN: list[tuple[str, int]] = [
    ("reflective_account", 5),
    ("reflective_discussion", 1),
    ("practice_hours", 2),
]
HOURS = {
    "supervision": (1.5, 1.5),
    "appraisal": (1.5, 2),
    "study_day": (6, 6.5),
    "course": (6, 13),
    "bite_size_workshop": (1, 1.5),
    "team_study_day": (5, 6),
    "reflective_learning_set": (2, 2.5),
    "conference": (5.5, 6.5),
    "shadowing": (3, 7),
    "reading": (1, 3),
    "peer_reflection": (1, 1.5),
    "practice_feedback": (0.5, 1),
    "other": (1, 3),
    "reflective_account": (1, 1.5),
    "reflective_discussion": (1, 1),
}
TITLES = {
    "supervision": "Supervision: {topic}",
    "appraisal": "Annual appraisal",
    "study_day": "Study day: {topic}",
    "course": "Course: {topic}",
    "bite_size_workshop": "Bite-size workshop: {topic}",
    "team_study_day": "Team study day: {topic}",
    "reflective_learning_set": "Reflective learning set: {topic}",
    "conference": "Conference: {topic}",
    "shadowing": "Shadowing a {profession}",
    "reading": "Reading: {topic}",
    "peer_reflection": "Peer reflection on {topic}",
    "practice_feedback": "Feedback from a {source_label}",
    "other": "Practice development: {topic}",
    "reflective_account": "Reflective account: {topic}",
    "reflective_discussion": "Reflective discussion",
    "practice_hours": "Practice hours",
}
SOURCES = {
    "child_or_young_person": "young person",
    "parent_carer": "parent",
    "colleague": "colleague",
    "manager": "manager",
}


# Where entries stand, dealt in turn within each month so that every month has every status (and
# insights' monthly trends never stop): people with a supervisor in the organisation ask for sign-off.
SUPERVISED_STATUSES = (
    "signed_off",
    "recorded",
    "submitted",
    "signed_off",
    "returned",
    "recorded",
    "signed_off",
    "draft",
)
UNSUPERVISED_STATUSES = ("recorded", "recorded", "recorded", "draft")


def entry_id(user: User, n: int) -> uuid.UUID:
    """The demo entry's id: the same person and place always give the same id."""
    return uuid.uuid5(NAMESPACE, f"{user.email}:{n}")


def _reflection(template: str, topic: str, rng: random.Random) -> dict[str, Any]:
    what = f"I took part in learning on {topic} and compared it with how our team works now."
    so_what = rng.choice(
        [
            f"It changed how I think about {topic}: I had been relying on habit more than evidence.",
            f"It matters because children's experience depends on us getting {topic} right every time.",
            f"It confirmed some of my practice and challenged my assumptions about {topic}.",
        ]
    )
    now_what = rng.choice(
        [
            "I will bring one case to supervision and try the approach with a family next month.",
            "I will share a one-page summary with the team and review it at our next meeting.",
            "I have booked follow-up reading and will check my next three assessments against it.",
        ]
    )
    if template == "gibbs":
        return {
            "template": "gibbs",
            "answers": {
                "description": what,
                "feelings": "Unsure at first, then more confident as we worked through examples together.",
                "evaluation": "The case discussion was the most useful part; the theory felt rushed.",
                "analysis": so_what,
                "conclusion": "I could have asked the group earlier for their experience.",
                "action_plan": now_what,
            },
        }
    if template == "free":
        return {"template": "free", "answers": {"text": f"{what} {so_what} {now_what}"}}
    return {"template": "rolfe", "answers": {"what": what, "so_what": so_what, "now_what": now_what}}


def _details(  # noqa: PLR0911 - one plain branch per kind reads better than a table of lambdas
    kind: str, topic: str, user: User, supervisor: User | None, rng: random.Random
) -> dict[str, Any]:
    provider = rng.choice(PROVIDERS)
    if kind == "supervision":
        return {
            "supervisor_name": supervisor.name if supervisor else "External supervisor",
            "format": rng.choice(["individual", "individual", "group", "peer"]),
            "duration_minutes": 90,
            "agenda": f"Caseload and wellbeing; reflection on {topic}; learning and development",
            "actions": [{"text": f"Read more on {topic}", "owner": user.name, "is_done": rng.random() < 0.6}],
        }
    if kind == "appraisal":
        return {
            "reviewer_name": supervisor.name if supervisor else "Line manager",
            "objectives": [
                {"text": f"Build confidence in {topic}", "status": "met"},
                {"text": "Complete the safeguarding refresher", "status": "in_progress"},
            ],
            "review_notes": "A good year; continue with reflective supervision.",
        }
    if kind in {"study_day", "course", "bite_size_workshop", "team_study_day", "conference"}:
        return {"provider": provider, "location": rng.choice(["Online", "Town Hall", "Northshire House"])}
    if kind == "reflective_learning_set":
        return {"set_name": f"{topic.capitalize()} learning set", "facilitator": "Fiona Campbell"}
    if kind == "shadowing":
        return {"profession_shadowed": rng.choice(PROFESSIONS), "team_shadowed": "0-19 Health and Therapies"}
    if kind == "reading":
        return {"source": rng.choice(READING)}
    if kind == "peer_reflection":
        return {
            "peer_name": "Tom Bradley" if user.name != "Tom Bradley" else "Amara Okafor",
            "peer_role": "Social worker",
        }
    if kind == "practice_feedback":
        source = rng.choice(list(SOURCES))
        return {
            "source": source,
            "summary": "Said they felt listened to and that plans were explained clearly.",
            "what_changed": "I now check understanding at the end of every visit.",
        }
    if kind == "reflective_account":
        return {
            "nature_of_activity": f"Learning on {topic}",
            "what_did_you_learn": f"Current evidence on {topic} and how to explain it to parents.",
            "how_did_you_change_or_improve": "I changed the advice I give at new birth visits.",
            "code_themes": rng.sample(
                ["prioritise_people", "practise_effectively", "preserve_safety", "promote_professionalism"], 2
            ),
            "relevance_to_the_code": "Keeping my knowledge up to date so that advice is safe and effective.",
        }
    if kind == "reflective_discussion":
        return {"partner_name": "Ruth Adebayo", "partner_nmc_pin": "98Y0552E"}
    if kind == "practice_hours":
        return {
            "registration": "nurse",
            "organisation": "Northshire Children's Services",
            "setting": "Community 0-19 service",
            "scope_of_practice": "Specialist community public health nursing",
            "work_description": "Universal and targeted health visiting caseload.",
        }
    return {}


def _tags(kind: str, versions: list[FrameworkVersion], rng: random.Random) -> list[dict[str, Any]]:
    tags = []
    for fv in versions:
        codes = [c for c in fv.standard_codes if c.isdigit()] or list(fv.standard_codes)
        if not codes:
            continue
        hint = HINTS.get((fv.framework_id, kind))
        chosen = {hint} if hint in fv.standard_codes else set()
        chosen |= set(rng.sample(codes, min(len(codes), rng.choice([1, 2]))))
        tags += [{"framework": fv.framework_id, "version": fv.version, "code": c} for c in sorted(chosen)]
    return tags


def _frameworks_for(regulators: list[str], by_id: dict[str, FrameworkVersion]) -> list[FrameworkVersion]:
    """The latest version of each framework the person follows (their regulator's, else the Common Core)."""
    wanted = [r.lower() for r in regulators] or ["common-core"]
    return [by_id[f] for f in wanted if f in by_id]


def _plan(regulators: list[str]) -> list[str]:
    plan = PLAN + (NMC_PLAN if "NMC" in regulators else [])
    return [kind for kind, count in plan for _ in range(count)]


def _entry_data(
    *,
    n: int,
    kind: str,
    day: dt.date,
    user: User,
    supervisor: User | None,
    topics: list[str],
    tags: list,
    rng,
) -> dict[str, Any]:
    topic = rng.choice(topics)
    low, high = HOURS.get(kind, (1, 2))
    hours = Decimal(str(round(rng.uniform(low, high) * 2) / 2)) or Decimal("0.5")
    end = None
    if kind == "course" and hours > 7:  # two days running, both working days
        while not workdays.is_working_day(day + dt.timedelta(days=1)):
            day = workdays.on_or_before(day - dt.timedelta(days=1))
        end = day + dt.timedelta(days=1)
    if kind == "practice_hours":
        end, hours = workdays.on_or_before(day + dt.timedelta(days=59)), Decimal(rng.choice([180, 210, 225]))
    details = _details(kind, topic, user, supervisor, rng)
    title_bits = {
        "topic": topic,
        "profession": details.get("profession_shadowed", ""),
        "source_label": SOURCES.get(details.get("source", ""), "colleague"),
    }
    template = {"appraisal": "free", "reflective_learning_set": "gibbs", "peer_reflection": "gibbs"}.get(
        kind, "rolfe"
    )
    if kind in {"reflective_account", "reflective_discussion", "practice_hours"}:
        template = "free"
    visibility = (
        "supervisors"
        if kind in {"supervision", "appraisal"}
        else rng.choice(["private", "supervisors", "supervisors", "organisation", "organisation"])
    )
    return {
        "id": entry_id(user, n),
        "kind": kind,
        "title": TITLES[kind].format(**title_bits)[:200],
        "description": f"{TITLES[kind].format(**title_bits)}, {day:%B %Y}.",
        "start_date": day,
        "end_date": end,
        "hours": hours,
        "reflection": _reflection(template, topic, rng),
        "impact_on_practice": f"I use what I learnt about {topic} in assessments and plans.",
        "impact_on_people": "Children and families get clearer explanations and better-targeted help.",
        "ways_of_knowing": sorted(
            rng.sample(["propositional", "experiential", "practical", "presentational"], 2)
        ),
        "other_professions": sorted(rng.sample(PROFESSIONS, rng.choice([0, 1, 2]))),
        "standards": tags,
        "common_core": sorted(rng.sample([str(i) for i in range(1, 7)], rng.choice([1, 2, 3]))),
        "details": details,
        "visibility": visibility,
        "status": "recorded",
    }


def build_demo_entries(*, organisation_id: Any, people: list[User], today: dt.date, ring: KeyRing) -> int:
    """Give each demo practitioner a year of entries of every kind, on working days, with the session
    record behind each supervision entry and a mix of statuses in every month; returns how many were made."""
    supervisors = supervision.link_supervisors(people, today)
    latest: dict[str, FrameworkVersion] = {}
    for fv in frameworks.visible_versions(organisation_id=organisation_id):
        if fv.framework_id not in latest or fv.version > latest[fv.framework_id].version:
            latest[fv.framework_id] = fv
    practitioners = [p for p in people if p.is_practitioner]
    # Read from the table, not user.registrations: registrations added this run are not in that list yet.
    regulators: dict[Any, list[str]] = {p.id: [] for p in practitioners}
    for user_id, regulator in db.session.execute(
        select(Registration.user_id, Registration.regulator)
        .where(Registration.user_id.in_(list(regulators)))
        .order_by(Registration.regulator)
    ):
        regulators.setdefault(user_id, []).append(regulator)
    wanted = {entry_id(p, n) for p in practitioners for n in range(len(_plan(regulators[p.id])))}
    existing = set(db.session.scalars(select(Entry.id).where(Entry.id.in_(wanted))))
    ids = [p.id for p in people]
    unsent_before = set(
        db.session.scalars(
            select(Notification.id).where(Notification.user_id.in_(ids), Notification.emailed_at.is_(None))
        )
    )
    dealt: dict[tuple[int, int, bool], int] = {}
    made = 0
    for user in practitioners:
        rng = random.Random(user.email)  # noqa: S311 - demo data, not security  # nosec B311
        kinds = _plan(regulators[user.id])
        rng.shuffle(kinds)
        topics = TOPICS.get(user.team.service_area if user.team else "", TOPICS["early_help"])
        versions = _frameworks_for(regulators[user.id], latest)
        supervisor = supervisors.get(user.id)
        step = 360 / len(kinds)
        for n, kind in enumerate(kinds):
            day = today - dt.timedelta(days=int(360 - n * step) - rng.randint(0, 3)) - dt.timedelta(days=2)
            if kind == "practice_hours":
                day -= dt.timedelta(days=60)
            data = _entry_data(
                n=n,
                kind=kind,
                day=workdays.on_or_before(day),
                user=user,
                supervisor=supervisor,
                topics=topics,
                tags=_tags(kind, versions, rng),
                rng=rng,
            )
            start = data["start_date"]
            turn = (start.year, start.month, supervisor is not None)
            statuses = SUPERVISED_STATUSES if supervisor is not None else UNSUPERVISED_STATUSES
            status = statuses[dealt.get(turn, 0) % len(statuses)]
            dealt[turn] = dealt.get(turn, 0) + 1
            if data["id"] in existing:
                continue
            data["status"] = "draft" if status == "draft" else "recorded"
            now = dt.datetime.combine(start, dt.time(17, 30), tzinfo=dt.UTC)
            # `existing` was read above in one query, so create_entry need not look the id up again.
            entry = service.create_entry(owner=user, data=data, now=now, id_checked=True)
            if kind == "supervision" and supervisor is not None:
                supervision.record_session(entry=entry, owner=user, supervisor=supervisor, today=today)
            if supervisor is not None and status in ("submitted", "returned", "signed_off"):
                supervision.sign_off(
                    entry=entry, owner=user, supervisor=supervisor, outcome=status, today=today, ring=ring
                )
            made += 1
    db.session.flush()
    # The demo's notifications are history: mark them emailed so that building it sends nothing
    # (its addresses are .example ones anyway); they stay in each person's list in the app.
    for row in db.session.scalars(
        select(Notification).where(Notification.user_id.in_(ids), Notification.emailed_at.is_(None))
    ):
        if row.id not in unsent_before:
            row.emailed_at = row.created_at
    db.session.flush()
    return made
