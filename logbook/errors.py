"""Domain exceptions and the one JSON error shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from logbook.extensions import db


class DomainError(Exception):
    """Base of every error a service raises on purpose; carries its HTTP status."""

    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, sent as Retry-After (503, 507)

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra or {}


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule (field errors)."""

    status = 422
    code = "validation_failed"


class NotAuthenticated(DomainError):
    """No valid session."""

    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Missing, or not visible to the caller (the two are indistinguishable on purpose)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (stale version, duplicate name...)."""

    status = 409
    code = "conflict"


def error_body(status: int, code: str, message: str, fields: dict | None = None, **extra: Any):
    """Build the JSON response for an error."""
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    response = jsonify({"error": body})
    response.status_code = status
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    503: "unavailable",
}


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn webargs/marshmallow nested messages into {"a.b": ["..."]} keyed by field path."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            # webargs nests by location ("json", "query"); the field path is what users need.
            name = (
                prefix
                if key in {"json", "query", "form", "files", "headers"} and not prefix
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            for k, v in flatten_messages(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_schema"] = list(messages)
        else:
            for m in messages:
                for k, v in flatten_messages(m, prefix).items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def http_exception_response(err: HTTPException) -> ResponseReturnValue:
    """Render any werkzeug HTTPException (incl. webargs/flask-smorest aborts) in our shape."""
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    fields = flatten_messages(data.get("messages", {})) if data.get("messages") else {}
    if status == 422:
        message = "Some fields are not valid."
    elif status == 400 and fields:
        message = (
            "The request body is not valid JSON."
            if any("Invalid JSON" in m for msgs in fields.values() for m in msgs)
            else "The request is not valid."
        )
    else:
        message = (err.description or err.name or "").strip()
    response = error_body(status, _HTTP_CODES.get(status, "error"), message, fields)
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        response.headers["Allow"] = ", ".join(err.valid_methods)
    retry_after = None
    if err.response is not None:
        retry_after = err.response.headers.get("Retry-After")
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


def database_error_response(app: Flask, err: DBAPIError) -> ResponseReturnValue:
    """A database that is busy (SQLite locked after the retries) or unreachable (PostgreSQL
    restarting, connection dropped) gets 503 with Retry-After: the transaction is rolled back, so
    nothing was saved, and the client tries again. Any other database error is a bug: 500."""
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone; the pool replaces it on the next checkout
        db.session().invalidate()  # the scoped proxy does not declare invalidate; its Session does
    transient = isinstance(err, OperationalError | InterfaceError) or err.connection_invalidated
    if not transient:
        app.logger.error("unhandled database error %s", type(err.orig).__name__)
        return error_body(500, "internal_error", "Something went wrong on our side; nothing was saved.")
    app.logger.warning("database unavailable: %s", type(err.orig).__name__)  # no SQL, no parameters
    response = error_body(
        503, "unavailable", "The database is busy or restarting; nothing was saved. Try again shortly."
    )
    response.headers["Retry-After"] = str(app.config.get("DB_RETRY_AFTER_SECONDS", 2))
    return response


def register_error_handlers(app: Flask) -> None:
    """Map domain exceptions and HTTP errors to the one error shape."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        response = error_body(err.status, err.code, err.message, err.fields, **err.extra)
        if err.retry_after is not None:
            response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        return http_exception_response(err)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        return error_body(
            403,
            "csrf_failed",
            "The security token is missing or out of date; reload the page and try again.",
            {"X-CSRFToken": [err.description]},
        )

    @app.errorhandler(DBAPIError)
    def _database(err: DBAPIError):
        return database_error_response(app, err)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.error("unhandled error")  # request bodies are never logged
        return error_body(500, "internal_error", "Something went wrong on our side; nothing was saved.")
