"""Leap2A: the record exported as a package Mahara's importer accepts (its namespaces, entries with
leap2:date, tags as categories, files as leap2:resource with enclosures linked from their entries,
reflections only when asked for), and packages imported with a preview: this logbook's own (round
trip into an empty account keeps every entry, date and file), one written from the specification's
examples, and one in the shape Mahara exports. Hostile packages are refused with a 4xx."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from defusedxml import ElementTree as SafeET
from PIL import Image
from sqlalchemy import func, select

from logbook.entries.models import Entry, EntryOrigin
from logbook.exports import leap2a
from logbook.exports.models import RecordImport
from logbook.extensions import db
from tests.factories import make_entry

SAMPLES = Path(__file__).parent / "samples"
EXPORT = "/api/v1/record/leap2a"
PREVIEW = "/api/v1/record/leap2a/preview"
APPLY = "/api/v1/record/leap2a/apply"
ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
LEAP2 = "{https://web.archive.org/web/20100503000634/http://terms.leapspecs.org}"
TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today


def picture(kind: str = "PNG", colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, format=kind)
    return out.getvalue()


def post(client, url, data):
    return client.api("POST", url, data=data, content_type="application/octet-stream")


def package(feed: bytes, files: dict[str, bytes] | None = None, name: str = "leap2a.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, feed)
        for path, data in (files or {}).items():
            archive.writestr(path, data)
    return out.getvalue()


@pytest.fixture
def my_record(me):
    """Three entries: one with a file, a reflection, impact and an end date; a reading entry; a draft."""
    image = picture()
    sha = hashlib.sha256(image).hexdigest()
    assert me.api("PUT", f"/api/v1/evidence/{sha}?filename=certificate.png", data=image).status_code == 201
    course = make_entry(
        me,
        kind="course",
        title="Trauma-informed practice course",
        description="Two days with the regional team.",
        start_date=(TODAY - dt.timedelta(days=20)).isoformat(),
        end_date=(TODAY - dt.timedelta(days=19)).isoformat(),
        hours="12.5",
        evidence=[{"sha256": sha, "name": "certificate.png"}],
        reflection={"template": "rolfe", "answers": {"what": "PRIVATE-WHAT", "now_what": "PRIVATE-NOW"}},
        impact_on_practice="PRIVATE-IMPACT",
        ways_of_knowing=["propositional"],
        details={"provider": "Regional academy", "location": "Leeds", "has_certificate": True},
    )
    reading = make_entry(
        me,
        kind="reading",
        title="Article on county lines",
        start_date=(TODAY - dt.timedelta(days=5)).isoformat(),
        hours="1.25",
        details={"source": "Journal of Social Work, vol 3"},
    )
    draft = make_entry(me, kind="other", title="Half-written note", status="draft", hours="0.5")
    return {"image": image, "sha": sha, "entries": [course, reading, draft]}


def feed_of(data: bytes):
    files = zipfile.ZipFile(io.BytesIO(data))
    return files, SafeET.fromstring(files.read("leap2a.xml"))


def test_export_is_a_package_mahara_accepts(me, my_record):
    response = me.api("GET", EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    files, feed = feed_of(response.data)
    raw = files.read("leap2a.xml").decode()
    # the namespaces Mahara's importer checks for (and the prefixes its XPath uses), and its version
    for declaration in (
        'xmlns="http://www.w3.org/2005/Atom"',
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
        'xmlns:leap2="https://web.archive.org/web/20100503000634/http://terms.leapspecs.org"',
        'xmlns:categories="https://web.archive.org/web/20120819100914/http://wiki.leapspecs.org:80/2A/categories"',
    ):
        assert declaration in raw
    assert feed.findtext(f"{LEAP2}version") == "http://www.leapspecs.org/2010-07/2A/"
    assert feed.findtext(f"{ATOM}author/{ATOM}name")
    entries = {e.findtext(f"{ATOM}id"): e for e in feed.findall(f"{ATOM}entry")}
    course = next(
        e for e in entries.values() if e.findtext(f"{ATOM}title") == "Trauma-informed practice course"
    )
    assert course.find(f"{RDF}type").get(f"{RDF}resource") == "leap2:entry"
    dates = {d.get(f"{LEAP2}point"): d.text for d in course.findall(f"{LEAP2}date")}
    assert dates == {
        "start": (TODAY - dt.timedelta(days=20)).isoformat(),
        "end": (TODAY - dt.timedelta(days=19)).isoformat(),
    }
    # tags: plain categories (Mahara's tags); the kind under a scheme Mahara does not take as a tag
    plain = [
        c.get("label") or c.get("term") for c in course.findall(f"{ATOM}category") if not c.get("scheme")
    ]
    assert plain == ["propositional"]
    # its file: linked with leap2:has_attachment and related (what Mahara attaches by); the file's own
    # entry is a leap2:resource with one enclosure whose path is in the ZIP beside leap2a.xml
    links = {(link.get("rel"), link.get("href")) for link in course.findall(f"{ATOM}link")}
    file_id = f"portfolio:file-{my_record['sha']}"
    assert {("leap2:has_attachment", file_id), ("related", file_id)} <= links
    resource = entries[file_id]
    assert resource.find(f"{RDF}type").get(f"{RDF}resource") == "leap2:resource"
    enclosures = [link for link in resource.findall(f"{ATOM}link") if link.get("rel") == "enclosure"]
    assert len(enclosures) == 1
    assert enclosures[0].get("href") not in entries
    assert files.read(unquote(enclosures[0].get("href"))) == my_record["image"]
    assert enclosures[0].get("href").startswith("files/")
    # reflections are private: not in the package unless asked for
    assert "PRIVATE" not in raw
    assert not any(rel == "leap2:reflected_on_by" for rel, _ in links)


def test_reflections_only_when_the_practitioner_includes_them(me, my_record):
    files, feed = feed_of(me.api("GET", f"{EXPORT}?include_reflections=true").data)
    raw = files.read("leap2a.xml").decode()
    assert "PRIVATE-WHAT" in raw
    assert "PRIVATE-IMPACT" in raw
    reflection = next(
        e for e in feed.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title", "").startswith("Reflection:")
    )
    assert reflection.find(f"{ATOM}link").get("rel") == "leap2:reflects_on"


def test_round_trip_into_an_empty_account_keeps_every_entry_date_and_file(
    app, me, my_record, make_user, make_client, other_org
):
    exported = me.api("GET", f"{EXPORT}?include_reflections=true").data
    newcomer = make_user("practitioner", organisation=other_org)
    there = make_client(newcomer)
    preview = post(there, PREVIEW, exported)
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["can_apply"] is True
    assert body["summary"]["entries"] == 3
    assert body["summary"]["files"] == 1
    assert body["summary"]["error"] == 0
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Entry).where(Entry.owner_id == newcomer.id))
            == 0
        )
    applied = post(there, APPLY, exported)
    assert applied.status_code == 201, applied.get_json()
    mine = {e["title"]: e for e in me.api("GET", "/api/v1/entries").get_json()["items"]}
    theirs = {e["title"]: e for e in there.api("GET", "/api/v1/entries").get_json()["items"]}
    assert set(theirs) == set(mine)
    for title, original in mine.items():
        copy = theirs[title]
        for key in ("kind", "start_date", "end_date", "hours", "description", "details", "ways_of_knowing"):
            assert copy[key] == original[key], (title, key)
        assert copy["status"] == original["status"]  # recorded stays recorded, a draft stays a draft
        assert copy["reflection"] == original["reflection"]
        assert copy["impact_on_practice"] == original["impact_on_practice"]
    # the file: the same bytes, downloadable by its new owner
    [ref] = theirs["Trauma-informed practice course"]["evidence"]
    assert ref["name"] == "certificate.png"
    download = there.api("GET", f"/api/v1/evidence/{ref['sha256']}")
    assert download.status_code == 200
    assert download.data == my_record["image"]
    # marked as imported (never signed off), and a second import of the same package is refused
    with app.app_context():
        origins = db.session.scalars(select(EntryOrigin)).all()
        owned = {o.entry_id for o in origins} & {
            e.id for e in db.session.scalars(select(Entry).where(Entry.owner_id == newcomer.id))
        }
        assert len(owned) == 3
        assert {i.source_format for i in db.session.scalars(select(RecordImport))} == {"leap2a"}
        assert not db.session.scalar(
            select(func.count())
            .select_from(Entry)
            .where(Entry.owner_id == newcomer.id, Entry.status == "signed_off")
        )
    assert post(there, APPLY, exported).status_code == 409


def test_a_package_written_from_the_specifications_examples(app, me, practitioner):
    feed = (SAMPLES / "leap2a-spec-example.xml").read_bytes()
    certificate = picture()
    # as a bare feed: no files to read, so the certificate is left out, with the reason
    bare = post(me, PREVIEW, feed).get_json()
    items = {i["id"]: i for i in bare["items"]}
    assert items["portfolio:file1"]["action"] == "skip"
    assert items["portfolio:person"]["action"] == "skip"
    assert items["portfolio:plan1"]["action"] == "skip"
    assert "plan" in items["portfolio:plan1"]["notes"][0]
    # as a package with its file
    data = package(feed, {"files/certificate.png": certificate})
    body = post(me, PREVIEW, data).get_json()
    items = {i["id"]: i for i in body["items"]}
    study_day = items["portfolio:activity1"]
    assert study_day["action"] == "create"
    assert study_day["kind"] == "study_day"
    assert (study_day["start_date"], study_day["end_date"]) == ("2025-04-03", "2025-04-03")
    assert study_day["files"] == ["certificate.png"]
    assert study_day["has_reflection"] is True
    assert items["portfolio:reflection1"]["type"] == "reflection"
    assert items["portfolio:file1"]["action"] == "attach"
    article = items["portfolio:entry2"]
    assert article["start_date"] == "2025-04-20"  # when it was published: it has no leap2:date
    assert article["kind"] == "reading"
    assert article["status"] == "draft"  # Leap2A has no hours
    assert any("no hours" in n for n in article["notes"])
    assert post(me, APPLY, data).status_code == 201
    with app.app_context():
        entries = {
            e.title: e for e in db.session.scalars(select(Entry).where(Entry.owner_id == practitioner.id))
        }
        assert set(entries) == {
            "Safeguarding adults study day",
            "Journal article on strengths-based practice",
        }
        day = entries["Safeguarding adults study day"]
        assert day.reflection["answers"]["text"].startswith("Asking people what they want first.")
        assert "I will change my visit notes." in day.reflection["answers"]["text"]
        assert day.description.startswith("A study day on making safeguarding personal.")
        assert "Tags: safeguarding" in day.description
        assert len(day.evidence) == 1
        assert entries["Journal article on strengths-based practice"].description == (
            "Read the article and discussed it with my team."
        )


def test_a_package_in_the_shape_mahara_exports(app, me, practitioner):
    feed = (SAMPLES / "mahara-shaped-leap2a.xml").read_bytes()
    photo = picture("JPEG", (20, 120, 40))
    data = package(
        feed,
        {"files/0-placement notes.odt": b"PK\x03\x04 not really an odt", "files/1-training photo.jpg": photo},
    )
    body = post(me, PREVIEW, data).get_json()
    assert body["source"]["generator"] == "Mahara"
    items = {i["id"]: i for i in body["items"]}
    assert items["portfolio:view17"]["action"] == "skip"  # a page
    assert items["portfolio:artefact40"]["action"] == "skip"  # the journal itself
    assert items["portfolio:artefactinternal"]["action"] == "skip"  # the profile
    assert items["portfolio:artefact184"]["action"] == "skip"  # a plan
    assert items["portfolio:artefact181"]["action"] == "skip"  # an .odt: not evidence this logbook keeps
    assert "JPEG" in items["portfolio:artefact181"]["notes"][0]
    course = items["portfolio:artefact183"]
    assert course["kind"] == "course"
    assert course["start_date"] == "2025-04-15"
    assert course["files"] == ["training photo.jpg"]
    assert any("placement notes.odt" in n for n in course["notes"])
    meeting = items["portfolio:artefact185"]
    assert meeting["action"] == "create"
    assert meeting["kind"] == "other"
    assert body["can_apply"] is True
    applied = post(me, APPLY, data)
    assert applied.status_code == 201, applied.get_json()
    assert len(applied.get_json()["entry_ids"]) == 2
    with app.app_context():
        entries = {
            e.title: e for e in db.session.scalars(select(Entry).where(Entry.owner_id == practitioner.id))
        }
        course = entries["Manual handling refresher course"]
        assert course.description.startswith("Half-day course on safe moving and handling.")
        assert "Tags: training, moving and handling" in course.description
        assert course.status == "draft"
        assert entries["Team meeting on the new referral pathway"].description == (
            "Went through the new pathway & who does what."
        )


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&secret;</title></feed>"""


@pytest.mark.parametrize(
    "data",
    [
        BOMB,
        EXTERNAL,
        b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<x>" * 200 + b"</x>" * 200 + b"</feed>",  # too deep
        b"<rss><channel/></rss>",  # not Atom
        b"<feed xmlns='http://www.w3.org/2005/Atom'",  # not well-formed
        (
            b"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:leap2='http://terms.leapspecs.org/'>"
            b"<leap2:version>http://www.leapspecs.org/2009-03/2A/</leap2:version></feed>"
        ),  # another version
        package(b"<feed xmlns='http://www.w3.org/2005/Atom'/>", name="other.xml"),  # no feed in the ZIP
        b"PK\x03\x04 broken zip",
        b"",
        b"\xff\xfe\x00garbage",
    ],
)
def test_hostile_packages_are_refused(me, data):
    response = post(me, PREVIEW, data)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["fields"]


def test_budgets(app, me, practitioner):
    # larger than the upload budget: 413 before it is read
    app.config["LEAP2A_IMPORT_MAX_BYTES"] = 1000
    assert post(me, PREVIEW, b"x" * 5000).status_code == 413
    app.config["LEAP2A_IMPORT_MAX_BYTES"] = 50 * 1024 * 1024
    # a zip bomb: a member inflating past the feed's budget
    bomb = package(b"\0" * (17 * 1024 * 1024))
    response = post(me, PREVIEW, bomb)
    assert response.status_code == 422
    assert "too large" in response.get_json()["error"]["message"]
    # too many entries (the service's own budget)
    entry = b"<entry><id>e%d</id><title>t</title><updated>2025-01-01T00:00:00Z</updated></entry>"
    feed = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"".join(entry % i for i in range(5)) + b"</feed>"
    with app.app_context():
        user = db.session.get(type(practitioner), practitioner.id)
        with pytest.raises(leap2a.Leap2aError):
            leap2a.plan(user=user, data=feed, budget=leap2a.Budget(max_entries=3))
    # an enclosure pointing outside the package is never read
    escape = (
        b"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        b"<entry><id>f</id><title>passwd</title><rdf:type rdf:resource='leap2:resource'/>"
        b"<link rel='enclosure' href='../../../etc/passwd'/></entry>"
        b"<entry><id>e</id><title>Course</title><updated>2025-01-01T00:00:00Z</updated>"
        b"<link rel='related' href='f'/></entry></feed>"
    )
    body = post(me, PREVIEW, package(escape)).get_json()
    items = {i["id"]: i for i in body["items"]}
    assert items["f"]["action"] == "skip"
    assert items["e"]["files"] == []


def test_an_item_with_a_problem_stops_the_whole_import(app, me, practitioner):
    feed = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'>"
        b"<entry><id>a</id><title>Fine</title><updated>2025-01-01T00:00:00Z</updated></entry>"
        b"<entry><id>b</id><title>No date at all</title></entry></feed>"
    )
    preview = post(me, PREVIEW, feed).get_json()
    assert preview["can_apply"] is False
    assert {i["id"]: i["action"] for i in preview["items"]} == {"a": "create", "b": "error"}
    assert "no date" in preview["items"][1]["problems"][0]
    refused = post(me, APPLY, feed)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["preview"]["summary"]["error"] == 1
    with app.app_context():
        assert not db.session.scalar(
            select(func.count()).select_from(Entry).where(Entry.owner_id == practitioner.id)
        )


def test_signed_in_only(client):
    assert client.api("GET", EXPORT).status_code == 401
    assert post(client, PREVIEW, b"<feed/>").status_code == 401
