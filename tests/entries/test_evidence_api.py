"""Evidence uploads and downloads over the API: hashes, types by content, size, location, duplicates."""

import hashlib
import io
import zipfile

import pytest
from PIL import Image

from logbook.entries.models import Evidence, EvidenceUpload
from logbook.extensions import db
from tests.entries.test_entries_api import base

GPS = {1: "N", 2: (53.0, 28.0, 51.2), 3: "W", 4: (2.0, 14.0, 39.9)}


def exif_with_gps(orientation=6):
    """EXIF with an orientation, a camera make, a capture time and a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneCam"
    exif.get_ifd(0x8769)[0x9003] = "2025:06:01 10:30:00"
    exif.get_ifd(0x8825).update(GPS)
    return exif


def jpeg(gps=True, colour="red"):
    """A small JPEG photo, with GPS in its EXIF unless told otherwise."""
    out = io.BytesIO()
    image = Image.new("RGB", (40, 30), colour)
    if gps:
        xmp = b"<x:xmpmeta><exif:GPSLatitude>53,28.85N</exif:GPSLatitude></x:xmpmeta>"
        image.save(out, format="JPEG", exif=exif_with_gps().tobytes(), xmp=xmp)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def png(gps=False):
    """A small PNG, optionally with GPS in an eXIf chunk and a location in a text chunk."""
    out = io.BytesIO()
    image = Image.new("RGB", (20, 20), "blue")
    if gps:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Location", "Flat 2, CR2 6XH")
        image.save(out, format="PNG", exif=exif_with_gps().tobytes(), pnginfo=info)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def heic(gps=True):
    """A small HEIC photo with GPS in its EXIF."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "green").save(
        out, format="HEIF", exif=exif_with_gps().tobytes() if gps else None
    )
    return out.getvalue()


def docx():
    """The smallest thing that is a Word document by its parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 100


def sha(data):
    """SHA-256 hex of bytes."""
    return hashlib.sha256(data).hexdigest()


def put(client, data, name="", digest=None):
    """Upload bytes the way the PWA does."""
    url = f"/api/v1/evidence/{digest or sha(data)}" + (f"?filename={name}" if name else "")
    return client.api("PUT", url, data=data, headers={"Content-Type": "application/octet-stream"})


def gps_of(data):
    """The GPS directory of a picture's EXIF (empty when there is none)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(0x8825))


@pytest.mark.parametrize(
    ("make", "media_type"),
    [
        (lambda: jpeg(gps=False), "image/jpeg"),
        (png, "image/png"),
        (lambda: PDF, "application/pdf"),
        (docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (lambda: heic(gps=False), "image/heic"),
    ],
)
def test_each_accepted_type_round_trips(make_client, practitioner, make, media_type):
    client = make_client(practitioner)
    data = make()
    response = put(client, data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"sha256": sha(data), "media_type": media_type, "size": len(data)}
    download = client.get(f"/api/v1/evidence/{sha(data)}")
    assert download.status_code == 200
    assert download.data == data  # nothing to strip: kept byte for byte
    assert download.mimetype == media_type
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_hash_mismatch_is_refused_naming_the_field(app, make_client, practitioner):
    client = make_client(practitioner)
    data = jpeg()
    response = put(client, data[:-10], digest=sha(data))  # cut short on a bad connection
    assert response.status_code == 422
    assert "sha256" in response.get_json()["error"]["fields"]
    assert client.api("PUT", "/api/v1/evidence/not-a-hash", data=data).status_code == 422
    with app.app_context():
        assert db.session.query(Evidence).count() == 0


def test_type_comes_from_the_content_not_the_name(make_client, practitioner):
    client = make_client(practitioner)
    data = png()
    response = put(client, data, name="minutes.pdf")
    assert response.status_code == 201
    assert response.get_json()["media_type"] == "image/png"
    assert client.get(f"/api/v1/evidence/{sha(data)}").mimetype == "image/png"


@pytest.mark.parametrize(
    "data",
    [EXE, ELF, b"<html><script>alert(1)</script></html>", b"PK\x03\x04 not a zip", b""],
    ids=["windows exe", "elf", "html", "broken zip", "empty"],
)
def test_executables_and_other_types_are_refused(app, make_client, practitioner, data):
    response = put(make_client(practitioner), data, name="holiday.jpg")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    with app.app_context():
        assert db.session.query(Evidence).count() == 0


def test_a_zip_that_is_not_a_word_document_is_refused(make_client, practitioner):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("payload.exe", EXE)
    assert put(make_client(practitioner), out.getvalue(), name="report.docx").status_code == 415


def test_a_damaged_jpeg_is_refused(make_client, practitioner):
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
    assert put(make_client(practitioner), data).status_code == 415


def test_oversize_is_refused_with_the_error_shape(app, make_client, practitioner):
    app.config["EVIDENCE_MAX_BYTES"] = 2000
    client = make_client(practitioner)
    big = PDF + b"0" * 2100
    response = put(client, big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    much_bigger = PDF + b"0" * 50_000  # refused by the request limit before the body is read
    response = put(client, much_bigger)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert put(client, PDF).status_code == 201


def test_the_default_limit_is_ten_megabytes(app):
    assert app.config["EVIDENCE_MAX_BYTES"] == 10 * 1024 * 1024


def test_gps_is_removed_from_jpeg_keeping_orientation(make_client, practitioner):
    client = make_client(practitioner)
    data = jpeg(gps=True)
    assert gps_of(data)  # the test photo really has a location
    assert b"GPSLatitude" in data
    stored = put(client, data).get_json()
    assert stored["sha256"] == sha(data)  # the key stays what the device sent
    back = client.get(f"/api/v1/evidence/{sha(data)}").data
    assert back != data
    assert gps_of(back) == {}
    assert b"GPSLatitude" not in back  # nor in XMP
    with Image.open(io.BytesIO(back)) as image:
        exif = image.getexif()
        assert exif[0x0112] == 6  # orientation kept
        assert exif[0x010F] == "PhoneCam"
        assert exif.get_ifd(0x8769)[0x9003] == "2025:06:01 10:30:00"
        assert image.size == (40, 30)
    assert stored["size"] == len(back)


def test_gps_is_removed_from_png(make_client, practitioner):
    client = make_client(practitioner)
    data = png(gps=True)
    assert gps_of(data)
    assert b"CR2 6XH" in data
    put(client, data)
    back = client.get(f"/api/v1/evidence/{sha(data)}").data
    assert gps_of(back) == {}
    assert b"CR2 6XH" not in back
    with Image.open(io.BytesIO(back)) as image:
        assert image.getexif()[0x0112] == 6
        image.load()


def test_gps_is_removed_from_heic(make_client, practitioner):
    client = make_client(practitioner)
    data = heic(gps=True)
    assert gps_of(data)
    assert put(client, data).get_json()["media_type"] == "image/heic"
    back = client.get(f"/api/v1/evidence/{sha(data)}").data
    assert gps_of(back) == {}


def heic_burst():
    """A HEIC of two images (as a burst or an edited photo is): the primary without location, the
    second with GPS in its EXIF and a place in its XMP."""
    import pillow_heif

    heif = pillow_heif.HeifFile()
    heif.add_frombytes("RGB", (32, 32), Image.new("RGB", (32, 32), "green").tobytes())
    second = heif.add_frombytes("RGB", (32, 32), Image.new("RGB", (32, 32), "red").tobytes())
    second.info["exif"] = exif_with_gps().tobytes()
    second.info["xmp"] = b"<x:xmpmeta><exif:GPSLatitude>53,28.85N</exif:GPSLatitude></x:xmpmeta>"
    out = io.BytesIO()
    heif.save(out)
    return out.getvalue()


def test_gps_is_removed_from_every_image_of_a_heic(make_client, practitioner):
    """Issue #17: a HEIC whose second image carried GPS was stored unchanged (only the primary was
    looked at)."""
    import pillow_heif

    data = heic_burst()
    [first, second] = pillow_heif.open_heif(io.BytesIO(data))
    assert not first.info.get("exif")
    before = Image.Exif()
    before.load(second.info["exif"])
    assert dict(before.get_ifd(0x8825))  # the premise: the second image has a position
    client = make_client(practitioner)
    assert put(client, data).get_json()["media_type"] == "image/heic"
    back = client.get(f"/api/v1/evidence/{sha(data)}").data
    assert back != data
    assert b"GPSLatitude" not in back
    images = list(pillow_heif.open_heif(io.BytesIO(back)))
    assert len(images) == 2  # both pictures kept
    assert [img.info["primary"] for img in images] == [True, False]
    for img in images:
        assert not img.info.get("xmp")
        if img.info.get("exif"):
            exif = Image.Exif()
            exif.load(img.info["exif"])
            assert dict(exif.get_ifd(0x8825)) == {}
    kept = Image.Exif()
    kept.load(images[1].info["exif"])
    assert kept[0x0112] == 6  # the orientation and the rest of the EXIF stay
    assert images[1].to_pillow().getpixel((16, 16))[0] > 200  # still the red picture


def test_the_same_file_twice_is_stored_once(app, make_client, practitioner, make_user):
    data = jpeg(gps=True)
    client = make_client(practitioner)
    assert put(client, data).status_code == 201
    again = put(client, data)
    assert again.status_code == 200
    assert again.get_json()["sha256"] == sha(data)
    colleague = make_user("practitioner")
    # has the bytes: may have the file; and the answer is the one a new file gets, so uploading
    # bytes never tells whether someone else holds that exact file (an existence oracle, issue #17)
    assert put(make_client(colleague), data).status_code == 201
    assert put(make_client(colleague), data).status_code == 200  # their own second upload
    with app.app_context():
        assert db.session.query(Evidence).count() == 1
        assert db.session.query(EvidenceUpload).count() == 2
        stored_key = db.session.get(Evidence, sha(data)).stored_sha256
    folder = app.config["EVIDENCE_URL"]
    import pathlib

    files = [p for p in pathlib.Path(folder).rglob("*") if p.is_file()]
    assert [p.name for p in files] == [stored_key]


def test_someone_elses_evidence_is_not_found(make_client, practitioner, make_user):
    data = PDF + b"% private\n"
    put(make_client(practitioner), data)
    other = make_client(make_user("practitioner"))
    response = other.get(f"/api/v1/evidence/{sha(data)}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    # indistinguishable from a file that does not exist
    assert other.get(f"/api/v1/evidence/{'0' * 64}").status_code == 404


def test_naming_a_hash_in_your_own_entry_does_not_unlock_it(make_client, practitioner, make_user):
    data = PDF + b"% case notes\n"
    put(make_client(practitioner), data)
    thief = make_client(make_user("practitioner"))
    created = thief.api("POST", "/api/v1/entries", json=base(evidence=[{"sha256": sha(data)}]))
    assert created.status_code == 422  # not one of your uploads
    assert thief.get(f"/api/v1/evidence/{sha(data)}").status_code == 404


def test_an_entry_may_name_a_photo_before_it_is_uploaded(make_client, practitioner):
    client = make_client(practitioner)
    data = jpeg()
    created = client.api("POST", "/api/v1/entries", json=base(evidence=[{"sha256": sha(data)}]))
    assert created.status_code == 201
    assert client.get(f"/api/v1/evidence/{sha(data)}").status_code == 404  # not here yet
    assert put(client, data).status_code == 201
    assert client.get(f"/api/v1/evidence/{sha(data)}").status_code == 200


def test_anonymous_cannot_upload_or_download(client):
    assert put(client, PDF).status_code in {401, 403}  # no session (and so no CSRF token)
    assert client.get(f"/api/v1/evidence/{sha(PDF)}").status_code == 401


def test_a_missing_file_in_the_store_is_put_back_by_the_next_upload(app, make_client, practitioner):
    import pathlib

    client = make_client(practitioner)
    put(client, PDF)
    for path in pathlib.Path(app.config["EVIDENCE_URL"]).rglob("*"):
        if path.is_file():
            path.unlink()
    assert client.get(f"/api/v1/evidence/{sha(PDF)}").status_code == 404
    assert put(client, PDF).status_code == 200
    assert client.get(f"/api/v1/evidence/{sha(PDF)}").data == PDF


def test_the_same_new_file_arriving_twice_at_once(app, practitioner, monkeypatch):
    """Two requests upload a new file together: the loser finds the winner's row, nothing fails."""
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): the race cannot happen there")
    import datetime as dt

    from logbook.accounts.models import User
    from logbook.entries import evidence
    from logbook.storage import MemoryStore

    data = PDF + b"% raced\n"
    real_sniff = evidence.sniff_media_type

    def other_request_commits_first(raw):
        with db.engine.begin() as conn:
            conn.execute(
                Evidence.__table__.insert().values(
                    sha256=sha(raw),
                    stored_sha256=sha(raw),
                    media_type="application/pdf",
                    size=len(raw),
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
        return real_sniff(raw)

    monkeypatch.setattr(evidence, "sniff_media_type", other_request_commits_first)
    with app.app_context():
        user = db.session.get(User, practitioner.id)
        stored = evidence.upload_evidence(
            uploader=user,
            sha256=sha(data),
            data=data,
            max_bytes=10_000,
            store=MemoryStore(),
            now=dt.datetime.now(dt.UTC),
        )
        assert stored.is_new is True  # new for this uploader, whoever stored the bytes first
        assert stored.evidence.sha256 == sha(data)
        db.session.commit()
        assert db.session.query(EvidenceUpload).count() == 1


def test_pictures_appended_after_the_photo_are_dropped(make_client, practitioner):
    """Phones append depth maps and previews after the main picture, each with its own EXIF."""
    client = make_client(practitioner)
    data = jpeg(gps=False, colour="white") + jpeg(gps=True)
    put(client, data)
    back = client.get(f"/api/v1/evidence/{sha(data)}").data
    assert back == jpeg(gps=False, colour="white")
    assert b"GPSLatitude" not in back


def test_a_photo_without_location_is_kept_byte_for_byte(make_client, practitioner):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 3
    Image.new("RGB", (16, 16), "yellow").save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    client = make_client(practitioner)
    assert put(client, data).get_json()["size"] == len(data)
    assert client.get(f"/api/v1/evidence/{sha(data)}").data == data


def test_a_jpeg_cut_off_before_the_picture_is_refused(make_client, practitioner):
    data = jpeg(gps=True)
    headers_only = data[: data.index(b"\xff\xda")]  # every segment, no picture
    assert put(make_client(practitioner), headers_only).status_code == 415


def test_the_answer_never_tells_whether_someone_else_holds_a_file(make_client, practitioner, make_user):
    """Issue #17: re-uploading another person's exact file answered 200 where a file nobody had
    answered 201, telling the uploader that someone holds it. Both answers are now alike."""
    owner_copy = jpeg(gps=True, colour="purple")
    assert put(make_client(practitioner), owner_copy).status_code == 201
    prober = make_client(make_user("practitioner"))
    held = put(prober, owner_copy)
    unheld = put(prober, jpeg(gps=True, colour="orange"))
    assert held.status_code == unheld.status_code == 201
    assert sorted(held.get_json()) == sorted(unheld.get_json())
