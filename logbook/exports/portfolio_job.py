"""A practitioner's portfolio PDF, rendered in the request when it is small and as a background job
when it is not (WeasyPrint lays out about 70 ms a page: hundreds of activities take many seconds)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.jobs import service as jobs
from logbook.jobs.models import Job
from logbook.jobs.runner import JobRunner
from logbook.portfolio.documents import build_document


@dataclass(frozen=True)
class Portfolio:
    """Either the rendered PDF (small portfolios) or the queued job that will render it."""

    pdf: bytes | None = None
    filename: str = ""
    job: Job | None = None


def _filename(context: dict[str, Any]) -> str:
    return f"{context['document']['format']}-portfolio-{context['document']['date_to']}.pdf"


def _params(data: dict[str, Any], verify_url: str, now: dt.datetime) -> dict[str, Any]:
    """The request as plain JSON for the job row (dates ISO, ids as strings)."""
    out: dict[str, Any] = {"verify_url": verify_url, "now": now.isoformat()}
    for key, value in data.items():
        if isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out


def _arguments(params: dict[str, Any]) -> dict[str, Any]:
    """The job row's JSON back into build_document's arguments."""
    args = dict(params)
    args["now"] = dt.datetime.fromisoformat(args["now"])
    for key in ("date_from", "date_to"):
        if args.get(key):
            args[key] = dt.date.fromisoformat(args[key])
    if "chosen_entry_ids" in args:
        args["chosen_entry_ids"] = [uuid.UUID(v) for v in args["chosen_entry_ids"]]
    return args


def export_portfolio(
    *,
    owner: User,
    data: dict[str, Any],
    verify_url: str,
    now: dt.datetime,
    inline_max_entries: int,
    ring: KeyRing,
    runner: JobRunner,
) -> Portfolio:
    """Check the request and build the context at once (bad input is a 422 here, never a failed job);
    render it now if it has at most inline_max_entries activities, else queue a job to render it."""
    context = build_document(owner=owner, verify_url=verify_url, now=now, ring=ring, **data)
    if len(context["entries"]) <= inline_max_entries:
        # Keep the verification codes and end the transaction before rendering (as the job does):
        # on SQLite a POST holds the database's only write lock until it commits, and a render of
        # a second or more would make every other writer wait (the load test saw logins time out
        # with 503 behind PDFs at 200 clients; docs/benchmarks.md).
        db.session.commit()
        from logbook.portfolio import render  # WeasyPrint: measured start-up cost, imported on use

        return Portfolio(pdf=render.render_pdf(context), filename=_filename(context))
    params = _params(data, verify_url, now)
    job = jobs.enqueue(kind="portfolio", owner=owner, params=params, now=now, runner=runner, total=2)
    return Portfolio(job=job)


def render_portfolio_job(*, job: Job, progress: jobs.Progress, ring: KeyRing) -> jobs.Result:
    """The job: build the context again (the data may have moved on since it was queued), commit, and
    render outside any transaction."""
    owner = db.session.get(User, job.owner_id)
    if owner is None:
        raise RuntimeError("the job's owner is gone (deleting a user deletes their jobs)")
    context = build_document(owner=owner, ring=ring, **_arguments(job.params))
    progress(1, 2)  # commits: verification codes made for this portfolio are kept, the lock released
    from logbook.portfolio import render  # WeasyPrint: measured start-up cost, imported on use

    return jobs.Result(_filename(context), "application/pdf", render.render_pdf(context))
