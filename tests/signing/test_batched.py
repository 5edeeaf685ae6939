"""Progress checks every signed entry's sign-offs in one batch (signcore.verify_many: what verify()
reads, loaded for all of them in a few queries). The batch must judge exactly as verify() does one
by one: a forged, withdrawn or changed sign-off among many valid ones still does not count."""

from __future__ import annotations

import base64
import json

from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import event, select

from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.signing.statements import TYP, canonical
from logbook.supervision import signcore
from logbook.supervision.models import SignOff
from tests import factories
from tests.factories import TODAY
from tests.signing.test_trust import imported  # noqa: F401 - the fixture


def _forged(statement: str, kid: str) -> str:
    """The same payload signed by another key that claims our key's id."""
    payload = json.loads(base64.urlsafe_b64decode(statement.split(".")[1] + "=="))
    key = OKPKey.generate_key("Ed25519", private=True)
    return jws.serialize_compact(
        {"alg": "Ed25519", "kid": kid, "typ": TYP}, canonical(payload), key, algorithms=["Ed25519"]
    )


def _one_by_one(app, rows):
    ring = KeyRing.of(app)
    return {s.id: signcore.verify(s, ring=ring).as_dict() for s in rows}


def test_one_forged_signature_among_many_valid_ones_is_still_rejected(
    app, shipped, practitioner, supervisor, supervised, me, boss
):
    factories.registration(app, practitioner, "SWE", "social worker", framework_id="swe")
    made = [
        factories.signed_entry(
            app, practitioner, supervisor, title=f"Signed {i}", start_date=TODAY.isoformat()
        )
        for i in range(8)
    ]
    forged, garbage, withdrawn, changed = made[1], made[4], made[6], made[7]
    done = boss.api(
        "POST",
        f"/api/v1/sign-offs/{withdrawn[1]}/withdraw",
        json={"reason": "Signed in error, never took place."},
    )
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        row = db.session.get(SignOff, forged[1])
        kid = signcore.verify(row, ring=KeyRing.of(app)).kid
        row.statement = _forged(row.statement, kid)
        row = db.session.get(SignOff, garbage[1])
        row.statement = row.statement.rsplit(".", 1)[0] + "." + "A" * 86
        db.session.get(Entry, changed[0]).title = "Changed behind the app's back"
        db.session.commit()

        ids = [entry_id for entry_id, _ in made]
        rows = list(db.session.scalars(select(SignOff).where(SignOff.entry_id.in_(ids))))
        alone = _one_by_one(app, rows)
        db.session.expunge_all()
        rows = list(db.session.scalars(select(SignOff).where(SignOff.entry_id.in_(ids))))
        queries = []

        def count(_conn, _cursor, statement, *_args):
            queries.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            together = {k: v.as_dict() for k, v in signcore.verify_many(rows, ring=KeyRing.of(app)).items()}
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        standing = signcore.standing_roles(ids, ring=KeyRing.of(app))

    assert together == alone  # the batch judges each sign-off exactly as verify() alone
    statuses = {so_id: v["status"] for so_id, v in together.items()}
    assert statuses[forged[1]] == "invalid"
    assert "signature does not match" in together[forged[1]]["reason"]
    assert statuses[garbage[1]] == "invalid"
    assert statuses[withdrawn[1]] == "withdrawn"
    assert statuses[changed[1]] == "changed"
    valid = {entry_id for entry_id, so_id in made if statuses[so_id] == "valid"}
    assert len(valid) == 4
    assert set(standing) == valid  # only the four that still stand count
    assert all("supervisor" in roles for roles in standing.values())
    assert len(queries) <= 8  # a few queries for the whole page, not several per sign-off

    body = me.get("/api/v1/progress").get_json()
    [reg] = body["people"][0]["registrations"]
    current = next(c for c in reg["cycles"] if c["which"] == "current")
    assert current["numbers"]["signed_off"] == 4


def test_an_imported_sign_off_is_judged_the_same_in_a_batch(app, imported):  # noqa: F811 - the fixture
    _original, imported_id = imported
    with app.app_context():
        row = db.session.get(SignOff, imported_id)
        alone = signcore.verify(row, ring=KeyRing.of(app)).as_dict()
        db.session.expunge_all()
        row = db.session.get(SignOff, imported_id)
        loaded = signcore.Loaded([row])
        assert not loaded.own_ids(row.entry_id)  # its content hashes cover the ids it had elsewhere
        together = signcore.verify_many([row], ring=KeyRing.of(app))[imported_id].as_dict()
    assert together == alone
