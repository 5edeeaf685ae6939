"""The JSON API under /api/v1: one blueprint per domain, documented as OpenAPI 3."""

from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields

from logbook.errors import http_exception_response


class ErrorDetailSchema(Schema):
    """Inside every error response."""

    code = fields.String(metadata={"description": "machine-readable error code"})
    message = fields.String(metadata={"description": "what went wrong, in plain words"})
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "field path → reasons"},
    )


class ErrorSchema(Schema):
    """The one error shape."""

    error = fields.Nested(ErrorDetailSchema)


def schema_name(schema) -> str:
    """OpenAPI component name: the class name without "Schema", "Patch" added for partial schemas."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema) and schema.partial:
        name += "Patch"
    return name


class LogbookApi(Api):
    """flask-smorest's Api, answering every HTTP error in the project's error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        """Render HTTP errors as {"error": {...}} (keeps Allow on 405, Retry-After on 429)."""
        return http_exception_response(error)


def init_api(app: Flask) -> LogbookApi:
    """Attach a new Api to the app and register each domain's blueprint."""
    from logbook.api import admin, auth, entries, evidence, insights, sync

    api = LogbookApi(spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "CPD Logbook: continuing professional development records."},
            "components": {
                "securitySchemes": {
                    "session": {"type": "apiKey", "in": "cookie", "name": "logbook_session"},
                    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
                }
            },
        },
    )
    api.register_blueprint(auth.blp)
    api.register_blueprint(admin.blp)
    api.register_blueprint(entries.blp)
    api.register_blueprint(evidence.blp)
    api.register_blueprint(sync.blp)
    api.register_blueprint(insights.blp)
    from logbook.api import frameworks

    api.register_blueprint(frameworks.blp)
    from logbook.api import events

    api.register_blueprint(events.blp)
    from logbook.api import supervision

    supervision.register(app, api)
    from logbook.api import portfolio

    portfolio.register(app, api)
    from logbook.api import exports, jobs

    api.register_blueprint(jobs.blp)
    api.register_blueprint(exports.blp)
    app.extensions["logbook.api"] = api
    return api
