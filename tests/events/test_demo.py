"""The demo organisation has a year of events and attendance, so the learning-offer insights show reach."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from logbook.config import KeyRing
from logbook.demo import DEMO_PASSWORD, build_demo, email_for
from logbook.events.models import EventAttendance, EventFeedback, LearningEvent
from logbook.extensions import db


def test_demo_has_a_year_of_events_with_reach(app, make_client):
    with app.app_context():
        build_demo(ring=KeyRing.of(app))
        db.session.commit()
        today = dt.date.today()  # noqa: DTZ011 - the demo follows the local calendar
        starts = db.session.scalars(select(LearningEvent.starts_at)).all()
        past = [s for s in starts if s.date() < today]
        assert len(past) >= 30
        assert min(past).date() <= today - dt.timedelta(days=330)
        assert any(s.date() > today for s in starts)
        attendances = db.session.scalar(select(func.count()).select_from(EventAttendance))
        assert attendances >= 100
        assert db.session.scalar(select(func.count()).select_from(EventFeedback)) >= 40
    admin = make_client()
    assert admin.login(email_for("Helen Carter"), DEMO_PASSWORD).status_code == 200
    reach = admin.get("/api/v1/insights/reach-profession").get_json()
    row = reach["cells"][reach["rows"].index("social worker")]
    attended = row[reach["columns"].index("attended")]
    assert attended["people"] >= 5  # shown, not suppressed
    hours = admin.get("/api/v1/insights/event-hours-profession").get_json()
    assert hours["total"]["hours"] > 100
    amara = make_client()
    assert amara.login(email_for("Amara Okafor"), DEMO_PASSWORD).status_code == 200
    assert amara.get("/api/v1/events").get_json()["items"]  # something coming up for her
    assert amara.get("/api/v1/events?scope=attended").get_json()["items"]
