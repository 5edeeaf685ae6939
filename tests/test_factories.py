"""The builders of tests/factories.py make what the services make: a link the access rules see, an
entry the owner can read, a sign-off that verifies, a session and an event of the organisation."""

from __future__ import annotations

from logbook.accounts.links import supervisee_ids
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.supervision import signoff
from logbook.supervision.models import SignOff
from tests import factories


def test_the_builders_make_what_the_services_make(app):
    org = factories.organisation(app, "Factory Test")
    practitioner = factories.user(app, org)
    boss = factories.user(app, org, "practitioner", "supervisor", name="Boss")
    admin = factories.user(app, org, "org_admin")
    factories.registration(app, practitioner, "HCPC", "social worker", registration_number="SW1")
    factories.supervise(app, boss, practitioner)
    made = factories.entry(app, practitioner, title="Own entry")
    entry_id, sign_off_id = factories.signed_entry(app, practitioner, boss, title="Signed entry")
    session = factories.supervision_session(app, practitioner, boss, practitioner)
    event = factories.event(app, admin)
    with app.app_context():
        assert supervisee_ids(supervisor_id=boss.id, today=factories.TODAY) == {practitioner.id}
        so = db.session.get(SignOff, sign_off_id)
        assert so.entry_id == entry_id
        assert so.decision == "approved"
        assert signoff.verify_sign_off(so, ring=KeyRing.of(app)).is_valid
    assert made.title == "Own entry"
    assert made.owner_id == practitioner.id
    assert session.supervisee_id == practitioner.id
    assert event.organisation_id == org.id


def test_a_logged_in_client_signs_through_the_api(app, make_client, practitioner, supervisor, supervised):
    me, boss = make_client(practitioner), make_client(supervisor)
    entry = factories.make_entry(me)
    assert factories.sign(me, boss, entry, supervisor.id)["decision"] == "approved"
