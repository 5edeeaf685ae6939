"""Open Badges 3.0 / CLR 2.0 credentials, checked by someone else's code.

The credentials are verified with openbadgeslib's OB 3.0 verifier (signature with the key published
in our JWKS, fetched over a live HTTP server; the registered claims; validity dates; the status list
fetched, its own signature checked and the bit read) and the CLR's JWT with PyJWT: neither library
is used by the product, which signs with its own code. The status bit is also read here with plain
gzip/base64. Every credential is validated against 1EdTech's official OB 3.0 AchievementCredential JSON
Schema (a copy next to this file; README.md says where it comes from), and the members and claims the
schema leaves optional but the product promises are asserted here (§B.1 AchievementCredential, §8.2).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from jsonschema import Draft201909Validator
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
from sqlalchemy import select
from werkzeug.serving import make_server

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Organisation, Registration, User
from logbook.config import KeyRing
from logbook.credentials import service as credentials
from logbook.entries.models import Entry
from logbook.events import service as events
from logbook.events.models import LearningEvent
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.signing import keys
from logbook.supervision.models import SignOff
from tests.factories import persist

TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today
SECRET = "my private reflection about the family visit, never to be shared"
VC = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@pytest.fixture
def live(app) -> Iterator[str]:
    """The app on a free local port; its public URL (issuer, status list) points there."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base
    yield base
    server.shutdown()
    thread.join(timeout=5)


def fetch(url: str) -> bytes:
    """What a verifier anywhere does: an HTTP GET of a public URL (the live server is local)."""
    assert url.startswith("http://127.0.0.1:"), url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the local live server
        return response.read()


def verifier_for(token: str, base: str) -> OB3Verifier:
    """openbadgeslib's verifier, with the public key the JWKS publishes under the token's kid."""
    kid = jwt.get_unverified_header(token)["kid"]
    published = json.loads(fetch(f"{base}/.well-known/jwks.json"))["keys"]
    [jwk] = [k for k in published if k["kid"] == kid]
    public = jwt.PyJWK({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}, algorithm="EdDSA").key
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return OB3Verifier(pubkey_pem=pem)


SCHEMA = json.loads((Path(__file__).parent / "ob_v3p0_achievementcredential_schema.json").read_text())


def assert_schema_valid(credential: dict) -> None:
    """The credential meets the official Open Badges 3.0 AchievementCredential JSON Schema."""
    errors = [e.message for e in Draft201909Validator(SCHEMA).iter_errors(credential)]
    assert errors == []


def payload_of(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit(status_jwt: str, index: int) -> bool:
    """The bit at `index` of a Bitstring Status List, read with plain base64 and gzip."""
    encoded = payload_of(status_jwt)["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 >= 131_072
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def sign_an_entry(app, make_user, make_client, practitioner):
    """An entry of the practitioner, with a private reflection, approved by their supervisor:
    (the practitioner's client, the entry)."""
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    boss = make_user("practitioner", "supervisor", name="Priya Supervisor")
    persist(
        app,
        SupervisionLink(
            supervisor_id=boss.id,
            supervisee_id=practitioner.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(days=30),
        ),
    )
    me, them = make_client(practitioner), make_client(boss)
    made = me.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "study_day",
            "title": "Neglect toolkit study day",
            "description": "Using the graded care profile with families.",
            "start_date": (TODAY - dt.timedelta(days=2)).isoformat(),
            "hours": 6,
            "visibility": "supervisors",
            "reflection": {"template": "rolfe", "answers": {"what": SECRET}},
            "impact_on_practice": SECRET,
            "standards": [{"framework": "hcpc", "version": 1, "code": "1"}],
        },
    )
    assert made.status_code == 201, made.get_json()
    entry = made.get_json()
    asked = me.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={"entry_version": entry["version"], "supervisor_id": str(boss.id)},
    )
    assert asked.status_code == 201, asked.get_json()
    [item] = them.get("/api/v1/sign-off-requests?scope=queue").get_json()["items"]
    decided = them.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
            "comment": SECRET,
        },
    )
    assert decided.status_code == 201, decided.get_json()
    return me, entry


@pytest.fixture
def signed_entry(make_user, make_client, practitioner, app):
    """An entry of the practitioner, with a private reflection, approved by their supervisor."""
    return sign_an_entry(app, make_user, make_client, practitioner)


def test_issued_credential_verifies_with_openbadgeslib(live, signed_entry, org, practitioner):
    me, entry = signed_entry
    response = me.get(f"/api/v1/entries/{entry['id']}/credential")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "vc+jwt"
    credential = verifier_for(token, live).verify(token, check_status=True, download=fetch)
    assert credential.issuer.id == f"{live}/credentials/issuers/{org.slug}"

    body = payload_of(token)
    assert_schema_valid(body)
    # The schema has teeth: without its issuer the same credential is refused.
    assert list(Draft201909Validator(SCHEMA).iter_errors({k: v for k, v in body.items() if k != "issuer"}))
    # OB 3.0 §B.1 AchievementCredential / §8.2 VC-JWT: the required members and claims.
    assert body["@context"][:2] == [VC, OB]
    assert body["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert body["id"].startswith("urn:uuid:")
    assert body["jti"] == body["id"]
    assert body["iss"] == body["issuer"]["id"]
    assert "Profile" in body["issuer"]["type"]
    assert body["sub"] == body["credentialSubject"]["id"] == f"urn:uuid:{practitioner.id}"
    assert body["nbf"] == int(dt.datetime.fromisoformat(body["validFrom"].replace("Z", "+00:00")).timestamp())
    achievement = body["credentialSubject"]["achievement"]
    assert "AchievementSubject" in body["credentialSubject"]["type"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Neglect toolkit study day"
    assert achievement["criteria"]["narrative"]
    assert achievement["description"]
    assert achievement["creditsAvailable"] == 6.0
    [alignment] = achievement["alignment"]
    assert alignment["targetCode"] == "1"
    assert alignment["targetName"]
    assert alignment["targetFramework"]
    status = body["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert not bit(fetch(status["statusListCredential"]).decode(), int(status["statusListIndex"]))

    # The issuer profile is public and cacheable.
    profile = json.loads(fetch(body["issuer"]["id"]))
    assert profile["id"] == body["issuer"]["id"]
    assert profile["type"] == ["Profile"]
    # Nothing private: the reflection, the impact statement and the signer's comment.
    assert SECRET not in json.dumps(body)

    # Issuing again keeps the credential's id and status index.
    again = payload_of(me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True))
    assert again["id"] == body["id"]
    assert again["credentialStatus"] == status


def test_a_changed_byte_is_refused(live, signed_entry):
    me, entry = signed_entry
    token = me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True)
    head, body, signature = token.split(".")
    claims = payload_of(token)
    claims["credentialSubject"]["achievement"]["creditsAvailable"] = 60.0
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    verifier = verifier_for(token, live)
    with pytest.raises(OB3VerificationError, match="signature"):
        verifier.verify(f"{head}.{forged_body}.{signature}")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(OB3VerificationError):
        verifier.verify(f"{head}.{body}.{flipped}")


def test_a_revoked_sign_off_is_refused(live, signed_entry, app):
    me, entry = signed_entry
    token = me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True)
    verifier = verifier_for(token, live)
    verifier.verify(token, check_status=True, download=fetch)
    with app.app_context():
        sign_off = db.session.scalar(select(SignOff).where(SignOff.entry_id == uuid.UUID(entry["id"])))
        assert (
            credentials.revoke_for_sign_off(
                sign_off_id=sign_off.id, reason="withdrawn", now=dt.datetime.now(dt.UTC)
            )
            == 1
        )
        db.session.commit()
    index = int(payload_of(token)["credentialStatus"]["statusListIndex"])
    assert bit(fetch(payload_of(token)["credentialStatus"]["statusListCredential"]).decode(), index)
    with pytest.raises(OB3VerificationError, match="'revocation' is set"):
        verifier.verify(token, check_status=True, download=fetch)
    # The signature itself still holds: only the status refuses it.
    verifier.verify(token)


def test_a_compromised_key_revokes_and_stops_issuing(live, signed_entry, org, app, monkeypatch):
    me, entry = signed_entry
    token = me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True)
    with app.app_context():
        keys.compromise_key(ring=KeyRing.of(app), kid=jwt.get_unverified_header(token)["kid"])
        keys.create_key(
            ring=KeyRing.of(app), organisation=org.slug
        )  # the status list is signed with the new key
    status_url = payload_of(token)["credentialStatus"]["statusListCredential"]
    index = int(payload_of(token)["credentialStatus"]["statusListIndex"])
    assert not bit(fetch(status_url).decode(), index)  # serving the list checks no signatures
    monkeypatch.setattr(cli, "_app", lambda: app)  # the command runs against this test's app
    result = CliRunner().invoke(cli.main, ["credentials", "recheck"])
    assert result.exit_code == 0, result.output
    assert "1 revoked" in result.output
    assert bit(fetch(status_url).decode(), int(payload_of(token)["credentialStatus"]["statusListIndex"]))
    refused = me.get(f"/api/v1/entries/{entry['id']}/credential")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "not_verified"


def test_another_organisations_key_does_not_verify(live, signed_entry, other_org, app):
    me, entry = signed_entry
    token = me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True)
    with app.app_context():
        other_kid, _ = keys.signing_key(ring=KeyRing.of(app), organisation=other_org.slug)
    published = json.loads(fetch(f"{live}/.well-known/jwks.json"))["keys"]
    [jwk] = [k for k in published if k["kid"] == other_kid]
    assert jwk["org"] == other_org.slug
    public = jwt.PyJWK({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}, algorithm="EdDSA").key
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(OB3VerificationError, match="signature"):
        OB3Verifier(pubkey_pem=pem).verify(token)
    # And the key that does verify it belongs to the issuing organisation, not to org B.
    kid = jwt.get_unverified_header(token)["kid"]
    assert [k["org"] for k in published if k["kid"] == kid] != [other_org.slug]


def test_clr_wraps_the_credentials_and_verifies(live, signed_entry, org):
    me, _ = signed_entry
    response = me.get("/api/v1/record/clr")
    assert response.status_code == 200, response.get_data(as_text=True)
    token = response.get_data(as_text=True)
    kid = jwt.get_unverified_header(token)["kid"]
    published = json.loads(fetch(f"{live}/.well-known/jwks.json"))["keys"]
    [jwk] = [k for k in published if k["kid"] == kid]
    key = jwt.PyJWK({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}, algorithm="EdDSA")
    clr = jwt.decode(token, key, algorithms=["EdDSA"], options={"require": ["iss", "nbf", "jti"]})
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["iss"] == f"{live}/credentials/issuers/{org.slug}"
    [member] = clr["credentialSubject"]["verifiableCredential"]
    assert member["type"] == "EnvelopedVerifiableCredential"
    inner = member["id"].removeprefix("data:application/vc+jwt,")
    assert_schema_valid(payload_of(inner))
    verifier_for(inner, live).verify(inner, check_status=True, download=fetch)
    assert SECRET not in json.dumps(clr)
    assert SECRET not in json.dumps(payload_of(inner))
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"), key, algorithms=["EdDSA"])


def test_who_may_have_a_credential(signed_entry, make_user, make_client, other_org):
    me, entry = signed_entry
    url = f"/api/v1/entries/{entry['id']}/credential"
    colleague = make_client(make_user("practitioner"))
    stranger = make_client(make_user("practitioner", "org_admin", organisation=other_org))
    for outsider in (colleague, stranger):
        refused = outsider.get(url)
        assert refused.status_code == 404
        assert refused.get_json()["error"]["code"] == "not_found"
    assert me.get(f"/api/v1/entries/{uuid.uuid4()}/credential").status_code == 404
    unsigned = me.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "study_day",
            "title": "Article",
            "start_date": TODAY.isoformat(),
            "hours": 1,
            "description": "Reading.",
            "visibility": "private",
        },
    ).get_json()
    assert "id" in unsigned, unsigned
    refused = me.get(f"/api/v1/entries/{unsigned['id']}/credential")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "not_verified"
    assert "sign-off" in refused.get_json()["error"]["message"]
    anonymous = make_client()
    assert anonymous.get(url).status_code == 401
    assert anonymous.get("/api/v1/record/clr").status_code == 401
    # A practitioner with nothing verified gets a reason, not an empty record.
    nothing = colleague.get("/api/v1/record/clr")
    assert nothing.status_code == 409
    assert nothing.get_json()["error"]["code"] == "not_verified"


def test_public_urls(client, org):
    profile = client.get(f"/credentials/issuers/{org.slug}")
    assert profile.status_code == 200
    assert "public" in profile.headers["Cache-Control"]
    status = client.get(f"/credentials/status/{org.slug}")
    assert status.status_code == 200
    assert "public" in status.headers["Cache-Control"]
    assert not bit(status.get_data(as_text=True), 0)
    assert client.get("/credentials/issuers/no-such-org").status_code == 404
    assert client.get("/credentials/status/no-such-org").status_code == 404


def attended(app, practitioner, org, *, method: str, days_ago: int) -> str:
    """The practitioner attended an event (`method`) that started `days_ago` days ago; the entry id."""
    with app.app_context():
        load_shipped_frameworks()
        starts = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        event = LearningEvent(
            organisation_id=org.id,
            title="Trauma-informed practice workshop",
            kind="bite_size_workshop",
            description="Half a day on trauma-informed conversations.",
            starts_at=starts,
            duration_minutes=180,
            hours=Decimal("3"),
            standards=[{"framework": "hcpc", "version": 1, "code": "2"}],
            check_in_secret="x" * 32,
        )
        db.session.add(event)
        db.session.flush()
        person = db.session.get(User, practitioner.id)
        done = events.attend(event=event, attendee=person, method=method, now=starts)
        db.session.commit()
        return str(done.attendance.entry_id)


def test_a_checked_in_event_gives_a_credential(live, app, make_client, practitioner, org):
    entry_id = attended(app, practitioner, org, method="qr", days_ago=3)
    me = make_client(practitioner)
    response = me.get(f"/api/v1/entries/{entry_id}/credential")
    assert response.status_code == 200, response.get_data(as_text=True)
    token = response.get_data(as_text=True)
    verifier_for(token, live).verify(token, check_status=True, download=fetch)
    assert_schema_valid(payload_of(token))
    achievement = payload_of(token)["credentialSubject"]["achievement"]
    assert achievement["name"] == "Trauma-informed practice workshop"
    assert achievement["creditsAvailable"] == 3.0
    assert "QR code" in achievement["criteria"]["narrative"]
    assert achievement["alignment"][0]["targetCode"] == "2"
    clr = payload_of(me.get("/api/v1/record/clr").get_data(as_text=True))
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 1
    # A cancelled event's credential is revoked by the recheck.
    with app.app_context():
        db.session.scalar(select(LearningEvent)).is_cancelled = True
        assert credentials.recheck_revocations(now=dt.datetime.now(dt.UTC), ring=KeyRing.of(app)) == 1
        db.session.commit()
    with pytest.raises(OB3VerificationError, match="'revocation' is set"):
        verifier_for(token, live).verify(token, check_status=True, download=fetch)


def test_an_event_not_yet_over_or_not_checked_in_gives_none(app, make_client, practitioner, org):
    upcoming = attended(app, practitioner, org, method="register", days_ago=0)
    me = make_client(practitioner)
    with app.app_context():
        event = db.session.scalar(select(LearningEvent))
        event.starts_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        db.session.commit()
    refused = me.get(f"/api/v1/entries/{upcoming}/credential")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "not_verified"


def test_a_credential_claiming_org_a_but_signed_by_org_b_is_refused(live, signed_entry, org, other_org, app):
    """Org B's key makes a credential that names org A as its issuer. A verifier that takes the keys
    from the issuer's own published key set (/.well-known/jwks/<slug>.json) finds no such kid."""
    me, entry = signed_entry
    genuine = payload_of(me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True))
    claims = {k: v for k, v in genuine.items() if k not in {"iss", "sub", "jti", "nbf"}}
    with app.app_context():
        b = db.session.get(Organisation, other_org.id)
        forged = credentials.sign_vc_jwt(claims, organisation=b, ring=KeyRing.of(app)).jwt
    assert payload_of(forged)["iss"] == f"{live}/credentials/issuers/{org.slug}"
    kid = jwt.get_unverified_header(forged)["kid"]
    issuers_keys = json.loads(fetch(f"{live}/.well-known/jwks/{org.slug}.json"))["keys"]
    assert kid not in {k["kid"] for k in issuers_keys}
    # Every key org A publishes refuses it.
    for jwk in issuers_keys:
        public = jwt.PyJWK({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}, algorithm="EdDSA").key
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        with pytest.raises(OB3VerificationError, match="signature"):
            OB3Verifier(pubkey_pem=pem).verify(forged)


# --- a completed registration cycle --------------------------------------------------------------


def swe_cycles(app, make_client, practitioner):
    """A social worker registered four years ago; (their client, registration id, cycles newest first)."""
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    persist(
        app,
        Registration(
            user_id=practitioner.id,
            regulator="SWE",
            profession="social worker",
            framework_id="swe",
            registered_since=TODAY - dt.timedelta(days=4 * 366),
        ),
    )
    me = make_client(practitioner)
    [reg] = me.get("/api/v1/progress/history").get_json()["registrations"]
    return me, reg["registration_id"], reg["cycles"]


def past_entry(practitioner, day: dt.date, title: str, codes: list[str], **fields) -> Entry:
    return Entry(
        id=uuid.uuid4(),
        owner_id=practitioner.id,
        organisation_id=practitioner.organisation_id,
        kind="course",
        title=title,
        description=SECRET,
        start_date=day,
        hours=Decimal("3.5"),
        is_participatory=True,
        impact_on_practice=SECRET,
        reflection={"template": "rolfe", "answers": {"what": SECRET}},
        standards=[{"framework": "swe", "version": 2, "code": c} for c in codes],
        **fields,
    )


@pytest.fixture
def completed_cycle(app, make_client, practitioner):
    """The practitioner's previous SWE cycle, met with two courses: (client, url, cycle, entries)."""
    me, reg_id, cycles = swe_cycles(app, make_client, practitioner)
    previous = next(c for c in cycles if c["which"] == "previous")
    starts = dt.date.fromisoformat(previous["starts_on"])
    entries = [
        past_entry(practitioner, starts + dt.timedelta(days=10), "Court skills", ["4.1", "4.2"]),
        past_entry(
            practitioner,
            starts + dt.timedelta(days=100),
            "Trauma-informed practice",
            ["4.3", "4.4"],
            includes_peer_reflection=True,
        ),
    ]
    persist(app, *entries)
    [reg] = me.get("/api/v1/progress/history").get_json()["registrations"]
    previous = next(c for c in reg["cycles"] if c["which"] == "previous")
    assert previous["status"] == "met", previous["rules"]
    return me, f"/api/v1/me/cycles/{reg_id}/{previous['starts_on']}/credential", previous, entries


def test_a_completed_cycle_gives_a_credential(live, completed_cycle, org, practitioner):
    me, url, cycle, entries = completed_cycle
    response = me.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    credential = verifier_for(token, live).verify(token, check_status=True, download=fetch)
    assert credential.issuer.id == f"{live}/credentials/issuers/{org.slug}"
    body = payload_of(token)
    assert_schema_valid(body)
    assert body["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert body["sub"] == f"urn:uuid:{practitioner.id}"
    achievement = body["credentialSubject"]["achievement"]
    dates = f"{cycle['starts_on']} to {cycle['ends_on']}"
    assert achievement["name"] == f"{cycle['framework']['name']} registration cycle {dates} completed"
    # The criteria are the framework's rules; the evidence the counted entries; the hours, the standards.
    for rule in cycle["rules"]:
        assert rule["title"] in achievement["criteria"]["narrative"]
    assert [e["name"] for e in body["evidence"]] == ["Court skills", "Trauma-informed practice"]
    assert [e["id"] for e in body["evidence"]] == [f"urn:uuid:{e.id}" for e in entries]
    assert all("3.5 hours" in e["description"] for e in body["evidence"])
    assert achievement["creditsAvailable"] == body["credentialSubject"]["creditsEarned"] == 7.0
    assert sorted(a["targetCode"] for a in achievement["alignment"]) == ["4.1", "4.2", "4.3", "4.4"]
    # validFrom: the day after the cycle's last day
    assert body["validFrom"].startswith(
        (dt.date.fromisoformat(cycle["ends_on"]) + dt.timedelta(days=1)).isoformat()
    )
    assert SECRET not in json.dumps(body)
    # Issued again: the same id and status index.
    again = payload_of(me.get(url).get_data(as_text=True))
    assert (again["id"], again["credentialStatus"]) == (body["id"], body["credentialStatus"])
    # The CLR carries it.
    clr = payload_of(me.get("/api/v1/record/clr").get_data(as_text=True))
    inner = [
        m["id"].removeprefix("data:application/vc+jwt,")
        for m in clr["credentialSubject"]["verifiableCredential"]
    ]
    assert [payload_of(i)["id"] for i in inner] == [body["id"]]
    assert SECRET not in json.dumps(clr)


def test_a_cycle_credential_tampered_or_under_another_key_is_refused(live, completed_cycle, other_org, app):
    me, url, _, _ = completed_cycle
    token = me.get(url).get_data(as_text=True)
    head, _, signature = token.split(".")
    claims = payload_of(token)
    claims["credentialSubject"]["achievement"]["creditsAvailable"] = 70.0
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(OB3VerificationError, match="signature"):
        verifier_for(token, live).verify(f"{head}.{forged}.{signature}")
    with app.app_context():
        other_kid, _ = keys.signing_key(ring=KeyRing.of(app), organisation=other_org.slug)
    [jwk] = [k for k in json.loads(fetch(f"{live}/.well-known/jwks.json"))["keys"] if k["kid"] == other_kid]
    public = jwt.PyJWK({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}, algorithm="EdDSA").key
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(OB3VerificationError, match="signature"):
        OB3Verifier(pubkey_pem=pem).verify(token)


def test_a_cycle_not_ended_or_not_met_is_refused(app, make_client, practitioner, make_user, other_org):
    me, reg_id, cycles = swe_cycles(app, make_client, practitioner)
    current = next(c for c in cycles if c["which"] == "current")
    running = me.get(f"/api/v1/me/cycles/{reg_id}/{current['starts_on']}/credential")
    assert running.status_code == 409
    assert running.get_json()["error"]["code"] == "cycle_not_ended"
    assert current["ends_on"] in running.get_json()["error"]["message"]
    previous = next(c for c in cycles if c["which"] == "previous")
    assert previous["status"] != "met"  # nothing recorded in it
    url = f"/api/v1/me/cycles/{reg_id}/{previous['starts_on']}/credential"
    unmet = me.get(url)
    assert unmet.status_code == 409
    assert unmet.get_json()["error"]["code"] == "cycle_not_met"
    assert "not met" in unmet.get_json()["error"]["message"]
    # No such cycle, a bad date, someone else's registration, nobody logged in.
    assert me.get(f"/api/v1/me/cycles/{reg_id}/1999-01-01/credential").status_code == 404
    assert me.get(f"/api/v1/me/cycles/{uuid.uuid4()}/{previous['starts_on']}/credential").status_code == 404
    bad = me.get(f"/api/v1/me/cycles/{reg_id}/yesterday/credential")
    assert bad.status_code == 422
    assert "starts_on" in bad.get_json()["error"]["fields"]
    for other in (make_user("practitioner"), make_user("practitioner", "org_admin", organisation=other_org)):
        assert make_client(other).get(url).status_code == 404
    assert make_client().get(url).status_code == 401


# --- a withdrawn sign-off ----------------------------------------------------------------------


def test_a_withdrawn_sign_off_fails_the_status_check(live, signed_entry, app, make_client):
    me, entry = signed_entry
    token = me.get(f"/api/v1/entries/{entry['id']}/credential").get_data(as_text=True)
    verifier = verifier_for(token, live)
    verifier.verify(token, check_status=True, download=fetch)
    with app.app_context():
        sign_off = db.session.scalar(select(SignOff).where(SignOff.entry_id == uuid.UUID(entry["id"])))
        signer = db.session.get(User, sign_off.signer_user_id)
        db.session.expunge(signer)
    boss = make_client(signer)
    done = boss.api("POST", f"/api/v1/sign-offs/{sign_off.id}/withdraw", json={"reason": "Signed in error."})
    assert done.status_code == 200, done.get_json()
    with pytest.raises(OB3VerificationError, match="'revocation' is set"):
        verifier.verify(token, check_status=True, download=fetch)
    verifier.verify(token)  # the signature still holds: the status refuses it
    refused = me.get(f"/api/v1/entries/{entry['id']}/credential")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "not_verified"
