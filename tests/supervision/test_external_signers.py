"""External signers are somebody else (issue #16, problem 2): not the practitioner's own mailbox in
another form, not a colleague, only at the organisation's listed domains, approved by an org admin
when the organisation asks for it (no email before), rate-limited per practitioner, and labelled as
external with their registration number wherever their sign-off is shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from logbook.accounts.models import Organisation
from logbook.extensions import db
from logbook.supervision.external_signers import normalise_email
from logbook.supervision.models import ExternalSignOffLink, SignOffRequest
from tests.factories import make_entry, request_from
from tests.helpers import link_token, pdf_text
from tests.supervision.test_external import submit

SIGNER = {"name": "Dr Ada Byrne", "email": "ada.byrne@otheragency.example", "registration_body": "HCPC"}


def external(**overrides):
    return {"external": {**SIGNER, **overrides}}


@pytest.fixture
def gmail_user(make_user):
    return make_user("practitioner", email="their.name@gmail.com", name="Sam Practitioner")


@pytest.fixture
def me(make_client, gmail_user):
    return make_client(gmail_user)


def _set(app, org, **values):
    with app.app_context():
        row = db.session.get(Organisation, org.id)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()


@pytest.mark.parametrize(
    ("address", "same"),
    [
        ("their.name+cpd@gmail.com", True),
        ("THEIRNAME@googlemail.com", True),
        ("t.h.e.i.r.n.a.m.e+x+y@GMAIL.COM.", True),
        ("their.name@example.org", False),
        ("theirname@example.org", False),
    ],
)
def test_normalised_mailbox(address, same):
    assert (normalise_email(address) == normalise_email("Their.Name@gmail.com")) is same
    # +tags go everywhere; dots only where the provider ignores them
    assert normalise_email("A.B+tag@Example.org") == "a.b@example.org"


@pytest.mark.parametrize(
    "alias",
    ["their.name+cpd@gmail.com", "theirname@googlemail.com", "THEIR.NAME@gmail.com", "t.heir.name@gmail.com"],
)
def test_asking_yourself_through_an_alias_is_refused(app, me, outbox, alias):
    entry = make_entry(me)
    answer = request_from(me, entry, **external(email=alias))
    assert answer.status_code == 422, answer.get_json()
    assert "own address" in answer.get_json()["error"]["fields"]["external.email"][0]
    assert outbox == []
    with app.app_context():
        assert db.session.scalar(select(SignOffRequest)) is None


def test_a_colleague_is_asked_through_the_internal_flow(app, me, make_user, outbox):
    make_user("practitioner", "supervisor", email="priya.colleague@northshire.example")
    entry = make_entry(me)
    answer = request_from(me, entry, **external(email="priya.colleague+external@NORTHSHIRE.example"))
    assert answer.status_code == 422
    assert "internal" in answer.get_json()["error"]["fields"]["external.email"][0]
    assert outbox == []


def test_someone_at_another_organisation_with_a_similar_address_may_sign(me, make_user, other_org, outbox):
    make_user("practitioner", organisation=other_org, email="ada.byrne@otheragency.example")
    entry = make_entry(me)
    assert request_from(me, entry, **external()).status_code == 201
    assert len(outbox) == 1


def test_only_listed_domains_when_the_organisation_says_so(app, org, me, admin_client, outbox):
    answer = admin_client.api(
        "PATCH",
        "/api/v1/admin/external-signer-settings",
        json={"allowed_domains": ["NHS.net", "camhs.example"]},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["allowed_domains"] == ["camhs.example", "nhs.net"]
    entry = make_entry(me)
    refused = request_from(me, entry, **external())
    assert refused.status_code == 422
    assert "camhs.example, nhs.net" in refused.get_json()["error"]["fields"]["external.email"][0]
    # a subdomain trick or a domain that merely ends the same is not the listed domain
    assert request_from(me, entry, **external(email="ada@evilnhs.net")).status_code == 422
    assert request_from(me, entry, **external(email="ada@nhs.net.evil.example")).status_code == 422
    assert outbox == []
    assert request_from(me, entry, **external(email="Ada.Byrne@nhs.net")).status_code == 201
    assert len(outbox) == 1
    bad = admin_client.api(
        "PATCH", "/api/v1/admin/external-signer-settings", json={"allowed_domains": ["a b"]}
    )
    assert bad.status_code == 422


def test_a_practitioner_cannot_change_the_rules(me):
    assert (
        me.api("PATCH", "/api/v1/admin/external-signer-settings", json={"allowed_domains": []}).status_code
        == 403
    )
    assert me.api("GET", "/api/v1/admin/external-signers").status_code == 403


def test_approval_first_then_the_email(app, org, me, admin_client, make_user, make_client, other_org, outbox):
    assert (
        admin_client.api(
            "PATCH", "/api/v1/admin/external-signer-settings", json={"require_approval": True}
        ).status_code
        == 200
    )
    entry = make_entry(me, title="Joint visit with CAMHS")
    asked = request_from(me, entry, **external())
    assert asked.status_code == 201, asked.get_json()
    body = asked.get_json()
    assert body["external_approval"] == "pending"
    assert body["link_expires_at"] is None
    assert outbox == []  # nothing emailed before an admin approves
    with app.app_context():
        assert db.session.scalar(select(ExternalSignOffLink)) is None
    mine = me.api("GET", "/api/v1/sign-off-requests?scope=mine").get_json()["items"]
    assert mine[0]["external_approval"] == "pending"

    # Another organisation's admin neither sees nor approves it; the practitioner cannot approve it.
    outsider = make_client(make_user("org_admin", organisation=other_org))
    assert outsider.api("GET", "/api/v1/admin/external-signers").get_json()["items"] == []
    (pending,) = admin_client.api("GET", "/api/v1/admin/external-signers").get_json()["items"]
    assert pending["email"] == "ada.byrne@otheragency.example"
    assert outsider.api("POST", f"/api/v1/admin/external-signers/{pending['id']}/approve").status_code == 404
    assert me.api("POST", f"/api/v1/admin/external-signers/{pending['id']}/approve").status_code == 403
    assert outbox == []

    approved = admin_client.api("POST", f"/api/v1/admin/external-signers/{pending['id']}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["links_sent"] == 1
    assert len(outbox) == 1
    assert outbox[0].to == "ada.byrne@otheragency.example"
    assert "Joint visit with CAMHS" in outbox[0].body
    assert (
        admin_client.api("POST", f"/api/v1/admin/external-signers/{pending['id']}/approve").status_code == 409
    )
    mine = me.api("GET", "/api/v1/sign-off-requests?scope=mine").get_json()["items"]
    assert mine[0]["external_approval"] is None

    # Once approved, the same signer (any form of the address) is emailed at once.
    other = make_entry(me, title="Second visit")
    assert request_from(me, other, **external(email="Ada.Byrne+cpd@otheragency.example")).status_code == 201
    assert len(outbox) == 2


def test_a_refused_signer_is_never_emailed(app, org, me, admin_client, outbox):
    _set(app, org, external_signer_approval=True)
    entry = make_entry(me)
    assert request_from(me, entry, **external()).status_code == 201
    (pending,) = admin_client.api("GET", "/api/v1/admin/external-signers").get_json()["items"]
    refused = admin_client.api("POST", f"/api/v1/admin/external-signers/{pending['id']}/refuse")
    assert refused.status_code == 200
    assert outbox == []
    mine = me.api("GET", "/api/v1/sign-off-requests?scope=mine&state=all").get_json()["items"]
    assert (mine[0]["state"], mine[0]["external_approval"]) == ("cancelled", "refused")
    assert me.api("GET", f"/api/v1/entries/{entry['id']}").get_json()["status"] == "recorded"
    again = request_from(me, me.api("GET", f"/api/v1/entries/{entry['id']}").get_json(), **external())
    assert again.status_code == 422
    assert "refused" in again.get_json()["error"]["fields"]["external.email"][0]
    assert outbox == []


def test_external_requests_are_rate_limited_per_practitioner(app, me, make_user, make_client, outbox):
    limit = app.config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"]
    assert limit == 10  # the documented number
    entries = [make_entry(me, title=f"Entry {i}") for i in range(limit + 1)]
    for i, entry in enumerate(entries[:limit]):
        assert request_from(me, entry, **external(email=f"signer{i}@elsewhere.example")).status_code == 201
    over = request_from(me, entries[limit], **external(email="one.more@elsewhere.example"))
    assert over.status_code == 429, over.get_json()
    assert over.get_json()["error"]["code"] == "rate_limited"
    assert len(outbox) == limit
    with app.app_context():
        assert (
            db.session.scalar(select(SignOffRequest).where(SignOffRequest.external_email.like("one.more%")))
            is None
        )
    # Another practitioner is not affected.
    colleague = make_client(make_user("practitioner"))
    assert request_from(colleague, make_entry(colleague), **external()).status_code == 201


def test_the_limit_holds_through_sync_too(app, make_client, gmail_user, outbox):
    """A phone's queued requests count towards the same limit (the mutation is refused, not a 500)."""
    from tests.supervision.test_sync_request import request_mutation
    from tests.sync.device import Device

    app.config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"] = 1
    phone = Device(make_client(gmail_user))
    first, second = make_entry(phone.client), make_entry(phone.client)
    assert request_from(phone.client, first, **external()).status_code == 201
    [result] = phone.push(request_mutation(phone, second, **external()))["results"]
    assert result["status"] != "applied", result
    assert len(outbox) == 1


def test_external_sign_offs_are_labelled_with_the_number_they_gave(app, client, me, outbox):
    entry = make_entry(me, title="Joint visit with CAMHS")
    assert request_from(me, entry, **external()).status_code == 201
    done = submit(client, link_token(outbox[-1]))
    assert done.status_code == 200
    (item,) = me.api("GET", f"/api/v1/entries/{entry['id']}/sign-offs").get_json()["items"]
    assert item["signer_kind"] == "external"
    assert item["signer_label"] == "External (HCPC PYL12345)"
    assert item["verification"]["is_valid"] is True
    text = pdf_text(me.api("POST", "/api/v1/portfolio", json={}).data)
    assert "external signer" in text
    assert "HCPC PYL12345" in text


def test_two_requests_at_the_same_moment_do_not_both_pass_the_limit(app, make_client, gmail_user, outbox):
    """The count is taken with the practitioner's row locked (PostgreSQL), so two requests racing at
    the last allowed one give one 201 and one 429, never two emails over the limit (nor a 500)."""
    import threading

    app.config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"] = 1
    phones = [make_client(gmail_user), make_client(gmail_user)]
    entries = [make_entry(phones[0]), make_entry(phones[0])]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def ask(i: int) -> None:
        barrier.wait()
        statuses.append(
            request_from(phones[i], entries[i], **external(email=f"s{i}@elsewhere.example")).status_code
        )

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 429], statuses
    assert len(outbox) == 1
