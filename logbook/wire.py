"""A marshmallow schema's dump of plain dicts, worked out once per schema instead of field by field
on every dump: what a hot list endpoint answers (`/api/v1/entries`), where marshmallow's own dump
of 50 entries was a fifth of the request.

`dumper(Schema)` reads the schema's declared fields once and returns a function giving exactly what
`Schema().dump(data)` gives for a dict (`data`'s keys the schema does not declare are left out, as
are declared keys `data` does not hold). Only the field types and options these schemas use are
supported; any other (a data_key, an attribute, a dump hook, a load-only field, a non-ISO date
format, a field type not listed below) raises at import, so a schema change cannot silently make
the two answers differ. tests/entries/test_wire.py holds them equal on every kind of entry and view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, missing
from marshmallow import fields as ma

Convert = Callable[[Any], Any]


def _str(value: Any) -> Any:
    return None if value is None else str(value)


def _int(value: Any) -> Any:
    return None if value is None else int(value)


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _iso(value: dt.date | None) -> Any:
    return None if value is None else value.isoformat()


def _dict(value: Any) -> Any:
    return None if value is None else dict(value)


def _as_is(value: Any) -> Any:
    return value


def _list_of(inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        return None if value is None else [inner(each) for each in value]

    return convert


def _nested_of(schema: type[Schema] | Schema) -> Convert:
    dump = dumper(schema if isinstance(schema, type) else type(schema))

    def convert(value: Any) -> Any:
        return None if value is None else dump(value)

    return convert


def _converter(field: ma.Field) -> Convert:  # noqa: PLR0911 - one return per field type
    if field.data_key is not None or field.attribute is not None or field.load_only:
        raise TypeError(f"{field!r}: data_key, attribute and load_only are not supported")
    if field.dump_default is not missing:
        raise TypeError(f"{field!r}: dump_default is not supported")
    if type(field)._serialize is ma.Field._serialize:  # marshmallow dumps the value as it is (Boolean)
        return _as_is
    if isinstance(field, ma.UUID | ma.String):
        return _str
    if isinstance(field, ma.Float) and not field.as_string:
        return _float
    if isinstance(field, ma.Integer) and not field.as_string:
        return _int
    if isinstance(field, ma.Date | ma.DateTime) and not isinstance(
        field, ma.NaiveDateTime | ma.AwareDateTime
    ):
        if (field.format or "iso") != "iso":
            raise TypeError(f"{field!r}: only ISO dates are supported")
        return _iso
    if type(field) is ma.Dict and field.key_field is None and field.value_field is None:
        return _dict
    if isinstance(field, ma.List):
        return _list_of(_converter(field.inner))
    if isinstance(field, ma.Nested) and not field.many and field.only is None and not field.exclude:
        return _nested_of(field.nested)  # type: ignore[arg-type]
    raise TypeError(f"{field!r}: this field type is not supported")


_DUMPERS: dict[type[Schema], Callable[[Any], dict[str, Any]]] = {}


def dumper(schema: type[Schema]) -> Callable[[Any], dict[str, Any]]:
    """`schema().dump(data)` for a dict `data` (an item that is not a dict dumps as marshmallow dumps
    an object without those attributes: {})."""
    if schema in _DUMPERS:
        return _DUMPERS[schema]
    instance = schema()
    if any(instance._hooks.get(k) for k in ("pre_dump", "post_dump")) or instance.only or instance.exclude:
        raise TypeError(f"{schema.__name__}: dump hooks, only and exclude are not supported")
    table = tuple((name, _converter(field)) for name, field in instance.dump_fields.items())
    # A field named like a dict's attribute ("items") that the dict lacks: marshmallow would read
    # the attribute (a method) instead; refused rather than answered differently.
    required = tuple(name for name in instance.dump_fields if hasattr(dict, name))

    def dump(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            return {}
        for name in required:
            if name not in data:
                raise KeyError(f"{schema.__name__}: {name!r} is missing")
        return {name: convert(data[name]) for name, convert in table if name in data}

    _DUMPERS[schema] = dump
    return dump
