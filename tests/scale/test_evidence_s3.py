"""Evidence on the S3 store (SeaweedFS), through both app servers: what is uploaded through one is
in the bucket (checked with boto3 directly, location removed), is downloaded through the other, and
is stored once however many times it is uploaded."""

from __future__ import annotations

import hashlib

import pytest

from scripts.scale import BUCKET
from tests.entries.test_evidence_api import gps_of, jpeg
from tests.scale.web import logged_in

pytestmark = pytest.mark.scale


def _objects(profile) -> dict[str, bytes]:
    """Every evidence object in the bucket, by key."""
    s3 = profile.s3_client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="evidence/").get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def upload(web, data: bytes, **kwargs):
    digest = hashlib.sha256(data).hexdigest()
    return web.api(
        "PUT",
        f"/api/v1/evidence/{digest}?filename=visit.jpg",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
        **kwargs,
    )


def test_evidence_goes_to_s3_without_location_and_comes_back_through_the_other_server(
    base, profile, make_person
):
    person = make_person()
    phone = logged_in(base, person.email, pin="app1")
    laptop = logged_in(base, person.email, pin="app2")
    photo = jpeg(gps=True, colour="navy")
    assert gps_of(photo)  # the phone's photo says where it was taken
    before = _objects(profile)

    response = upload(phone, photo)
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(photo).hexdigest()

    added = {k: v for k, v in _objects(profile).items() if k not in before}
    [(key, stored)] = added.items()  # exactly one object, named by the SHA-256 of what it holds
    assert key == f"evidence/{hashlib.sha256(stored).hexdigest()}"
    assert gps_of(stored) == {}  # the location was removed before it reached the store
    assert len(stored) == response.json()["size"]

    download = laptop.get(f"/api/v1/evidence/{hashlib.sha256(photo).hexdigest()}")
    assert download.status_code == 200
    assert download.content == stored
    assert download.headers["X-Served-By"] == "app2"

    # the same photo again (through the other server), and by someone else: one object still
    again = upload(laptop, photo)
    assert again.status_code == 200, again.text
    colleague = logged_in(base, make_person().email)
    assert upload(colleague, photo).status_code == 201
    assert _objects(profile).keys() == before.keys() | {key}
