"""Each insight view on the hand-built organisation, with known answers and with suppression."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from logbook.accounts.models import Team, User
from logbook.config import KeyRing
from logbook.errors import Forbidden
from logbook.extensions import db
from logbook.insights import service
from tests.insights.cast import SECRET, entry


def _view(app, user_id, view, threshold=1, **filters):
    with app.app_context():
        viewer = db.session.get(User, user_id)
        return service.insight_view(
            viewer=viewer,
            view=view,
            filters=filters,
            threshold=threshold,
            today=dt.date(2026, 6, 1),
            ring=KeyRing.of(app),
        )


def _cell(out, row, column):
    return out["cells"][out["rows"].index(row)][out["columns"].index(column)]


def _row_total(out, row):
    return out["row_totals"][out["rows"].index(row)]


def test_learning_mix_by_profession_known_answers(app, known_org, admin):
    out = _view(app, admin.id, "learning-mix-profession")
    assert out["columns"] == ["nurse", "social worker"]
    assert _cell(out, "course", "social worker") == {"entries": 6, "hours": 12.0, "people": 6}
    assert _cell(out, "course", "nurse") == {"entries": 4, "hours": 4.0, "people": 4}
    assert _cell(out, "shadowing", "social worker") == {"entries": 1, "hours": 3.0, "people": 1}
    assert _cell(out, "team_study_day", "nurse") == {"entries": 1, "hours": 0.0, "people": 1}
    assert _cell(out, "appraisal", "nurse") == {"entries": 0, "hours": 0, "people": 0}
    assert _row_total(out, "course") == {"entries": 10, "hours": 16.0, "people": 10}
    # Private, supervisors-only, draft, deleted and other organisations' entries never count.
    assert out["total"] == {"entries": 12, "hours": 19.0, "people": 10}


def test_learning_mix_by_team(app, known_org, admin):
    out = _view(app, admin.id, "learning-mix-team")
    assert out["columns"] == ["Team A", "Team B"]
    assert _cell(out, "course", "Team B") == {"entries": 4, "hours": 4.0, "people": 4}


def test_a_cell_of_four_is_hidden_and_totals_do_not_reveal_it(app, known_org, admin):
    out = _view(app, admin.id, "learning-mix-profession", threshold=5)
    assert out["threshold"] == 5
    assert _cell(out, "course", "nurse") == {"suppressed": True}
    # The course row total is shown (10 people) but the social workers' course cell is hidden too,
    # so "row total minus shown cells" is the sum of two hidden cells, not the nurses' 4.
    assert _row_total(out, "course") == {"entries": 10, "hours": 16.0, "people": 10}
    assert _cell(out, "course", "social worker") == {"suppressed": True}
    for row, total in zip(out["cells"], out["row_totals"], strict=True):
        assert sum(1 for c in [*row, total] if c.get("suppressed")) != 1
    for j in range(len(out["columns"])):
        column = [row[j] for row in out["cells"]] + [out["column_totals"][j]]
        assert sum(1 for c in column if c.get("suppressed")) != 1


def test_equity_counts_people_without_shared_cpd_as_zero(app, known_org, admin):
    out = _view(app, admin.id, "equity-profession")
    assert out["rows"] == ["nurse", "social worker"]
    assert _row_total(out, "social worker") == {"people": 7}
    assert _cell(out, "social worker", "0") == {"people": 1}
    assert _cell(out, "social worker", "0-10") == {"people": 6}
    sw = out["statistics"][1]
    assert sw == {"mean": 2.14, "q1": 2.0, "median": 2.0, "q3": 2.0}
    assert out["statistics"][0]["median"] == 1.0
    assert out["total"] == {"people": 11}


def test_equity_hides_small_groups_and_their_statistics(app, known_org, admin):
    out = _view(app, admin.id, "equity-service-area", threshold=5)
    assert out["rows"] == ["health", "social_care"]
    assert out["statistics"][0] == {"suppressed": True}
    # A lone hidden group would be revealed by the overall headcount: the other is hidden too.
    assert out["statistics"][1] == {"suppressed": True}
    assert out["total"] == {"people": 11}


def test_common_core_coverage(app, known_org, admin):
    out = _view(app, admin.id, "common-core")
    assert _cell(out, "nurse", "1") == {"people": 4}
    assert _cell(out, "nurse", "2") == {"people": 4}
    assert _cell(out, "nurse", "3") == {"people": 0}
    assert _cell(out, "social worker", "1") == {"people": 0}


def test_cross_professional_matrices(app, known_org, admin):
    shadowing = _view(app, admin.id, "cross-professional-shadowing")
    assert shadowing["columns"] == ["nurse"]
    assert _cell(shadowing, "social worker", "nurse") == {"entries": 1, "people": 1}
    joint = _view(app, admin.id, "cross-professional-joint")
    assert joint["columns"] == ["social worker"]
    assert _cell(joint, "nurse", "social worker") == {"entries": 1, "people": 1}
    assert _cell(joint, "social worker", "social worker") == {"entries": 0, "people": 0}
    hidden = _view(app, admin.id, "cross-professional-shadowing", threshold=5)
    assert _cell(hidden, "social worker", "nurse") == {"suppressed": True}
    assert hidden["total"] == {"suppressed": True}


def test_other_professions_outside_the_organisations_roles_are_not_labels(app, known_org, admin):
    with app.app_context():
        owner = db.session.get(User, known_org.nurses[1])
        db.session.add(
            entry(owner, "shadowing", "1", other_professions=["Jo Bloggs at St Mary's", " NURSE "])
        )
        db.session.commit()
    out = _view(app, admin.id, "cross-professional-shadowing")
    assert out["columns"] == ["nurse", "other"]
    assert _cell(out, "nurse", "other") == {"entries": 1, "people": 1}
    assert _cell(out, "nurse", "nurse") == {"entries": 1, "people": 1}
    assert "bloggs" not in json.dumps(out).lower()
    hidden = _view(app, admin.id, "cross-professional-shadowing", threshold=5)
    assert _cell(hidden, "social worker", "nurse") == {"suppressed": True}
    assert hidden["total"] == {"suppressed": True}


def test_trends_by_month(app, known_org, admin):
    out = _view(app, admin.id, "trends")
    assert out["rows"] == ["2026-03", "2026-04"]
    assert _cell(out, "2026-03", "course") == {"entries": 10, "hours": 16.0, "people": 10}
    assert _cell(out, "2026-04", "team_study_day") == {"entries": 1, "hours": 0.0, "people": 1}


def test_filters_narrow_the_scope(app, known_org, admin):
    out = _view(app, admin.id, "learning-mix-profession", team_id=known_org.team_b)
    assert out["columns"] == ["nurse"]
    assert out["total"]["entries"] == 5
    out = _view(app, admin.id, "trends", date_from=dt.date(2026, 4, 1))
    assert out["rows"] == ["2026-04"]
    out = _view(app, admin.id, "equity-profession", profession="social worker")
    assert out["rows"] == ["social worker"]
    out = _view(app, admin.id, "equity-profession", service_area="health")
    assert out["rows"] == ["nurse"]
    assert out["filters"]["service_area"] == "health"


def test_a_team_manager_sees_only_the_teams_they_manage(app, known_org, make_user):
    manager = make_user("team_manager")
    with app.app_context():
        user = db.session.get(User, manager.id)
        user.managed_teams.append(db.session.get(Team, known_org.team_b))
        db.session.commit()
    out = _view(app, manager.id, "learning-mix-team")
    assert out["columns"] == ["Team B"]
    assert out["total"]["entries"] == 5
    # Filtering on a team they do not manage gives nothing, not that team.
    out = _view(app, manager.id, "learning-mix-team", team_id=known_org.team_a)
    assert out["columns"] == []
    assert out["total"] == {"entries": 0, "hours": 0, "people": 0}


@pytest.mark.parametrize("roles", [("practitioner",), ("supervisor",), ("team_manager",)])
def test_others_are_refused(app, known_org, make_user, roles):
    user = make_user(*roles)  # a team manager of no team sees nothing either
    with pytest.raises(Forbidden):
        _view(app, user.id, "trends")


def test_another_organisations_admin_sees_none_of_ours(app, known_org, make_user, other_org):
    theirs = make_user("org_admin", organisation=other_org)
    out = _view(app, theirs.id, "learning-mix-profession")
    assert out["total"] == {"entries": 1, "hours": 70.0, "people": 1}  # only their own stranger


@pytest.mark.parametrize("view", sorted(service.VIEWS))
def test_no_free_text_in_any_view(app, known_org, admin, view):
    assert SECRET not in json.dumps(_view(app, admin.id, view), default=str)
    assert SECRET not in json.dumps(_view(app, admin.id, view, threshold=5), default=str)


@pytest.mark.parametrize(
    ("view", "flag"),
    [
        ("learning-mix-profession", "columns_disjoint"),
        ("learning-mix-team", "columns_disjoint"),
        ("cross-professional-joint", "rows_disjoint"),
        ("cross-professional-shadowing", "rows_disjoint"),
    ],
)
def test_margins_added_up_from_disjoint_groups_equal_the_margins_counted(
    app, known_org, admin, monkeypatch, view, flag
):
    """On SQLite a margin over disjoint groups (professions, teams) is added up instead of scanned:
    the answer must be the same as counting it."""
    fast = _view(app, admin.id, view, threshold=1)
    real_cube = service._cube

    def counted(**kwargs):
        kwargs.pop(flag)
        return real_cube(**kwargs)

    monkeypatch.setattr(service, "_cube", counted)
    slow = _view(app, admin.id, view, threshold=1)
    assert fast == slow
    assert fast["total"]["people"] > 0
