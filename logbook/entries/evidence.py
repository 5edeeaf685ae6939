"""Evidence files: checked by content, stripped of location, stored once, and shown only to those allowed.

A device uploads the bytes it has under their SHA-256 (the key entries use). The server decides the type
from the bytes themselves (never the name), refuses anything but JPEG, PNG, HEIC, PDF and DOCX, and
removes location metadata from photos before storing. Evidence.sha256 stays what the device sent;
Evidence.stored_sha256 names the bytes actually kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from logbook.accounts.models import User
from logbook.entries.models import Entry, EntryEvidence, Evidence, EvidenceUpload
from logbook.entries.service import OWNER, SUPERVISOR, access_level
from logbook.errors import DomainError, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.storage import EvidenceStore, StorageError

SHA256 = re.compile(r"^[0-9a-f]{64}$")
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
# The most pixels a photo may have (docs/security.md, "Limits"), read from its header before anything
# is decoded: 50 megapixels is above a 48 MP phone camera; a PNG that large decodes to at most 200 MB.
# (Before: a 641 KB PNG of 13,000 x 13,000 pixels was decoded whole, 850 MB, and accepted.)
MAX_PIXELS = 50_000_000


class TooLarge(DomainError):
    """An upload over the size limit."""

    status = 413
    code = "too_large"


class UnsupportedType(DomainError):
    """An upload whose content is not one of the accepted types."""

    status = 415
    code = "unsupported_media_type"


class TooManyPixels(UnsupportedType):
    """A photo with more pixels than MAX_PIXELS (refused before it is decoded)."""

    status = 422
    code = "too_many_pixels"


class StorageUnavailable(DomainError):
    """The evidence store could not keep the file: 507 when out of space, 503 otherwise."""

    status = 503
    code = "storage_unavailable"
    retry_after = 30

    def __init__(self, err: StorageError) -> None:
        if err.full:
            self.status, self.code, self.retry_after = 507, "insufficient_storage", 300
            message = "The server has no room for this file just now; nothing was saved. Try again later."
        else:
            message = "The file store is not available just now; nothing was saved. Try again shortly."
        super().__init__(message, fields={"body": ["not stored"]})


def _put(store: EvidenceStore, key: str, data: bytes) -> None:
    try:
        store.put(key, data)
    except StorageError as err:
        raise StorageUnavailable(err) from err


def _exists(store: EvidenceStore, key: str) -> bool:
    try:
        return store.exists(key)
    except StorageError as err:
        raise StorageUnavailable(err) from err


@dataclass(frozen=True)
class Stored:
    """The outcome of an upload: the evidence row and whether this uploader had not sent it before.

    Never "new to the server": the answer (201 or 200) must not depend on other people's files, or
    uploading a file's bytes would tell anyone whether someone else holds that exact file (issue #17)."""

    evidence: Evidence
    is_new: bool


# --- what is it? -------------------------------------------------------------------------------


def _is_docx(data: bytes) -> bool:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())  # reads the directory, inflates nothing
    except (zipfile.BadZipFile, ValueError, EOFError):
        return False
    return {"[Content_Types].xml", "word/document.xml"} <= names


def _is_heic(data: bytes) -> bool:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = struct.unpack(">I", data[:4])[0]
    major, compatible = data[8:12], data[16 : max(16, min(box_size, 256))]
    brands = {major} | {compatible[i : i + 4] for i in range(0, len(compatible) - 3, 4)}
    return bool(brands & HEIC_BRANDS)


def sniff_media_type(data: bytes) -> str | None:
    """The media type the bytes really are (JPEG, PNG, HEIC, PDF, DOCX), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if _is_heic(data):
        return "image/heic"
    return None


# --- removing location -------------------------------------------------------------------------


def _exif_without_gps(raw: bytes) -> bytes | None:
    """The EXIF block with its GPS directory removed; None when there was no GPS to remove."""
    from PIL import Image  # Pillow loads when a photo arrives, not when a server starts (issue 24)

    exif = Image.Exif()
    exif.load(raw)
    if GPS_IFD not in exif:
        return None
    exif.get_ifd(EXIF_IFD)  # load the camera sub-directory so it is written back out
    del exif[GPS_IFD]
    return exif.tobytes()  # orientation (0x0112) and the rest stay


XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")


def strip_jpeg(data: bytes) -> bytes:
    """Remove GPS from EXIF, and drop XMP, Photoshop/IPTC and comment segments (which can hold places),
    without re-encoding the picture."""
    out = bytearray(data[:2])
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("not a JPEG segment")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            out += data[pos : pos + 2]
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment, body = data[pos : pos + 2 + length], data[pos + 4 : pos + 2 + length]
        if marker == 0xDA:  # start of scan: the picture itself follows, copied as is up to its end
            # Bytes after the end-of-image marker (phones append depth maps and previews there, each
            # with EXIF of its own, GPS included) are dropped: only the primary picture is kept.
            end = data.find(b"\xff\xd9", pos + 2)
            out += data[pos:] if end < 0 else data[pos : end + 2]
            return bytes(out)
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            clean = _exif_without_gps(body)
            if clean is not None:
                segment = b"\xff\xe1" + struct.pack(">H", len(clean) + 2) + clean
        elif (
            (marker == 0xE1 and body.startswith(XMP_PREFIXES))
            or (marker == 0xE2 and body.startswith(b"MPF\x00"))  # index of the dropped appended images
            or marker in (0xED, 0xFE)
        ):
            segment = b""
        out += segment
        pos += 2 + length
    out += data[pos:]
    return bytes(out)


PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt"}


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def strip_png(data: bytes) -> bytes:
    """Remove GPS from an eXIf chunk and drop text chunks (XMP and raw profiles live there)."""
    out = bytearray(data[:8])
    pos = 8
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        chunk = data[pos : pos + 12 + length]
        if kind == b"eXIf":
            clean = _exif_without_gps(body)
            if clean is not None:
                chunk = _png_chunk(kind, clean.removeprefix(b"Exif\x00\x00"))
        elif kind in PNG_TEXT:
            chunk = b""
        out += chunk
        pos += 12 + length
        if kind == b"IEND":
            break
    return bytes(out)


def strip_heic(data: bytes) -> bytes:
    """Re-encode a HEIC file without GPS or XMP when any of its images has either (HEIC metadata
    cannot be edited in place with the libraries we have); files without location are kept byte for
    byte. A HEIC holds several images (bursts, live photos, edits), each with its own EXIF and XMP:
    every one is checked and cleaned, not just the primary (issue #17)."""
    import pillow_heif  # loads libheif only when a HEIC photo arrives

    heif = pillow_heif.open_heif(io.BytesIO(data))
    images = list(heif)
    cleaned = [_exif_without_gps(img.info["exif"]) if img.info.get("exif") else None for img in images]
    if all(c is None for c in cleaned) and not any(img.info.get("xmp") for img in images):
        return data
    out = pillow_heif.HeifFile()
    for img, clean in zip(images, cleaned, strict=True):
        copy = out.add_from_heif(img)
        copy.info["exif"] = clean if clean is not None else img.info.get("exif")
        copy.info["xmp"] = None
        copy.info["metadata"] = []  # other metadata items (none expected in a photo): not kept
    buffer = io.BytesIO()
    out.save(
        buffer,
        quality=92,
        primary_index=next((n for n, img in enumerate(images) if img.info.get("primary")), 0),
    )
    return buffer.getvalue()


def _check_picture(data: bytes) -> None:
    """Decode the picture (at an eighth of its size for JPEG: quick, but every byte is read)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()


def _jpeg_sizes(data: bytes) -> list[tuple[int, int]]:
    """(width, height) of every frame header (SOFn) before the picture data starts."""
    sizes, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xDA:
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            sizes.append((width, height))
        pos += 2 + length
    return sizes


def _heic_sizes(data: bytes) -> list[tuple[int, int]]:
    """(width, height) of every picture in a HEIC file (its headers only; nothing is decoded)."""
    import pillow_heif  # loads libheif only when a HEIC photo arrives

    heif = pillow_heif.open_heif(io.BytesIO(data))
    return [image.size for image in heif]


def picture_sizes(media_type: str, data: bytes) -> list[tuple[int, int]]:
    """(width, height) of the pictures in a photo, read from its headers."""
    if media_type == "image/png":
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise ValueError("a PNG starts with its IHDR chunk")
        return [struct.unpack(">II", data[16:24])]
    if media_type == "image/jpeg":
        return _jpeg_sizes(data)
    if media_type == "image/heic":
        return _heic_sizes(data)
    return []


def check_pixels(media_type: str, data: bytes) -> None:
    """Refuse (422, naming the limit) a photo with more than MAX_PIXELS pixels before decoding it."""
    try:
        sizes = picture_sizes(media_type, data)
    except (ValueError, OSError, RuntimeError, struct.error) as err:
        raise UnsupportedType(
            "This picture could not be read.", fields={"body": ["damaged or not really an image"]}
        ) from err
    for width, height in sizes:
        if width * height > MAX_PIXELS:
            raise TooManyPixels(
                f"This picture has {width} x {height} pixels; at most {MAX_PIXELS:,} pixels are accepted.",
                fields={"body": [f"{width * height:,} pixels, at most {MAX_PIXELS:,}"]},
            )


def strip_location(media_type: str, data: bytes) -> bytes:
    """The bytes to store: photos without location metadata, documents unchanged."""
    from PIL import UnidentifiedImageError
    from PIL.Image import DecompressionBombError

    check_pixels(media_type, data)  # before anything decodes it
    try:
        if media_type == "image/jpeg":
            cleaned = strip_jpeg(data)
            _check_picture(cleaned)  # a readable picture, not just a header
            return cleaned
        if media_type == "image/png":
            cleaned = strip_png(data)
            _check_picture(cleaned)
            return cleaned
        if media_type == "image/heic":
            return strip_heic(data)
    except (
        ValueError,
        OSError,
        SyntaxError,
        struct.error,
        UnidentifiedImageError,
        DecompressionBombError,
    ) as err:
        raise UnsupportedType(
            "This picture could not be read.", fields={"body": ["damaged or not really an image"]}
        ) from err
    return data


# --- services ----------------------------------------------------------------------------------


def upload_evidence(
    *,
    uploader: User,
    sha256: str,
    data: bytes,
    filename: str = "",
    max_bytes: int,
    store: EvidenceStore,
    now: dt.datetime,
) -> Stored:
    """Store an uploaded file under the SHA-256 the device computed; the same file twice is stored once."""
    sha256 = sha256.lower()
    if not SHA256.match(sha256):
        raise ValidationFailed("Not a SHA-256.", fields={"sha256": ["must be 64 hexadecimal characters"]})
    if len(data) > max_bytes:
        raise TooLarge(
            f"The file is larger than {max_bytes // (1024 * 1024)} MB.",
            fields={"body": [f"at most {max_bytes} bytes"]},
        )
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValidationFailed(
            "The file does not match its SHA-256; it may have been cut short: upload it again.",
            fields={"sha256": ["does not match the SHA-256 of the uploaded bytes"]},
        )
    evidence = db.session.get(Evidence, sha256)
    if evidence is None:
        media_type = sniff_media_type(data)
        if media_type is None:
            raise UnsupportedType(
                "Only JPEG, PNG or HEIC photos, PDF and Word (DOCX) documents can be uploaded.",
                fields={"body": ["not a JPEG, PNG, HEIC, PDF or DOCX file"]},
            )
        stored = strip_location(media_type, data)
        stored_sha256 = hashlib.sha256(stored).hexdigest()
        # Bytes first, row second: no row ever names a file that is not there.
        _put(store, stored_sha256, stored)
        evidence = Evidence(
            sha256=sha256,
            stored_sha256=stored_sha256,
            media_type=media_type,
            size=len(stored),
            created_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(evidence)
        except IntegrityError as err:  # the same file arrived through another request a moment ago
            evidence = db.session.get(Evidence, sha256)
            if evidence is None:
                raise RuntimeError("the other request's row is what made this insert fail") from err
    elif not _exists(store, evidence.stored_sha256):  # e.g. a folder restored from an older backup
        _put(store, evidence.stored_sha256, strip_location(evidence.media_type, data))
    is_new = db.session.get(EvidenceUpload, (sha256, uploader.id)) is None
    if is_new:
        try:
            with db.session.begin_nested():
                db.session.add(
                    EvidenceUpload(
                        sha256=sha256, user_id=uploader.id, filename=filename[:255], created_at=now
                    )
                )
        except IntegrityError:  # the same person's retry won the race: recorded as an uploader either way
            is_new = False
    db.session.flush()
    return Stored(evidence, is_new)


def may_download(*, viewer: User, sha256: str, today: dt.date) -> bool:
    """The uploader may; so may whoever sees in full (owner or supervisor) an entry that names the file
    and whose owner uploaded it. Naming a hash in one's own entry is not enough: a hash is not a key."""
    uploaders = set(db.session.scalars(select(EvidenceUpload.user_id).where(EvidenceUpload.sha256 == sha256)))
    if viewer.id in uploaders:
        return True
    entries = db.session.scalars(
        select(Entry)
        .join(EntryEvidence, EntryEvidence.entry_id == Entry.id)
        .where(EntryEvidence.sha256 == sha256, Entry.owner_id.in_(uploaders))
    )
    return any(
        access_level(viewer=viewer, entry=entry, today=today) in (OWNER, SUPERVISOR) for entry in entries
    )


def download_evidence(
    *, viewer: User, sha256: str, store: EvidenceStore, today: dt.date
) -> tuple[Evidence, bytes]:
    """The file and its bytes, for someone allowed to see it; NotFound otherwise (nothing leaks)."""
    sha256 = sha256.lower()
    evidence = db.session.get(Evidence, sha256) if SHA256.match(sha256) else None
    if evidence is None or not may_download(viewer=viewer, sha256=sha256, today=today):
        raise NotFound("No such evidence.")
    try:
        return evidence, store.get(evidence.stored_sha256)
    except KeyError as err:
        raise NotFound("The file is missing from the evidence store.") from err


def file_of_entry(*, entry: Entry, sha256: str, store: EvidenceStore) -> tuple[Evidence, bytes]:
    """One file the entry names, uploaded by its owner (a hash is not a key): for a reader the caller
    has already let see this entry, such as an external signer through their link. NotFound otherwise."""
    sha256 = sha256.lower()
    named = {str(item.get("sha256", "")).lower() for item in entry.evidence or []}
    uploaded = db.session.get(EvidenceUpload, (sha256, entry.owner_id)) if SHA256.match(sha256) else None
    evidence = db.session.get(Evidence, sha256) if uploaded is not None and sha256 in named else None
    if evidence is None:
        raise NotFound("No such evidence.")
    try:
        return evidence, store.get(evidence.stored_sha256)
    except KeyError as err:
        raise NotFound("The file is missing from the evidence store.") from err


def download_name(evidence: Evidence) -> str:
    """A safe file name for a download."""
    return f"evidence-{evidence.sha256[:12]}.{EXTENSIONS.get(evidence.media_type, 'bin')}"
