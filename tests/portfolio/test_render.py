"""The PDF itself: PDF/A-3b, metadata, the attached data, and the fetcher that refuses the world."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from pikepdf import pdfa
from pypdf import PdfReader

from logbook.portfolio.render import ASSET_URL, AssetFetcher, RefusedFetch
from tests.factories import make_entry, persist, sign
from tests.helpers import export


def test_pdfa_metadata_and_attachment(me, practitioner, tmp_path):
    make_entry(me, title="Safeguarding update")
    data = export(me).data
    path = tmp_path / "portfolio.pdf"
    path.write_bytes(data)
    report = pdfa.validate_written(path, "3b")
    assert report.passed, report.summary()

    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title.startswith("CPD portfolio")
    assert reader.metadata.author == practitioner.name
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        attached = pdf.attachments["portfolio.json"].get_file().read_bytes()
    context = json.loads(attached)
    assert context["entries"][0]["title"] == "Safeguarding update"
    assert context["person"]["name"] == practitioner.name


@pytest.mark.parametrize(("fmt", "regulator"), [("nmc", "NMC"), ("swe", "SWE"), ("teachers", "TEACHERS")])
def test_regulator_documents_are_pdfa_with_their_data(
    app, me, boss, supervisor, practitioner, tmp_path, fmt, regulator
):
    from logbook.accounts.models import Registration

    persist(
        app,
        Registration(user_id=practitioner.id, regulator=regulator, profession="x", registration_number="1"),
    )
    sign(me, boss, make_entry(me, title="Safeguarding update"), supervisor.id)
    response = export(me, format=fmt)
    assert response.status_code == 200, response.get_json()
    path = tmp_path / f"{fmt}.pdf"
    path.write_bytes(response.data)
    report = pdfa.validate_written(path, "3b")
    assert report.passed, report.summary()
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.author == practitioner.name
    with pikepdf.open(path) as pdf:
        context = json.loads(pdf.attachments["portfolio.json"].get_file().read_bytes())
    assert context["document"]["format"] == fmt
    assert fmt in context
    assert context["entries"][0]["sign_offs"][0]["code"]
    assert "data:image" not in json.dumps(context)  # QR codes are drawn, not stored in the data


def test_unknown_format_is_refused(me):
    response = export(me, format="gmc")
    assert response.status_code == 422
    assert "format" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x.css",
        "https://127.0.0.1/secret",
        "file:///etc/passwd",
        f"{ASSET_URL}../service.py",
        f"{ASSET_URL}nothing-here.css",
    ],
)
def test_fetcher_refuses_everything_but_own_assets(url):
    with pytest.raises(RefusedFetch):
        AssetFetcher().fetch(url)


def test_fetcher_serves_assets():
    response = AssetFetcher().fetch(f"{ASSET_URL}print.css")
    assert b"@page" in response.read()
    response.close()
