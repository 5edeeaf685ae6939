"""Gap explanations: the caller's own account of breaks in their CPD (private; also synced)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.entries import gaps
from logbook.entries.schemas import (
    DeleteSchema,
    GapExplanationInSchema,
    GapExplanationListSchema,
    GapExplanationPatchSchema,
    GapExplanationSchema,
)
from logbook.timeutil import utcnow

blp = Blueprint(
    "gap_explanations",
    __name__,
    url_prefix="/api/v1",
    description="Gap explanations: why there was no CPD in some days (private to their owner)",
)


@blp.route("/me/gap-explanations")
class GapExplanations(MethodView):
    decorators = [login_required]

    @blp.response(200, GapExplanationListSchema)
    def get(self):
        """The caller's gap explanations, earliest first."""
        return {"items": gaps.list_explanations(owner=current_user())}

    @blp.arguments(GapExplanationInSchema)
    @blp.response(201, GapExplanationSchema)
    @blp.alt_response(409, description="An explanation with this id already exists")
    def post(self, data):
        """Explain a break (the device may supply its UUID)."""
        return gaps.create_explanation(owner=current_user(), data=data, now=utcnow())


@blp.route("/me/gap-explanations/<uuid:explanation_id>")
class GapExplanationItem(MethodView):
    decorators = [login_required]

    @blp.response(200, GapExplanationSchema)
    def get(self, explanation_id):
        """One of the caller's explanations (anyone else's answers 404, like a missing one)."""
        return gaps.get_explanation(owner=current_user(), explanation_id=explanation_id)

    @blp.arguments(GapExplanationPatchSchema(partial=True))
    @blp.response(200, GapExplanationSchema)
    @blp.alt_response(409, description="Stale base_version: the error carries the current copy")
    def patch(self, data, explanation_id):
        """Change the days or the reason, stating the version the change was made against."""
        base_version = data.pop("base_version")
        data.pop("id", None)
        return gaps.update_explanation(
            owner=current_user(),
            explanation_id=explanation_id,
            base_version=base_version,
            changes=data,
            now=utcnow(),
        )

    @blp.arguments(DeleteSchema, location="query")
    @blp.response(200, GapExplanationSchema)
    def delete(self, args, explanation_id):
        """Delete an explanation (a tombstone, so every device learns of it)."""
        return gaps.delete_explanation(
            owner=current_user(),
            explanation_id=explanation_id,
            base_version=args["base_version"],
            now=utcnow(),
        )
