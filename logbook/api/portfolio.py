"""Portfolio PDFs of the caller's own record, and the public page that checks a printed sign-off."""

from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.api.jobs import accepted, app_runner
from logbook.config import KeyRing
from logbook.errors import NotFound
from logbook.exports import portfolio_job as export_job
from logbook.extensions import client_address, limiter
from logbook.jobs.schemas import JobSchema
from logbook.portfolio import service
from logbook.portfolio.schemas import PortfolioRequestSchema
from logbook.signing import keys
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("portfolio", __name__, url_prefix="/api/v1", description="Portfolio PDFs")
pages = FlaskBlueprint("portfolio_pages", __name__)


def verify_base_url() -> str:
    """Where /verify lives, as printed in PDFs (LOGBOOK_PUBLIC_URL, never this request's host)."""
    return public_url("/verify")


@blp.route("/portfolio", methods=["POST"])
@login_required
@blp.arguments(PortfolioRequestSchema)
@blp.response(200, content_type="application/pdf", description="The portfolio as a PDF/A-3b document")
@blp.alt_response(202, schema=JobSchema, description="A large portfolio: rendered by a background job")
def export_portfolio(data):
    """The caller's own portfolio as a PDF (generic, or an HCPC CPD profile). Up to
    PORTFOLIO_INLINE_MAX_ENTRIES activities it is rendered in the request (200, the PDF); a larger one
    is queued as a background job (202, Location: the job to poll), see docs/portfolio.md."""
    result = export_job.export_portfolio(
        owner=current_user(),
        data=data,
        verify_url=verify_base_url(),
        now=utcnow(),
        inline_max_entries=current_app.config["PORTFOLIO_INLINE_MAX_ENTRIES"],
        ring=KeyRing.of(current_app),
        runner=app_runner(),
    )
    if result.job is not None:
        return accepted(result.job)
    response = Response(result.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _verify_miss_limit() -> str:
    return current_app.config["VERIFY_MISS_LIMIT"]


@pages.route("/verify")
@limiter.limit(_verify_limit, key_func=lambda: f"verify:{client_address()}")
def verify_form():
    """Where the printed note sends people: a box to type the code into (a GET form, no script)."""
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("portfolio_pages.verify", code=service.normalise_code(code)[:40]))
    response = current_app.make_response(render_template("verify_form.html"))
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.route("/verify/<code>")
@limiter.limit(_verify_limit, key_func=lambda: f"verify:{client_address()}")
@limiter.limit(
    _verify_miss_limit,
    key_func=lambda: f"verify-miss:{client_address()}",
    deduct_when=lambda response: response.status_code == 404,
)
def verify(code: str):
    """Public check of a printed sign-off: the signed title and date, signer, time, and validity."""
    try:
        result = service.verify_code(code=code[:40], ring=KeyRing.of(current_app))
    except NotFound:
        html, status = render_template("verify_unknown.html"), 404
    else:
        html, status = render_template("verify.html", result=result), 200
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@pages.route("/.well-known/jwks.json")
def jwks():
    """The organisations' public signing keys (every status), for anyone verifying a statement."""
    response = jsonify(keys.jwks(ring=KeyRing.of(current_app)))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@pages.route("/.well-known/jwks/<slug>.json")
def organisation_jwks(slug: str):
    """One organisation's public signing keys (404 when it has none)."""
    found = [k for k in keys.jwks(ring=KeyRing.of(current_app))["keys"] if k["org"] == slug[:80]]
    if not found:
        return jsonify(
            {"error": {"code": "not_found", "message": "No keys for this organisation.", "fields": {}}}
        ), 404
    response = jsonify({"keys": found})
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def register(app, api) -> None:
    """Register the API blueprint and the public verification page."""
    api.register_blueprint(blp)
    app.register_blueprint(pages)
