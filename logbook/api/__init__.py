"""The JSON API under /api/v1: one blueprint per domain, documented as OpenAPI 3."""

from __future__ import annotations

import threading
from typing import Any, cast

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import INCLUDE, Schema, ValidationError
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from logbook import fields
from logbook.errors import http_exception_response
from logbook.safejson import load_request_json

# The largest integer the API takes anywhere (JavaScript's safe integers; mutation ids go up to 2^53).
# Larger ones overflow the database's 64-bit integers (a 500 on SQLite: schemathesis found it).
MAX_INTEGER = 2**53


def _huge_integers(value: Any, path: str = "") -> list[str]:
    """Paths of the integers beyond ±MAX_INTEGER in loaded arguments (booleans are not counted)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [path or "_schema"] if abs(value) > MAX_INTEGER else []
    if isinstance(value, dict):
        return [
            p
            for key, item in value.items()
            for p in _huge_integers(item, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, list | tuple):
        return [
            p for i, item in enumerate(value) for p in _huge_integers(item, f"{path}.{i}" if path else str(i))
        ]
    return []


def _loose_booleans(schema: Schema, data: Any, path: str = "") -> list[str]:
    """Where a JSON body holds something other than true/false for a boolean field (marshmallow takes
    0, 1, "yes", "on"…; the OpenAPI document says boolean), nested objects and lists included."""
    if not isinstance(data, dict):
        return []
    out: list[str] = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key in data:
            out += _loose_in_field(field, data[key], f"{path}.{key}" if path else key)
    return out


def _loose_in_field(field: Any, value: Any, path: str) -> list[str]:
    if isinstance(field, fields.Boolean):
        return [path] if value is not None and not isinstance(value, bool) else []
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        if field.many:
            items = value if isinstance(value, list) else []
            return [
                p for i, item in enumerate(items) for p in _loose_booleans(field.schema, item, f"{path}.{i}")
            ]
        return _loose_booleans(field.schema, value, path)
    if isinstance(field, fields.List) and isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _loose_in_field(field.inner, item, f"{path}.{i}")]
    return []


class LogbookParser(FlaskParser):
    """webargs' Flask parser, refusing JSON over the request budgets (400/413, logbook/safejson.py),
    text the database cannot store (NUL, lone surrogates) and integers too large to store (422
    naming the field), in the body, the query string and the path alike."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        # with the request budgets (depth, number length, size): 400/413 naming the limit
        data = load_request_json(req.get_data(cache=True))
        bad = fields.unstorable_text(data)
        if bad:
            raise ValidationError({p: [reason] for p, reason in bad.items()})
        return data

    # webargs' own signature: it passes these positionally
    def _process_location_data(self, location_data, schema, req, location, unknown, validators):  # noqa: PLR0917
        if location == "json":
            # Every operation with a body documents it as required: an absent body (or one that is
            # not JSON) is refused rather than read as {} (schemathesis found PATCHes accepting it).
            if location_data is missing:
                raise ValidationError(
                    {"_schema": ["A JSON body is required (Content-Type: application/json)."]}
                )
            loose = _loose_booleans(schema, location_data)
            if loose:
                raise ValidationError({p: ["Must be true or false."] for p in loose})
        data = super()._process_location_data(location_data, schema, req, location, unknown, validators)
        huge = _huge_integers(data)
        if huge:
            raise ValidationError({p: [f"Must be at most {MAX_INTEGER} in size."] for p in huge})
        return data


# Every blueprint parses with it (set before any route module is imported and decorated).
ArgumentsMixin.ARGUMENTS_PARSER = LogbookParser()


class ErrorDetailSchema(Schema):
    """Inside every error response (some errors add details, e.g. a 409's current version)."""

    class Meta:
        unknown = INCLUDE  # documented as open (additionalProperties), so the extra details conform

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
    cls = cast("type[Schema]", resolve_schema_cls(schema))  # a list only for a registry name used twice
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema) and schema.partial:
        name += "Patch"
    return name


class LogbookApi(Api):
    """flask-smorest's Api, answering every HTTP error in the project's error shape."""

    ERROR_SCHEMA = ErrorSchema

    # The OpenAPI document is built on first use, not in create_app: documenting every view (schemas
    # converted by apispec) cost 55 ms of a 92 ms create_app, paid by every process and every test,
    # while only /api/v1/openapi.json, /api/docs and the contract tests read it. Routing, validation
    # and error handling are registered at once, as before; only the document waits.
    @property
    def spec(self):
        """The OpenAPI document (apispec.APISpec), completed with any blueprints not documented yet."""
        state = self.__dict__
        if state.get("_pending_docs"):  # not empty until the last blueprint is documented
            with state["_docs_lock"]:
                while state["_pending_docs"]:
                    blp, name, parameters = state["_pending_docs"][0]
                    spec = state["_spec"]
                    blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
                    spec.tag({"name": name, "description": blp.description})
                    state["_pending_docs"].pop(0)
        return state.get("_spec")

    @spec.setter
    def spec(self, value) -> None:
        self.__dict__["_spec"] = value

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """Register the blueprint's routes now and its documentation when the spec is first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self.__dict__.setdefault("_docs_lock", threading.Lock())
        self.__dict__.setdefault("_pending_docs", []).append((blp, name, parameters))

    def handle_http_exception(self, error):
        """Render HTTP errors as {"error": {...}} (keeps Allow on 405, Retry-After on 429)."""
        return http_exception_response(error)


def init_api(app: Flask) -> LogbookApi:
    """Attach a new Api to the app and register each domain's blueprint."""
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
    sync.document(api)
    api.register_blueprint(auth.blp)
    api.register_blueprint(admin.blp)
    api.register_blueprint(assignments.blp)
    api.register_blueprint(staff_import.blp)
    api.register_blueprint(entries.blp)
    api.register_blueprint(gaps.blp)
    api.register_blueprint(evidence.blp)
    api.register_blueprint(sync.blp)
    api.register_blueprint(insights.blp)
    api.register_blueprint(frameworks.blp)
    api.register_blueprint(events.blp)
    supervision.register(app, api)
    portfolio.register(app, api)
    credentials.register(app, api)
    api.register_blueprint(jobs.blp)
    api.register_blueprint(exports.blp)
    api.register_blueprint(record_formats.blp)
    api.register_blueprint(sso.blp)
    password_reset.register(app)
    sso.register(app)
    app.extensions["logbook.api"] = api
    return api


# The route modules, after ARGUMENTS_PARSER is set above: their routes are decorated with it on import.
from logbook.api import (  # noqa: E402
    admin,
    assignments,
    auth,
    credentials,
    entries,
    events,
    evidence,
    exports,
    frameworks,
    gaps,
    insights,
    jobs,
    password_reset,
    portfolio,
    record_formats,
    sso,
    staff_import,
    supervision,
    sync,
)
