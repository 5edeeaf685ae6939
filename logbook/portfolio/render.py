"""Rendering a portfolio context to PDF: the templates and QR codes here, WeasyPrint and pikepdf in
`pdf.py` (the fetcher that only serves the portfolio's own assets, PDF/A-3b output with the data
attached as JSON, and a long portfolio laid out in parts by a pool of processes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from itertools import pairwise
from typing import Any

import segno
from flask import render_template

from logbook.portfolio import pdf
from logbook.portfolio.pdf import ASSET_URL, AssetFetcher, RefusedFetch

__all__ = ["ASSET_URL", "RENDER_STAGES", "AssetFetcher", "RefusedFetch", "render_html", "render_pdf"]

Progress = Callable[[str, int, int], None]
TEMPLATES = {
    "generic": "portfolio/generic.html",
    "hcpc": "portfolio/hcpc.html",
    "nmc": "portfolio/nmc.html",
    "swe": "portfolio/swe.html",
    "teachers": "portfolio/teachers.html",
}
# Stages render_pdf reports to its progress callback, in order.
RENDER_STAGES = ("Writing the pages", "Laying out pages", "Writing PDF/A")
# A generic portfolio of this many activities or more is printed in parts of about PART_SIZE
# activities, each starting a page, and the parts are laid out side by side on the machine's cores.
# Where the parts start depends on the document alone (never on the machine), so a portfolio
# prints the same pages on one core as on eight. Shorter documents are one part in one process.
SPLIT_FROM = 120
PART_SIZE = 60


@lru_cache(maxsize=4096)
def qr_data_uri(url: str) -> str:
    """A QR code of the URL as a PNG data URI of one pixel per module, printed with interpolation
    off (`image-rendering: pixelated`), so it stays as sharp as a vector at any size. An SVG took
    WeasyPrint about 15 ms a code to lay out and draw; this PNG under 1 ms. Cached by its URL (a
    code's URL never changes): making the codes again was 7 % of every render of a portfolio."""
    return segno.make(url, error="m").png_data_uri(scale=1, border=0)


def part_starts(context: dict[str, Any]) -> list[int]:
    """The indexes of the activities that start the second and later parts of a long generic
    portfolio (empty: one part)."""
    count = len(context["entries"])
    if context["document"]["format"] != "generic" or count < SPLIT_FROM:
        return []
    parts = count // PART_SIZE
    return [round(k * count / parts) for k in range(1, parts)]


def render_html(
    context: dict[str, Any],
    *,
    entries: slice = slice(None),
    front: bool = True,
    starts: tuple[int, ...] = (),
) -> str:
    """The document's HTML from its plain-data context. QR codes are made here (not stored in the
    context, so the attached JSON stays plain data); `entry(id)` finds an activity by id. A part of
    a generic portfolio prints only `entries`, with the cover, contents and summary if `front`; the
    activities at indexes `starts` begin a page."""
    by_id = {e["id"]: e for e in context["entries"]}
    return render_template(
        TEMPLATES[context["document"]["format"]],
        doc=context,
        asset=ASSET_URL,
        qr=qr_data_uri,
        entry=by_id.__getitem__,
        shown=context["entries"][entries],
        front=front,
        part_starts={context["entries"][n]["id"] for n in starts},
    )


def render_pdf(
    context: dict[str, Any], progress: Progress | None = None, *, processes: int | None = None
) -> bytes:
    """A PDF/A-3b document from the context, with the context itself attached as portfolio.json.
    `progress(stage, done, total)` hears each of RENDER_STAGES as it finishes. A long generic
    portfolio is laid out by up to `processes` processes, this one included (default: this
    machine's cores; fewer when free memory is short, pdf.pool_size)."""
    total = len(RENDER_STAGES)

    def step(done: int) -> None:
        if progress:
            progress(RENDER_STAGES[done - 1], done, total)

    data = json.dumps(context, ensure_ascii=False, indent=1, default=str).encode()
    starts = part_starts(context)
    workers = pdf.pool_size(min(pdf.cores() if processes is None else processes, len(starts) + 1))
    if workers > 0:
        try:
            return _render_in_parts(context, data, starts, workers, step)
        except BrokenProcessPool:  # a worker died (killed for memory?): this document in this process
            pdf.forget_pool(workers)
    html = render_html(context, starts=tuple(starts))
    step(1)
    document = pdf.write_document(html, data, laid_out=lambda pages: step(2))
    step(3)
    return document


def _render_in_parts(
    context: dict[str, Any], data: bytes, starts: list[int], workers: int, step: Callable[[int], None]
) -> bytes:
    """The parts laid out side by side by this process and `workers` pool processes (this one takes
    parts from the end while the pool takes them from the start), then each page's footer, then one
    document."""
    pool = pdf.pool(workers)
    bounds = [0, *starts, len(context["entries"])]
    parts = [
        (
            pdf.render_part,
            (render_html(context, entries=slice(start, end), front=n == 0), data if n == 0 else None),
        )
        for n, (start, end) in enumerate(pairwise(bounds))
    ]
    step(1)
    done: list[pdf.Part] = pdf.run_shared(pool, workers, parts)
    step(2)
    pages = sum(part.pages for part in done)
    share = -(-pages // (workers + 1))
    overlays = [
        (
            pdf.render_overlay,
            (
                pdf.overlay_html(
                    stylesheet=f"{ASSET_URL}print.css",
                    numbers=range(first, min(first + share, pages + 1)),
                    total=pages,
                ),
            ),
        )
        for first in range(1, pages + 1, share)
    ]
    merged = pdf.merge(done, pdf.run_shared(pool, workers, overlays))
    step(3)
    return merged
