"""Organisation insights: aggregate, suppressed views for org admins and team managers, as JSON or CSV."""

from __future__ import annotations

from flask import Response, current_app
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.config import KeyRing
from logbook.insights import export, service
from logbook.insights.schemas import InsightFilterSchema, InsightOptionsSchema, InsightViewSchema
from logbook.timeutil import utcnow

blp = Blueprint("insights", __name__, url_prefix="/api/v1", description="Organisation insights")


def _compute(view: str, filters: dict) -> dict:
    return service.insight_view(
        viewer=current_user(),
        view=view,
        filters=filters,
        threshold=current_app.config["INSIGHTS_MIN_CELL"],
        today=utcnow().date(),
        ring=KeyRing.of(current_app),
        default_supervision_days=current_app.config["SUPERVISION_DEFAULT_FREQUENCY_DAYS"],
    )


@blp.route("/insights")
@login_required
@blp.response(200, InsightOptionsSchema)
def options():
    """The insight views and the filters the caller may use (org admins and team managers only)."""
    return service.filter_options(viewer=current_user())


@blp.route("/insights/<string:view>.csv")
@login_required
@blp.arguments(InsightFilterSchema, location="query")
@blp.response(200, content_type="text/csv")
def view_csv(filters, view):
    """One view as CSV (suppressed cells read "<5")."""
    body = export.view_csv(_compute(view, filters))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="insights-{view}.csv"'},
    )


@blp.route("/insights/<string:view>")
@login_required
@blp.arguments(InsightFilterSchema, location="query")
@blp.response(200, InsightViewSchema)
def view_json(filters, view):
    """One view: learning-mix-profession, learning-mix-team, equity-profession, equity-service-area,
    common-core, cross-professional-shadowing, cross-professional-joint, trends, compliance or supervision."""
    return _compute(view, filters)
