"""The canonical entry kinds and statuses shared by the whole app (frameworks refer to them by code)."""

from __future__ import annotations

KIND_LABELS: dict[str, str] = {
    "supervision": "Supervision session",
    "appraisal": "Appraisal",
    "study_day": "Study day",
    "course": "Course",
    "bite_size_workshop": "Bite-size workshop",
    "team_study_day": "Team study day",
    "reflective_learning_set": "Reflective learning set",
    "conference": "Conference",
    "shadowing": "Shadowing",
    "reading": "Reading / self-directed learning",
    "peer_reflection": "Peer reflection",
    "practice_feedback": "Practice-related feedback",
    "reflective_account": "Reflective account",
    "reflective_discussion": "Reflective discussion",
    "practice_hours": "Practice hours",
    "other": "Other",
}
KINDS: tuple[str, ...] = tuple(KIND_LABELS)

STATUS_LABELS: dict[str, str] = {
    "draft": "Draft",
    "recorded": "Recorded",
    "submitted": "Awaiting sign-off",
    "signed_off": "Signed off",
    "returned": "Returned",
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
