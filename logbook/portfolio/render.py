"""Rendering a portfolio context to PDF with WeasyPrint: templates, QR codes, a fetcher that only
serves the portfolio's own assets, and PDF/A-3b output with the data attached as JSON."""

from __future__ import annotations

import io
import json
import mimetypes
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import segno
from flask import render_template
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

Progress = Callable[[str, int, int], None]
ASSETS = Path(__file__).parent / "assets"
# Not app/static: the service worker precaches everything there, and the PWA needs no fonts.
ASSET_URL = "logbook-asset:"
TEMPLATES = {
    "generic": "portfolio/generic.html",
    "hcpc": "portfolio/hcpc.html",
    "nmc": "portfolio/nmc.html",
    "swe": "portfolio/swe.html",
    "teachers": "portfolio/teachers.html",
}
# Stages render_pdf reports to its progress callback, in order.
RENDER_STAGES = ("Writing the pages", "Laying out pages", "Writing PDF/A")


class RefusedFetch(ValueError):
    """The document asked for something outside the portfolio's own assets."""


class AssetFetcher(URLFetcher):
    """Serves logbook-asset:<name> from the portfolio's assets folder and data: URIs (the QR
    codes); refuses every other URL (http, file, ...), so no template or text can reach out."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The asset's bytes, or a refusal (WeasyPrint then leaves the resource out)."""
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(ASSET_URL):
            path = (ASSETS / url[len(ASSET_URL) :].lstrip("/")).resolve()
            if path.is_file() and path.is_relative_to(ASSETS.resolve()):
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise RefusedFetch(f"The portfolio may not fetch {url[:80]!r}.")


def qr_data_uri(url: str) -> str:
    """A QR code of the URL as a PNG data URI of one pixel per module, printed with interpolation
    off (`image-rendering: pixelated`), so it stays as sharp as a vector at any size. An SVG took
    WeasyPrint about 15 ms a code to lay out and draw; this PNG under 1 ms."""
    return segno.make(url, error="m").png_data_uri(scale=1, border=0)


def render_html(context: dict[str, Any]) -> str:
    """The document's HTML from its plain-data context. QR codes are made here (not stored in the
    context, so the attached JSON stays plain data); `entry(id)` finds an activity by id."""
    by_id = {e["id"]: e for e in context["entries"]}
    return render_template(
        TEMPLATES[context["document"]["format"]],
        doc=context,
        asset=ASSET_URL,
        qr=qr_data_uri,
        entry=by_id.__getitem__,
    )


def _clean_for_pdfa(raw: bytes) -> bytes:
    """Drop the empty /Pattern and /Shading resource dictionaries WeasyPrint writes, which PDF/A
    checkers refuse as unverifiable (see docs/portfolio.md)."""
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                for key in ("/Pattern", "/Shading"):
                    value = obj.get(key)
                    if isinstance(value, pikepdf.Dictionary) and len(value.keys()) == 0:
                        del obj[key]
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def render_pdf(context: dict[str, Any], progress: Progress | None = None) -> bytes:
    """A PDF/A-3b document from the context, with the context itself attached as portfolio.json.
    `progress(stage, done, total)` hears each of RENDER_STAGES as it finishes."""
    total = len(RENDER_STAGES)

    def step(done: int) -> None:
        if progress:
            progress(RENDER_STAGES[done - 1], done, total)

    html = render_html(context)
    step(1)
    data = json.dumps(context, ensure_ascii=False, indent=1, default=str).encode()
    attachment = Attachment(
        string=data,
        name="portfolio.json",
        description="The data this portfolio was printed from",
        relationship="Data",
    )
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for the PDF/A output intent and never closes it; the
        # file is dropped (and warns) inside write_pdf, so the filter covers it without a full
        # gc.collect() (which cost half a second on a 100-activity portfolio).
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        document = HTML(string=html, url_fetcher=AssetFetcher(), base_url=ASSET_URL).render(
            pdf_variant="pdf/a-3b"
        )
        step(2)
        raw = document.write_pdf(pdf_variant="pdf/a-3b", attachments=[attachment])
    pdf = _clean_for_pdfa(raw)
    step(3)
    return pdf
