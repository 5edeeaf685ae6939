"""JSON with budgets: text nested too deep, numbers written with too many digits or bodies too large
are refused before Python's recursive parser sees them (docs/security.md, "Limits").

Python's `json.loads` recurses once per nesting level (JSON nested a few hundred deep raises
RecursionError inside a request) and turns an integer literal of more than 4,300 digits into a
ValueError after quadratic work; both were 500s. `loads` first measures the text in linear time, with
C-speed regular expressions only (no backtracking: a string token swallows everything up to its
closing quote, or to the end when there is none), and only then parses.

`loads` is the one entry point: Flask's request JSON (logbook/__init__.py installs
`BudgetJSONProvider`), webargs' body parser (logbook/api) and the record import (record.json) use it.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

from flask import Request
from flask import json as flask_json

from logbook.errors import DomainError

# Budgets of the JSON API's request bodies. The deepest body the API documents is a sync push
# (body → mutations → mutation → payload → details → list → item: 7 levels); 64 leaves room. No
# number the API takes needs more than 17 significant digits (integers stop at 2^53).
REQUEST_MAX_DEPTH = 64
REQUEST_MAX_NUMBER_DIGITS = 100
REQUEST_MAX_BYTES = 2 * 1024 * 1024  # the sync push's limit (SYNC_MAX_BODY_BYTES) is the largest body

# A string token: the quote, then possessively any non-quote/non-backslash character or escape pair,
# then the closing quote if there is one. Possessive (`*+`) and the optional closing quote make every
# match end at the first unescaped quote (or the end of the text): one pass, never a retry.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DIGITS = re.compile(r"[0-9]+")
# opening brackets count +1, closing ones -1 (as signed bytes)
_DEPTH_STEP = str.maketrans({"[": "\x01", "{": "\x01", "]": "\xff", "}": "\xff"})


class JSONBudgetError(ValueError):
    """The JSON text breaks a budget. `code` is machine-readable, `status` the HTTP status to answer
    (413 for size, 400 otherwise), the message names the limit."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _text(data: str | bytes | bytearray) -> str:
    if isinstance(data, str):
        return data
    # the same encodings json.loads accepts for bytes (UTF-8, -16, -32)
    return bytes(data).decode(json.detect_encoding(data), "surrogatepass")


def check(
    data: str | bytes | bytearray,
    *,
    max_depth: int,
    max_int_digits: int,
    max_bytes: int | None = None,
) -> str:
    """Raise JSONBudgetError when the text is larger, deeper or has longer numbers than allowed;
    return it as text. Linear in the length of the text."""
    if max_bytes is not None and len(data) > max_bytes:
        raise JSONBudgetError(
            f"The JSON is {len(data)} bytes; at most {max_bytes} bytes are allowed.",
            code="json_too_large",
            status=413,
        )
    text = _text(data)
    outside_strings = _STRING.sub('""', text)
    brackets = _NOT_BRACKET.sub("", outside_strings)
    if len(brackets) > max_depth:  # fewer brackets than the limit cannot nest deeper than it
        steps = array("b", brackets.translate(_DEPTH_STEP).encode("latin-1"))
        depth = max(accumulate(steps), default=0)
        if depth > max_depth:
            raise JSONBudgetError(
                f"The JSON is nested {depth} levels deep; at most {max_depth} are allowed.",
                code="json_too_deep",
            )
    longest = max(map(len, _DIGITS.findall(outside_strings)), default=0)
    if longest > max_int_digits:
        raise JSONBudgetError(
            f"The JSON has a number of {longest} digits; at most {max_int_digits} digits are allowed.",
            code="json_number_too_long",
        )
    return text


def loads(
    data: str | bytes | bytearray,
    *,
    max_depth: int,
    max_int_digits: int,
    max_bytes: int | None = None,
    **kwargs: Any,
) -> Any:
    """`json.loads` after `check`: JSONBudgetError (a ValueError) for text over a budget,
    json.JSONDecodeError (also a ValueError) for text that is not JSON."""
    text = check(data, max_depth=max_depth, max_int_digits=max_int_digits, max_bytes=max_bytes)
    return json.loads(text, **kwargs)


def loads_request(data: str | bytes | bytearray, **kwargs: Any) -> Any:
    """`loads` with the JSON API's request budgets."""
    return loads(
        data,
        max_depth=REQUEST_MAX_DEPTH,
        max_int_digits=REQUEST_MAX_NUMBER_DIGITS,
        max_bytes=REQUEST_MAX_BYTES,
        **kwargs,
    )


class JSONBudgetExceeded(DomainError):
    """Raised out of request parsing (not a ValueError, so `get_json(silent=True)` cannot swallow it):
    answered in the error shape with the budget's status and code, naming the limit."""

    def __init__(self, err: JSONBudgetError) -> None:
        super().__init__(err.message, code=err.code, fields={"_schema": [err.message]})
        self.status = err.status


def load_request_json(data: str | bytes | bytearray) -> Any:
    """The JSON of a request body with the request budgets: JSONBudgetExceeded over a budget,
    a ValueError (json.JSONDecodeError, UnicodeDecodeError) when it is not JSON."""
    try:
        return loads_request(data)
    except JSONBudgetError as err:
        raise JSONBudgetExceeded(err) from err


class _RequestJSON:
    """The `json_module` of BudgetRequest: Flask's JSON functions, loading with the request budgets."""

    @staticmethod
    def loads(s: str | bytes, **kwargs: Any) -> Any:
        try:
            return loads_request(s, **kwargs)
        except JSONBudgetError as err:
            raise JSONBudgetExceeded(err) from err

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return flask_json.dumps(obj, **kwargs)


class BudgetRequest(Request):
    """Flask's request, parsing its JSON body with the request budgets: every `request.get_json()`
    (and webargs' body parser, logbook/api) is refused with 400/413 naming the limit before the
    recursive parse. Responses, and JSON the app reads from elsewhere, are not affected."""

    @property
    def json_module(self) -> Any:
        return _RequestJSON

    @json_module.setter
    def json_module(self, _value: Any) -> None:
        """Flask sets `app.json` on each request (flask/ctx.py); the request's budgets stay."""
