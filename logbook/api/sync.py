"""Offline sync: push a batch of mutations, pull changes after a cursor."""

from __future__ import annotations

from functools import wraps

from flask import Response, current_app, request
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.config import KeyRing, PushSettings
from logbook.errors import DomainError
from logbook.extensions import limiter
from logbook.sync import service
from logbook.sync.schemas import (
    MAX_BATCH,
    PullQuerySchema,
    PullResultSchema,
    PushResultSchema,
    PushSchema,
    pulled_record_property,
)
from logbook.timeutil import utcnow

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync")


def document(api) -> None:
    """Teach the OpenAPI converter the pull's record field (any of the synced records' schemas)."""
    api.ma_plugin.converter.add_attribute_function(pulled_record_property)


class PayloadTooLarge(DomainError):
    """A push larger than the server takes in one request."""

    status = 413
    code = "too_large"


def _user_key() -> str:
    return f"sync-user:{current_user().id}"


def size_checked(view):
    """Refuse oversized pushes with 413 before the body is parsed (after authentication)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        _check_size()
        return view(*args, **kwargs)

    return wrapper


def _check_size() -> None:
    limit = current_app.config["SYNC_MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"A push may be at most {limit} bytes; send fewer mutations per batch.")
    body = request.get_json(silent=True)
    if (
        isinstance(body, dict)
        and isinstance(body.get("mutations"), list)
        and len(body["mutations"]) > MAX_BATCH
    ):
        raise PayloadTooLarge(
            f"A push may hold at most {MAX_BATCH} mutations; send the rest in another batch.",
            fields={"mutations": [f"{len(body['mutations'])} given, at most {MAX_BATCH}"]},
        )


@blp.route("/push", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["SYNC_RATE_LIMIT"], key_func=_user_key)
@size_checked
@blp.arguments(PushSchema)
@blp.response(200, PushResultSchema)
@blp.alt_response(413, description="Too many mutations or too large a body")
def push(data):
    """Apply a batch of mutations; each gets its own result (applied, duplicate, conflict, rejected)."""
    return service.push(
        user=current_user(),
        client_id=data["client_id"],
        mutations=data["mutations"],
        now=utcnow(),
        settings=PushSettings.from_config(current_app.config, ring=KeyRing.of(current_app)),
    )


@blp.route("/pull")
@login_required
@limiter.limit(lambda: current_app.config["SYNC_RATE_LIMIT"], key_func=_user_key)
@blp.arguments(PullQuerySchema, location="query")
@blp.response(200, PullResultSchema)
def pull(args):
    """Changes after the cursor that the caller may see; `reset` tells the device to pull from the start."""
    # The service writes the PullResult's JSON itself (stored JSON spliced in, docs/sync.md): sent
    # as it is, past the schema's dump and the JSON provider.
    body = service.pull(
        user=current_user(),
        cursor=args["cursor"],
        limit=args["limit"],
        today=utcnow().date(),
        epoch=current_app.config["SYNC_EPOCH"],
        secret=current_app.config["SECRET_KEY"],
    )
    return Response(body, mimetype="application/json")
