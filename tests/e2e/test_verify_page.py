"""The public verification page an auditor reaches from a printed code: it fits a phone's width (the
signing key's 43-character id included) and says what changed when the record no longer matches."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.portfolio.service import verification_code_for
from logbook.supervision.models import SignOff
from tests.e2e.browser import check_accessible

pytestmark = pytest.mark.browser


def test_the_verify_page_fits_a_phone_and_says_the_record_changed(app, live_server, phone, signed):
    entry, _sign_off = signed
    with app.app_context():
        db.session.get(Entry, uuid.UUID(entry["id"])).title = "Altered in the database"
        code = verification_code_for(db.session.scalars(select(SignOff)).one())
        db.session.commit()
    page = phone.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/verify/{code}")
    page.get_by_text("Changed since it was signed.").wait_for()
    assert page.get_by_text("Signing key").count() == 1
    # Nothing reaches past the right edge (the body's width alone would not show a long word poking out).
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right))"
    )
    assert widest <= 360, widest
    check_accessible(page, "verify-changed")
