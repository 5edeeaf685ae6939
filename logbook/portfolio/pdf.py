"""WeasyPrint and pikepdf for the portfolio, with no Flask: the fetcher that serves only the
portfolio's own assets, one document written as PDF/A-3b, and a long document rendered in parts by
a pool of processes and merged back into the one document it would have been (docs/portfolio.md).

A part is laid out without its page footer (margin boxes do not move the text); once every part's
page count is known, the "Page X of Y" of each page is laid out on otherwise empty pages with the
same @page rules and drawn over the merged pages, so every page reads as it does when the whole
document is laid out at once. The outline (bookmarks) is rebuilt
from every part's headings, levels and all; the data attachment, metadata and PDF/A output intent
come with the first part.
"""

from __future__ import annotations

import io
import mimetypes
import multiprocessing
import os
import resource
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import pikepdf
from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = Path(__file__).parent / "assets"
# Not app/static: the service worker precaches everything there, and the PWA needs no fonts.
ASSET_URL = "logbook-asset:"
# A part is laid out with no page footer ("Page X of Y" needs every part's page count): the
# footers are laid out afterwards on empty pages and drawn over the merged pages. (!important: the
# print stylesheet's own @page rules come later in the cascade.)
NO_FOOTER = "@page { @bottom-center { content: none !important } }"
OVERLAY_CSS = (
    "@page { @top-left { content: none !important } @top-right { content: none !important }"
    " @bottom-center { content: string(pagefooter) !important } }"
    ".overlay-page { break-after: page; } .overlay-page:last-child { break-after: auto; }"
    ".overlay-footer { string-set: pagefooter content(); height: 0; overflow: hidden; font-size: 0; }"
)


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


def clean_for_pdfa(pdf: pikepdf.Pdf) -> None:
    """Drop the empty /Pattern and /Shading resource dictionaries WeasyPrint writes, which PDF/A
    checkers refuse as unverifiable (see docs/portfolio.md)."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            for key in ("/Pattern", "/Shading"):
                value = obj.get(key)
                if isinstance(value, pikepdf.Dictionary) and len(value.keys()) == 0:
                    del obj[key]


def cleaned(raw: bytes) -> bytes:
    """WeasyPrint's PDF with clean_for_pdfa applied."""
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        clean_for_pdfa(pdf)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def _attachment(data: bytes) -> Attachment:
    return Attachment(
        string=data,
        name="portfolio.json",
        description="The data this portfolio was printed from",
        relationship="Data",
    )


def _layout(html: str, extra_css: str = "") -> Any:
    stylesheets = [CSS(string=extra_css)] if extra_css else None
    return HTML(string=html, url_fetcher=AssetFetcher(), base_url=ASSET_URL).render(
        pdf_variant="pdf/a-3b", stylesheets=stylesheets
    )


def _write(document: Any, data: bytes | None) -> bytes:
    attachments = [_attachment(data)] if data is not None else None
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for the PDF/A output intent and never closes it; the
        # file is dropped (and warns) inside write_pdf, so the filter covers it without a full
        # gc.collect() (which cost half a second on a 100-activity portfolio).
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        return document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)


def write_document(html: str, data: bytes, laid_out: Any = None) -> bytes:
    """The whole document in this process: PDF/A-3b with `data` attached as portfolio.json.
    `laid_out(pages)` hears when the layout is done."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        document = _layout(html)
    if laid_out:
        laid_out(len(document.pages))
    return cleaned(_write(document, data))


@dataclass
class Part:
    """One part as a worker returns it: its PDF, page count and headings in document order
    (level, title) as WeasyPrint made bookmarks of them."""

    pdf: bytes
    pages: int
    bookmarks: list[tuple[int, str]] = field(default_factory=list)
    cpu_seconds: float = 0.0
    peak_mib: float = 0.0  # the laying-out process's peak resident memory so far
    process: int = 0  # the laying-out process's id


def render_part(html: str, data: bytes | None) -> Part:
    """Lay out and write one part without its page footers (in a pool worker or the caller's process)."""
    started = time.process_time()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        document = _layout(html, NO_FOOTER)
    marks = [(level, label) for page in document.pages for level, label, _, _ in page.bookmarks]
    written = cleaned(_write(document, data))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Part(written, len(document.pages), marks, time.process_time() - started, peak, os.getpid())


def overlay_html(*, stylesheet: str, numbers: range, total: int) -> str:
    """Empty pages carrying only the footers of pages `numbers` (1-based) of a document of `total`
    pages, laid out by the same @page rules as the document."""
    pages = "".join(
        f'<div class="overlay-page"><div class="overlay-footer">Page {n} of {total}</div></div>'
        for n in numbers
    )
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="{escape(stylesheet)}"></head><body>{pages}</body></html>'
    )


def render_overlay(html: str) -> bytes:
    """The footer pages (in a pool worker or the caller's process)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        document = _layout(html, OVERLAY_CSS)
    return cleaned(_write(document, None))


def _page_numbers(pdf: pikepdf.Pdf) -> dict[Any, int]:
    return {page.objgen: n for n, page in enumerate(pdf.pages)}


def _destinations(pdf: pikepdf.Pdf) -> list[tuple[int, list[Any]]]:
    """Every outline item's page index and /XYZ arguments, in document order."""
    numbers = _page_numbers(pdf)
    out: list[tuple[int, list[Any]]] = []
    with pdf.open_outline() as outline:
        stack = list(reversed(outline.root))
        while stack:
            item = stack.pop()
            dest: Any = item.destination
            if dest is None and item.action is not None:
                dest = item.action.get("/D")
            if isinstance(dest, pikepdf.Array) and len(dest) > 1:
                out.append((numbers.get(dest[0].objgen, 0), [dest[n] for n in range(2, len(dest))]))
            else:
                out.append((0, []))
            stack.extend(reversed(item.children))
    return out


def merge(parts: list[Part], footers: list[bytes]) -> bytes:
    """The parts' pages in order in the first part's document (its metadata, attachment and
    output intent), each page's footer drawn over it, every part's anchors, and one outline of
    all the parts' headings nested by level as WeasyPrint nests them."""
    base = pikepdf.open(io.BytesIO(parts[0].pdf))
    others = [pikepdf.open(io.BytesIO(part.pdf)) for part in parts[1:]]
    sheets = [pikepdf.open(io.BytesIO(raw)) for raw in footers]
    marks: list[tuple[int, str, int, list[Any]]] = []
    offset = 0
    for part, doc in zip(parts, [base, *others], strict=True):
        for (level, title), (at, xyz) in zip(part.bookmarks, _destinations(doc), strict=False):
            marks.append((level, title, offset + at, xyz))
        offset += part.pages
    if "/Names" not in base.Root:
        base.Root.Names = pikepdf.Dictionary()
    if "/Dests" not in base.Root.Names:
        base.Root.Names.Dests = pikepdf.NameTree.new(base).obj
    anchors = pikepdf.NameTree(base.Root.Names.Dests)  # id="entry-…" of every part
    offset = parts[0].pages
    for part, doc in zip(parts[1:], others, strict=True):
        numbers = _page_numbers(doc)
        base.pages.extend(doc.pages)
        if "/Names" in doc.Root and "/Dests" in doc.Root.Names:
            for name, dest in pikepdf.NameTree(doc.Root.Names.Dests).items():
                target = base.pages[offset + numbers[dest[0].objgen]].obj
                anchors[name] = pikepdf.Array([target, *[dest[n] for n in range(1, len(dest))]])
        offset += part.pages
    footer_pages = [page for sheet in sheets for page in sheet.pages]
    for sheet_page, footer in zip(base.pages, footer_pages, strict=True):
        sheet_page.add_overlay(footer, None)
    with base.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, pikepdf.OutlineItem]] = []
        for level, title, page_number, xyz in marks:
            item = pikepdf.OutlineItem(title)
            item.destination = pikepdf.Array([base.pages[page_number].obj, pikepdf.Name.XYZ, *xyz])
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else outline.root).append(item)
            stack.append((level, item))
    out = io.BytesIO()
    base.save(out)
    for doc in [base, *others, *sheets]:
        doc.close()
    return out.getvalue()


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# What one pool worker may need at its peak: a part of about 60 activities measured 100 MiB of
# resident memory in a worker (docs/benchmarks.md), with room to spare.
WORKER_MIB = 160


def available_mib() -> float | None:
    """The memory the kernel says new processes can have without swapping (MemAvailable), or None
    where /proc/meminfo is not there."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def pool_size(processes: int) -> int:
    """How many pool workers help this process lay out a document in `processes` processes in all:
    one fewer (this process lays out parts too), and no more than the free memory holds."""
    wanted = max(processes - 1, 0)
    free = available_mib()
    if free is None:
        return wanted
    return min(wanted, int(free // WORKER_MIB))


Call = tuple[Callable[..., Any], tuple[Any, ...]]


def run_shared(executor: Executor, workers: int, calls: list[Call]) -> list[Any]:
    """Every call's result, in order. `workers` threads hand calls to the pool one at a time from the
    front of the list while this process makes them itself from the back, so the two meet wherever
    the work is balanced (no call is queued ahead in a worker while this process sits idle). The
    first error (a call's, or BrokenProcessPool) is raised once every call has ended."""
    results: list[Any] = [None] * len(calls)
    todo = deque(range(len(calls)))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def take(front: bool) -> int | None:
        with lock:
            if errors or not todo:
                return None
            return todo.popleft() if front else todo.pop()

    def feed() -> None:
        while (n := take(front=True)) is not None:
            function, args = calls[n]
            try:
                results[n] = executor.submit(function, *args).result()
            except BaseException as error:  # noqa: BLE001 - raised again below, in the caller's thread
                with lock:
                    errors.append(error)

    feeders = [threading.Thread(target=feed, name=f"portfolio-part-{n}", daemon=True) for n in range(workers)]
    for feeder in feeders:
        feeder.start()
    try:
        while (n := take(front=False)) is not None:
            function, args = calls[n]
            results[n] = function(*args)
    except BaseException as error:  # noqa: BLE001 - the feeders stop, then it is raised again below
        with lock:
            errors.append(error)
    for feeder in feeders:
        feeder.join()
    if errors:
        raise errors[0]
    return results


_pool_lock = threading.Lock()
_pools: dict[int, Executor] = {}


def pool(workers: int) -> Executor:
    """A pool of `workers` processes (besides this one, see run_shared) kept for this process's
    life (a part's layout needs a warm WeasyPrint: fonts and the user-agent stylesheet loaded).
    Forked from a fork server that has imported only this module, never from a process holding
    database connections or threads."""
    with _pool_lock:
        if workers not in _pools:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            _pools[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        return _pools[workers]


def forget_pool(workers: int) -> None:
    """Drop a broken pool, so the next long document starts a new one."""
    with _pool_lock:
        broken = _pools.pop(workers, None)
    if broken is not None:
        broken.shutdown(wait=False, cancel_futures=True)
