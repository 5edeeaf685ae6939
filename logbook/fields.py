"""marshmallow's fields, refusing on load the values the database or the calendar code cannot hold,
so that every input schema (API bodies and query strings, sync mutations, record imports, framework
definitions) answers 422 naming the field instead of failing later with a 500 (docs/security.md,
"Limits"). Schemas import `from logbook import fields` instead of marshmallow's; every other field
class is marshmallow's own.

- String (and so every text field): no NUL character (PostgreSQL's text cannot hold it) and no lone
  UTF-16 surrogate (UTF-8 cannot encode it).
- Integer: a 32-bit signed integer (PostgreSQL's `integer` columns) unless the field declares its
  own `validate.Range` with a maximum (e.g. sync mutation ids, up to 2^53 in a `bigint`).
- Date, DateTime: between SUPPORTED_DATES' first and last day, the range the calendar, time zone
  and database code handles (Python's dates stop at year 9999, so a session late on 9999-12-31 in
  one zone overflows in another; PostgreSQL and ICS feeds have their own edges near year 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import fields as _ma
from marshmallow import types as _types
from marshmallow import validate

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# The supported calendar: far from every edge, far wider than any CPD record needs.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
SUPPORTED_DATES = (FIRST_DAY, LAST_DAY)

NUL_MESSAGE = "Must not contain the NUL character."
SURROGATE_MESSAGE = "Contains a character that is not valid text."
DATE_MESSAGE = f"Must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def unstorable_text(value: Any, path: str = "") -> dict[str, str]:
    """Field path → reason for every string (or key) in parsed JSON that the database cannot store.
    Typed fields refuse such text themselves; this covers free-form objects (an entry's `details`, a
    reflection's answers) in request bodies (logbook/api) and whole files (record.json)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return {path or "_schema": problem} if problem else {}
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found.update(unstorable_text(key, child) or unstorable_text(item, child))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(unstorable_text(item, f"{path}.{i}" if path else str(i)))
    return found


class String(_ma.String):
    """Text the database can store."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(result) if isinstance(result, str) else None
        if problem:
            raise self.make_error("storable", problem=problem)
        return result

    default_error_messages = {"storable": "{problem}"}


Str = String


def _declares_maximum(field: _ma.Field) -> bool:
    return any(isinstance(v, validate.Range) and v.max is not None for v in field.validators)


class Integer(_ma.Integer):
    """A 32-bit signed integer unless the field declares its own Range with a maximum.

    Checked when loading only, not documented as a bound in OpenAPI: response schemas use the same
    fields for values stored in 64-bit columns (a device's last mutation id), and a documented
    maximum there would make those answers break their own schema."""

    default_error_messages = {"int32": f"Must be between {INT32_MIN} and {INT32_MAX}."}

    def _validated(self, value: Any) -> int:
        result = super()._validated(value)
        if result is not None and not _declares_maximum(self) and not INT32_MIN <= result <= INT32_MAX:
            raise self.make_error("int32")
        return result


Int = Integer


def _check_day(field: _ma.Field, day: dt.date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise field.make_error("supported_range")


class Date(_ma.Date):
    """A day in the supported range."""

    default_error_messages = {"supported_range": DATE_MESSAGE}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        _check_day(self, result)
        return result


class _SupportedMoment:
    """A moment whose day (as written, and in UTC) is in the supported range."""

    default_error_messages: _types.ErrorMessages = {"supported_range": DATE_MESSAGE}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        _check_day(self, result.date())  # type: ignore[arg-type]
        if result.tzinfo is not None:
            try:
                _check_day(self, result.astimezone(dt.UTC).date())  # type: ignore[arg-type]
            except OverflowError as err:  # past year 9999 (or before year 1) in UTC
                raise self.make_error("supported_range") from err  # type: ignore[attr-defined]
        return result


class DateTime(_SupportedMoment, _ma.DateTime):
    """A moment in the supported range."""


class AwareDateTime(_SupportedMoment, _ma.AwareDateTime):
    """A moment with its UTC offset, in the supported range."""


class NaiveDateTime(_SupportedMoment, _ma.NaiveDateTime):
    """A moment without offset, in the supported range."""


def __getattr__(name: str) -> Any:
    """Every other field is marshmallow's (List, Nested, Dict, Boolean, Email, ...)."""
    return getattr(_ma, name)
