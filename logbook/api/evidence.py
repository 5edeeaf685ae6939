"""Evidence files: upload by SHA-256 (raw bytes), download by those allowed to see them."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, validate

from logbook import fields
from logbook.accounts.auth import current_user, login_required
from logbook.entries import evidence as service
from logbook.storage import evidence_store
from logbook.timeutil import utcnow

blp = Blueprint("evidence", __name__, url_prefix="/api/v1", description="Evidence files")


class EvidenceSchema(Schema):
    """A stored evidence file."""

    sha256 = fields.String(metadata={"description": "SHA-256 of the bytes the device sent"})
    media_type = fields.String(metadata={"description": "decided from the content, not the name"})
    size = fields.Integer(metadata={"description": "bytes stored (after removing location metadata)"})


class UploadQuerySchema(Schema):
    """Optional details of an upload."""

    filename = fields.String(load_default="", validate=validate.Length(max=255))


@blp.route("/evidence/<string:sha256>")
class EvidenceItem(MethodView):
    decorators = [login_required]

    @blp.arguments(UploadQuerySchema, location="query")
    @blp.doc(
        requestBody={
            "required": True,
            "description": "The file's bytes, exactly as hashed on the device",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    )
    @blp.response(201, EvidenceSchema, description="Uploaded by this person for the first time")
    @blp.alt_response(
        200,
        schema=EvidenceSchema,
        description="This person had uploaded it before (whether others hold the same file is never told)",
    )
    @blp.alt_response(413, description="Larger than EVIDENCE_MAX_BYTES")
    @blp.alt_response(415, description="Not a JPEG, PNG, HEIC, PDF or DOCX file")
    @blp.alt_response(422, description="The bytes do not match the SHA-256 in the address")
    @blp.alt_response(503, description="The evidence store failed; nothing was kept (Retry-After)")
    @blp.alt_response(507, description="The evidence store is full; nothing was kept (Retry-After)")
    def put(self, args, sha256):
        """Upload a file as the raw request body (any Content-Type); the SHA-256 must match the bytes."""
        max_bytes = current_app.config["EVIDENCE_MAX_BYTES"]
        request.max_content_length = max_bytes + 1  # larger bodies are refused before they are read
        stored = service.upload_evidence(
            uploader=current_user(),
            sha256=sha256,
            data=request.get_data(cache=False),
            filename=args["filename"],
            max_bytes=max_bytes,
            store=evidence_store(),
            now=utcnow(),
        )
        return stored.evidence, 201 if stored.is_new else 200

    @blp.response(200, description="The file, as an attachment")
    def get(self, sha256):
        """Download a file you uploaded, or one attached to an entry you may read in full."""
        evidence, data = service.download_evidence(
            viewer=current_user(), sha256=sha256, store=evidence_store(), today=utcnow().date()
        )
        response = Response(data, mimetype=evidence.media_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{service.download_name(evidence)}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response
