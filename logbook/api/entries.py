"""CPD entries: create, read, change, delete, list; identifying-data checks; reflection templates."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.entries import service
from logbook.entries.reflection import templates
from logbook.entries.schemas import (
    DeleteSchema,
    EntryInSchema,
    EntryListQuerySchema,
    EntryPageSchema,
    EntryPatchSchema,
    EntrySchema,
    TextCheckResultSchema,
    TextCheckSchema,
)
from logbook.supervision import sessions
from logbook.timeutil import utcnow
from logbook.wire import dumper

blp = Blueprint("entries", __name__, url_prefix="/api/v1", description="CPD entries")
_dump_page = dumper(EntryPageSchema)


@blp.route("/entries")
class Entries(MethodView):
    decorators = [login_required]

    @blp.arguments(EntryListQuerySchema, location="query")
    @blp.response(200, EntryPageSchema)
    def get(self, filters):
        """List entries the caller may see (scope: mine, supervisees, organisation), newest first."""
        views, next_cursor = service.list_entries(
            viewer=current_user(), filters=filters, today=utcnow().date()
        )
        page = {"items": [service.present(v) for v in views], "next_cursor": next_cursor}
        # EntryPageSchema's own dump, worked out once (logbook/wire.py) instead of marshmallow's field
        # by field on every request (a fifth of it); the same bytes (tests/entries/test_wire.py). A
        # Response is answered as it is: the schema above still documents it.
        return jsonify(_dump_page(page))

    @blp.arguments(EntryInSchema)
    @blp.response(201, EntrySchema)
    @blp.alt_response(409, description="An entry with this id already exists")
    def post(self, data):
        """Record an entry (the device may supply its UUID)."""
        now = utcnow()
        entry = service.create_entry(owner=current_user(), data=data, now=now)
        sessions.session_for_entry(actor=current_user(), entry=entry, now=now)  # supervision is one thing
        return service.present(service.EntryView(entry, service.OWNER))


@blp.route("/entries/<uuid:entry_id>")
class EntryItem(MethodView):
    decorators = [login_required]

    @blp.response(200, EntrySchema)
    def get(self, entry_id):
        """One entry, as much of it as the caller may see."""
        return service.present(
            service.get_entry(viewer=current_user(), entry_id=entry_id, today=utcnow().date())
        )

    @blp.arguments(EntryPatchSchema(partial=True))
    @blp.response(200, EntrySchema)
    @blp.alt_response(409, description="Stale base_version: the error carries the current copy")
    def patch(self, data, entry_id):
        """Change an entry, stating the version the change was made against."""
        base_version = data.pop("base_version")
        now = utcnow()
        entry = service.update_entry(
            actor=current_user(), entry_id=entry_id, base_version=base_version, changes=data, now=now
        )
        sessions.session_for_entry(actor=current_user(), entry=entry, now=now)
        return service.present(service.EntryView(entry, service.OWNER))

    @blp.arguments(DeleteSchema, location="query")
    @blp.response(200, EntrySchema)
    def delete(self, args, entry_id):
        """Delete an entry (it stays as a tombstone so every device learns of the deletion)."""
        now = utcnow()
        entry = service.delete_entry(
            actor=current_user(), entry_id=entry_id, base_version=args["base_version"], now=now
        )
        sessions.session_for_entry(actor=current_user(), entry=entry, now=now)  # cancels its session
        return service.present(service.EntryView(entry, service.OWNER))


@blp.route("/privacy/check", methods=["POST"])
@login_required
@blp.arguments(TextCheckSchema)
@blp.response(200, TextCheckResultSchema)
def check_text(data):
    """Warnings for text that looks identifying (NHS number, date of birth, postcode, phone, email,
    titled name). Nothing is stored or logged."""
    return {"warnings": service.check_text(text=data["text"])}


@blp.route("/reflection-templates")
@login_required
@blp.response(200)
def reflection_templates():
    """The reflection templates and each kind's default."""
    return templates()
