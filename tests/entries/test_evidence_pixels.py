"""Photos have a pixel budget read from their headers before anything is decoded (MAX_PIXELS, 50
megapixels; docs/security.md "Limits"). Before: a 641 KB PNG of 13,000 x 13,000 pixels was decoded
whole (850 MB in the worker) and accepted."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zlib

import pytest
from PIL import Image

from logbook.entries import evidence
from tests.entries.test_evidence_api import heic, jpeg, png, put


def huge_png(width: int = 13_000, height: int = 13_000) -> bytes:
    """A valid PNG of width x height white pixels (greyscale, 8-bit): a few hundred KB on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width  # filter byte, then the pixels
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def huge_jpeg(width: int = 13_000, height: int = 13_000) -> bytes:
    """A small JPEG whose frame header claims width x height."""
    data = bytearray(jpeg(gps=False))
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC1, 0xC2):
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    data[pos + 5 : pos + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("make", [huge_png, huge_jpeg], ids=["png", "jpeg"])
def test_a_photo_over_the_pixel_budget_is_a_422_naming_the_limit_before_decoding(
    make_client, practitioner, make
):
    data = make()
    client = make_client(practitioner)
    tracemalloc.start()
    start = time.perf_counter()
    response = put(client, data)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "too_many_pixels"
    assert "13000 x 13000 pixels" in error["message"]
    assert "50,000,000" in error["message"]
    assert peak < 50 * 1024 * 1024  # nothing decoded (the request itself holds the upload a few times)
    assert elapsed < 5


def test_the_budget_is_checked_for_heic_from_its_headers(make_client, practitioner, monkeypatch):
    data = heic(gps=False)  # 32 x 32
    monkeypatch.setattr(evidence, "MAX_PIXELS", 32 * 32 - 1)
    refused = put(make_client(practitioner), data)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "too_many_pixels"
    monkeypatch.setattr(evidence, "MAX_PIXELS", 32 * 32)
    assert put(make_client(practitioner), data).status_code == 201


def test_a_photo_at_the_budget_is_accepted(make_client, practitioner, monkeypatch):
    data = png()  # 20 x 20
    monkeypatch.setattr(evidence, "MAX_PIXELS", 400)
    assert put(make_client(practitioner), data).status_code == 201
    monkeypatch.setattr(evidence, "MAX_PIXELS", 399)
    other = io.BytesIO()
    Image.new("RGB", (20, 20), "yellow").save(other, format="PNG")
    assert put(make_client(practitioner), other.getvalue()).status_code == 422


def test_the_sizes_come_from_the_headers():
    assert evidence.picture_sizes("image/png", huge_png(300, 200)) == [(300, 200)]
    assert evidence.picture_sizes("image/jpeg", huge_jpeg(1234, 567)) == [(1234, 567)]
    assert evidence.picture_sizes("image/heic", heic(gps=False)) == [(32, 32)]
    assert evidence.picture_sizes("application/pdf", b"%PDF-") == []
