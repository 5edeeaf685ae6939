"""The practitioner's record in other people's formats: a Leap2A package for Mahara (download, and
import with a preview), and past CPD from a spreadsheet (preview with a column mapping, then apply).
Always the caller's own record. Formats and mappings: docs/record-format.md."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, validate

from logbook import fields
from logbook.accounts.auth import current_user, login_required
from logbook.storage import evidence_store
from logbook.timeutil import utcnow

# The formats' modules (leap2a, spreadsheet) are imported by the routes that use them: a server starting
# up does not load them (issue 24, tests/architecture/test_cold_start.py).

blp = Blueprint(
    "record_formats",
    __name__,
    url_prefix="/api/v1",
    description="Your record as Leap2A; past CPD from a spreadsheet",
)

_SHEET_BODY = {
    "required": True,
    "description": "The file's bytes: CSV (UTF-8, or Windows text) or XLSX, told apart by content",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_LEAP_BODY = {
    "required": True,
    "description": "A Leap2A package (ZIP with leap2a.xml and files/) or a bare Leap2A feed (XML)",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


def _column() -> fields.Integer:
    """A column of the file by its 0-based index; -1 for none."""
    return fields.Integer(
        validate=validate.Range(min=-1, max=499), metadata={"description": "0-based column; -1: none"}
    )


class SpreadsheetQuerySchema(Schema):
    """The column mapping the practitioner confirmed (leave every field out for the proposed one), the
    rows to leave out, and the file's name (kept with the import)."""

    date = _column()
    end_date = _column()
    title = _column()
    hours = _column()
    kind = _column()
    notes = _column()
    reflection = _column()
    skip = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=10_000_000)),
        load_default=list,
        validate=validate.Length(max=5000),
        metadata={"description": "row numbers (as the spreadsheet shows them) to leave out"},
    )
    filename = fields.String(load_default="", validate=validate.Length(max=200))


class SheetProblemSchema(Schema):
    """One problem with one cell (column empty: the whole row)."""

    column = fields.String()
    field = fields.String()
    message = fields.String()


class SheetRowSchema(Schema):
    """What one row becomes."""

    row = fields.Integer(metadata={"description": "the row number as the spreadsheet shows it"})
    action = fields.String(metadata={"description": "create, skip (left out) or error"})
    title = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    kind_guess = fields.Dict(metadata={"description": "kind, how it was decided, the word it came from"})
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    hours = fields.String(allow_none=True)
    has_notes = fields.Boolean()
    has_reflection = fields.Boolean()
    problems = fields.List(fields.Nested(SheetProblemSchema))
    notes = fields.List(fields.String())


class SheetColumnSchema(Schema):
    """A column of the file."""

    index = fields.Integer()
    letter = fields.String()
    heading = fields.String()
    samples = fields.List(fields.String())
    field = fields.String(allow_none=True)


class SheetFieldSchema(Schema):
    """A field of an entry and the column it is read from."""

    name = fields.String()
    label = fields.String()
    required = fields.Boolean()
    column = fields.Integer(allow_none=True)
    proposed = fields.Integer(allow_none=True)


class SheetPreviewSchema(Schema):
    """The file, its columns, the mapping and every row's result."""

    file_sha256 = fields.String()
    file_kind = fields.String()
    heading_row = fields.Integer()
    columns = fields.List(fields.Nested(SheetColumnSchema))
    fields_ = fields.List(fields.Nested(SheetFieldSchema), data_key="fields", attribute="fields")
    date_formats = fields.Dict(keys=fields.String(), values=fields.Integer())
    mapping_problems = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "required fields not mapped"},
    )
    notes = fields.List(fields.String())
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    can_apply = fields.Boolean()
    rows = fields.List(fields.Nested(SheetRowSchema))
    applied = fields.Boolean()
    entry_ids = fields.List(fields.String())


def _body(limit: int) -> bytes:
    request.max_content_length = limit + 1  # a larger body is refused (413) before it is read
    return request.get_data(cache=False)


def _mapping(args: dict) -> dict[str, int | None] | None:
    from logbook.exports import spreadsheet

    given = {name: args[name] for name in spreadsheet.FIELDS if name in args}
    if not given:
        return None
    return {name: (None if given.get(name, -1) < 0 else given[name]) for name in spreadsheet.FIELDS}


@blp.route("/record/spreadsheet/preview", methods=["POST"])
@login_required
@blp.arguments(SpreadsheetQuerySchema, location="query")
@blp.doc(requestBody=_SHEET_BODY)
@blp.response(200, SheetPreviewSchema)
@blp.alt_response(413, description="Larger than SPREADSHEET_IMPORT_MAX_BYTES")
@blp.alt_response(422, description="The file cannot be read, or the mapping is not complete; nothing planned")
def sheet_preview(args):
    """The file's columns, a proposed column mapping (or the one sent), each row's entry with its kind
    guess, and every problem by row and column. Nothing is written."""
    from logbook.exports import spreadsheet

    budget = spreadsheet.budget_from(current_app.config)
    found = spreadsheet.plan(
        data=_body(budget.max_bytes), budget=budget, mapping=_mapping(args), skip=args["skip"]
    )
    return found.as_dict() | {"applied": False, "entry_ids": []}


@blp.route("/record/spreadsheet/apply", methods=["POST"])
@login_required
@blp.arguments(SpreadsheetQuerySchema, location="query")
@blp.doc(requestBody=_SHEET_BODY)
@blp.response(201, SheetPreviewSchema)
@blp.alt_response(409, description="This file was imported into your logbook before")
@blp.alt_response(413, description="Larger than SPREADSHEET_IMPORT_MAX_BYTES")
@blp.alt_response(422, description="A row has a problem (the preview is in error.preview); nothing written")
def sheet_apply(args):
    """Write every row with the confirmed mapping, all or none: entries recorded as imported, never
    signed off."""
    from logbook.exports import spreadsheet

    budget = spreadsheet.budget_from(current_app.config)
    found, ids = spreadsheet.apply(
        user=current_user(),
        data=_body(budget.max_bytes),
        budget=budget,
        mapping=_mapping(args),
        skip=args["skip"],
        filename=args["filename"],
        now=utcnow(),
    )
    return found.as_dict() | {"applied": True, "entry_ids": ids}


class Leap2aExportQuerySchema(Schema):
    """Whether the practitioner's private reflections and impact go into the package."""

    include_reflections = fields.Boolean(load_default=False)


class Leap2aItemSchema(Schema):
    """One Atom entry of the package and what it becomes."""

    id = fields.String()
    title = fields.String()
    type = fields.String(metadata={"description": "entry, file, reflection or other"})
    action = fields.String(metadata={"description": "create, attach, skip (left out) or error"})
    kind = fields.String()
    kind_label = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    hours = fields.String(allow_none=True)
    status = fields.String()
    files = fields.List(fields.String())
    has_reflection = fields.Boolean()
    problems = fields.List(fields.String())
    notes = fields.List(fields.String())


class Leap2aPreviewSchema(Schema):
    """The package and every item's result."""

    file_sha256 = fields.String()
    source = fields.Dict(keys=fields.String(), values=fields.String())
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    can_apply = fields.Boolean()
    items = fields.List(fields.Nested(Leap2aItemSchema))
    applied = fields.Boolean()
    entry_ids = fields.List(fields.String())


@blp.route("/record/leap2a")
@login_required
@blp.arguments(Leap2aExportQuerySchema, location="query")
@blp.response(200, content_type="application/zip", description="leap2a.xml and files/, zipped")
def leap2a_export(args):
    """Your entries (not deleted) and their evidence as a Leap2A package that Mahara imports.
    Reflections and impact only with include_reflections=true."""
    from logbook.exports import leap2a

    data = leap2a.export_package(
        user=current_user(),
        include_reflections=args["include_reflections"],
        store=evidence_store(),
        now=utcnow(),
    )
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="cpd-record-leap2a-{utcnow().date()}.zip"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/record/leap2a/preview", methods=["POST"])
@login_required
@blp.doc(requestBody=_LEAP_BODY)
@blp.response(200, Leap2aPreviewSchema)
@blp.alt_response(413, description="Larger than LEAP2A_IMPORT_MAX_BYTES")
@blp.alt_response(422, description="Not a Leap2A package this import reads, or over a budget")
def leap2a_preview():
    """What the package would create (entries, their files and reflections) and what is left out
    and why, with every item's problem. Nothing is written."""
    from logbook.exports import leap2a

    budget = leap2a.budget_from(current_app.config)
    found = leap2a.plan(user=current_user(), data=_body(budget.max_bytes), budget=budget)
    return found.as_dict() | {"applied": False, "entry_ids": []}


@blp.route("/record/leap2a/apply", methods=["POST"])
@login_required
@blp.doc(requestBody=_LEAP_BODY)
@blp.response(201, Leap2aPreviewSchema)
@blp.alt_response(409, description="This package was imported into your logbook before")
@blp.alt_response(413, description="Larger than LEAP2A_IMPORT_MAX_BYTES")
@blp.alt_response(422, description="An item has a problem (the preview is in error.preview); nothing written")
def leap2a_apply():
    """Write the package's entries with their files and reflections, all or none: marked as
    imported, never signed off."""
    from logbook.exports import leap2a

    budget = leap2a.budget_from(current_app.config)
    found, ids = leap2a.apply(
        user=current_user(),
        data=_body(budget.max_bytes),
        budget=budget,
        store=evidence_store(),
        max_evidence_bytes=int(current_app.config["EVIDENCE_MAX_BYTES"]),
        now=utcnow(),
    )
    return found.as_dict() | {"applied": True, "entry_ids": ids}
