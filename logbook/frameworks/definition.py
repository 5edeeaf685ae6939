"""Framework files: parse YAML, validate it, and report every mistake with its file, line and reason.

The format is documented in docs/frameworks.md. Parsing is pure (no database): a file either
becomes a complete `Definition` or raises `FrameworkFileError` listing all its problems.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, validate, validates_schema

from logbook import fields
from logbook.accounts.models import REGULATORS, SERVICE_AREAS
from logbook.errors import ValidationFailed
from logbook.frameworks.kinds import KINDS

FORMAT = 1
FILE_KINDS = ("registration", "supervision_policy", "standards")
CYCLE_TYPES = ("renewal_window", "renewal_date", "fixed_year", "none")
MEASURES = ("count", "hours", "distinct_activity_types", "gaps", "per_period", "standards_covered")
PERIODS = ("week", "fortnight", "month")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_MONTH = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]*$")
IDENT = validate.Regexp(r"^[a-z0-9][a-z0-9_.-]*$", error="use lower-case letters, digits, '-', '_' or '.'")
BUILT_IN_DATES = ("starts_on", "ends_on")
MAX_BYTES = 512 * 1024
# Budgets checked on the YAML event stream before anything is built (docs/security.md, "Limits"):
# the shipped files nest 5 deep and hold at most 450 nodes.
MAX_DEPTH = 20
MAX_NODES = 20_000
MAX_NUMBER_CHARS = 100  # a number written longer is refused (int() of 4,300+ digits raises)


@dataclass(frozen=True)
class Problem:
    """One mistake in a framework file."""

    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


class FrameworkFileError(ValidationFailed):
    """A framework file that cannot be loaded; `problems` says where and why."""

    code = "invalid_framework_file"

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        listed = "; ".join(str(p) for p in problems[:5]) + ("; …" if len(problems) > 5 else "")
        super().__init__(
            f"{filename} is not a valid framework file ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}): {listed}",
            fields={p.path or "_file": [f"{filename}:{p.line or 0}: {p.reason}"] for p in problems},
            extra={
                "file": filename,
                "problems": [{"line": p.line, "path": p.path, "reason": p.reason} for p in problems],
            },
        )


@dataclass(frozen=True)
class Definition:
    """A validated framework file: the parsed data plus the text it came from."""

    data: dict[str, Any]
    source_name: str
    source_text: str
    standard_codes: list[str] = field(default_factory=list)

    @property
    def framework_id(self) -> str:
        """The framework's id, e.g. "hcpc"."""
        return self.data["id"]

    @property
    def version(self) -> int:
        """The version number of this file."""
        return self.data["version"]


def parse_day_month(text: str) -> tuple[int, int]:
    """ "1 Dec" → (12, 1): a yearly date's month and day (29 Feb means 28 Feb in other years)."""
    match = DAY_MONTH.match(text.strip())
    if not match or match.group(2).lower() not in MONTHS:
        raise ValueError(f"“{text}” is not a day and month such as “1 Dec”")
    month = MONTHS.index(match.group(2).lower()) + 1
    day = int(match.group(1))
    try:
        dt.date(2024, month, day)  # a leap year, so 29 Feb is allowed
    except ValueError:
        raise ValueError(f"“{text}” is not a real day of the year") from None
    return month, day


class DayMonth(fields.String):
    """A yearly date written "1 Dec"; loads as (month, day)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_day_month(text)
        except ValueError as err:
            raise ValidationError(str(err)) from err


class YamlDate(fields.Date):
    """A date: YAML's own 2021-12-01 or the same as a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dt.datetime):
            raise ValidationError("must be a date without a time")
        if isinstance(value, dt.date):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class Number(fields.Float):
    """A non-negative number (hours may be fractional)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("must be a number")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictInteger(fields.Integer):
    """An integer that refuses true/false and 2.5."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("must be a whole number")
        return super()._deserialize(value, attr, data, **kwargs)


TEXT = fields.String
NAME = validate.Length(min=1, max=200)


class SourceSchema(Schema):
    """Where a fact comes from."""

    title = TEXT(required=True, validate=validate.Length(min=1, max=500))
    url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"})
    accessed = YamlDate(load_default=None, allow_none=True)


class StandardSchema(Schema):
    """A standard, or a sub-point of one (parent = the parent's code)."""

    code = TEXT(required=True, validate=[validate.Length(min=1, max=40), IDENT])
    title = TEXT(required=True, validate=validate.Length(min=1, max=500))
    parent = TEXT(load_default=None, allow_none=True)
    description = TEXT(load_default="", validate=validate.Length(max=5000))
    unconfirmed = fields.Boolean(load_default=False)


class WindowSchema(Schema):
    """A profession's renewal window: it opens and closes on the same days every cycle."""

    names = fields.List(TEXT(validate=NAME), load_default=list)
    opens = DayMonth(required=True)
    deadline = DayMonth(required=True)
    deadline_years = TEXT(required=True, validate=validate.OneOf(["even", "odd"]))
    unconfirmed = fields.Boolean(load_default=False)


class CycleSchema(Schema):
    """How a registration's cycle is found."""

    type = TEXT(required=True, validate=validate.OneOf(CYCLE_TYPES))
    length_months = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1, max=120))
    starts = DayMonth(load_default=None, allow_none=True)
    windows = fields.Dict(keys=TEXT(validate=IDENT), values=fields.Nested(WindowSchema), load_default=dict)
    use_renewal_date = fields.Boolean(load_default=True)
    at_risk_days = StrictInteger(load_default=90, validate=validate.Range(min=0, max=3650))
    pace = Number(load_default=0.25, validate=validate.Range(min=0, max=1))
    unconfirmed = fields.Boolean(load_default=False)

    @validates_schema
    def _shape(self, data, **kwargs):
        kind = data["type"]
        if kind != "none" and not data.get("length_months"):
            raise ValidationError(["is required for this cycle type"], "length_months")
        if kind == "fixed_year":
            if data.get("starts") is None:
                raise ValidationError(["is required for a fixed_year cycle, e.g. “1 Dec”"], "starts")
            if data.get("length_months") != 12:
                raise ValidationError(["a fixed_year cycle is 12 months"], "length_months")
        if kind == "renewal_window" and not data.get("windows"):
            raise ValidationError(["list at least one profession's renewal window"], "windows")


class DateRuleSchema(Schema):
    """A date that matters, worked out from the cycle's dates (or an earlier date in the list)."""

    id = TEXT(required=True, validate=[validate.Length(min=1, max=60), IDENT])
    label = TEXT(required=True, validate=NAME)
    from_ = TEXT(data_key="from", load_default="ends_on")
    months = StrictInteger(load_default=0, validate=validate.Range(min=-240, max=240))
    days = StrictInteger(load_default=0, validate=validate.Range(min=-3650, max=3650))
    snap = TEXT(load_default=None, allow_none=True, validate=validate.OneOf(["month_start", "month_end"]))
    unconfirmed = fields.Boolean(load_default=False)


class NewlyQualifiedSchema(Schema):
    """A stricter period for people registered recently."""

    within_months = StrictInteger(required=True, validate=validate.Range(min=1, max=60))
    period = TEXT(required=True, validate=validate.OneOf(PERIODS))


class RequirementSchema(Schema):
    """One rule a cycle is measured against."""

    id = TEXT(required=True, validate=[validate.Length(min=1, max=60), IDENT])
    title = TEXT(required=True, validate=validate.Length(min=1, max=300))
    measure = TEXT(required=True, validate=validate.OneOf(MEASURES))
    target = Number(load_default=None, allow_none=True, validate=validate.Range(min=0))
    dual_registration_target = Number(load_default=None, allow_none=True, validate=validate.Range(min=0))
    unit = TEXT(load_default=None, allow_none=True, validate=validate.Length(max=60))
    describe = TEXT(load_default=None, allow_none=True, validate=validate.Length(max=200))
    kinds = fields.List(TEXT(), load_default=None, allow_none=True)
    participatory = fields.Boolean(load_default=None, allow_none=True)
    peer_reflection = fields.Boolean(load_default=None, allow_none=True)
    signed_off_only = fields.Boolean(load_default=False)
    signed_by = TEXT(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120))
    impact_described = fields.Boolean(load_default=None, allow_none=True)
    after_rule = TEXT(load_default=None, allow_none=True)
    with_subpoints = fields.Boolean(load_default=None, allow_none=True)
    distinct_records = fields.Boolean(load_default=False)
    from_date = TEXT(load_default=None, allow_none=True)
    min_months = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1, max=60))
    period = TEXT(load_default=None, allow_none=True, validate=validate.OneOf(PERIODS))
    min_minutes = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1440))
    newly_qualified = fields.Nested(NewlyQualifiedSchema, load_default=None, allow_none=True)
    codes = fields.List(TEXT(), load_default=None, allow_none=True)
    advisory = fields.Boolean(load_default=False)
    unconfirmed = fields.Boolean(load_default=False)
    notes = TEXT(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _shape(self, data, **kwargs):
        measure = data["measure"]
        needs = {
            "count": ["target"],
            "hours": ["target"],
            "distinct_activity_types": ["target"],
            "gaps": ["min_months"],
            "per_period": ["period"],
            "standards_covered": ["codes"],
        }[measure]
        missing = {name: [f"is required for measure “{measure}”"] for name in needs if data.get(name) is None}
        if missing:
            raise ValidationError(missing)


class ReminderSchema(Schema):
    """Something to do that the logbook cannot check (e.g. a declaration made when applying)."""

    id = TEXT(required=True, validate=[validate.Length(min=1, max=60), IDENT])
    title = TEXT(required=True, validate=validate.Length(min=1, max=300))
    date = TEXT(load_default="ends_on")
    unconfirmed = fields.Boolean(load_default=False)


class RecordFieldSchema(Schema):
    """A field the regulator expects on each record."""

    id = TEXT(required=True, validate=[validate.Length(min=1, max=60), IDENT])
    title = TEXT(required=True, validate=validate.Length(min=1, max=300))
    required = fields.Boolean(load_default=True)
    entry_field = TEXT(load_default=None, allow_none=True, validate=validate.Length(max=60))


class ProfileSectionSchema(Schema):
    """A section of the written profile a regulator may ask for."""

    id = TEXT(required=True, validate=[validate.Length(min=1, max=60), IDENT])
    title = TEXT(required=True, validate=validate.Length(min=1, max=300))
    max_words = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1))
    min_items = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0))
    max_items = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0))
    numbered = fields.Boolean(load_default=False)
    guidance = TEXT(load_default="", validate=validate.Length(max=2000))
    unconfirmed = fields.Boolean(load_default=False)

    @validates_schema
    def _range(self, data, **kwargs):
        low, high = data.get("min_items"), data.get("max_items")
        if low is not None and high is not None and low > high:
            raise ValidationError(["must not be more than max_items"], "min_items")


class ProfileSchema(Schema):
    """The written profile or document: its sections and limits."""

    title = TEXT(required=True, validate=validate.Length(min=1, max=300))
    sections = fields.List(
        fields.Nested(ProfileSectionSchema), required=True, validate=validate.Length(min=1)
    )


class AppliesToSchema(Schema):
    """Whom a supervision policy applies to (any match)."""

    regulators = fields.List(TEXT(validate=validate.OneOf(REGULATORS)), load_default=list)
    service_areas = fields.List(TEXT(validate=validate.OneOf(SERVICE_AREAS)), load_default=list)


DEFAULT_ENTRY_KINDS = {"cpd": [k for k in KINDS if k != "practice_hours"], "other": ["practice_hours"]}


class EntryKindsSchema(Schema):
    """Which entry kinds the framework recognises: CPD activities, and other records it uses."""

    cpd = fields.List(TEXT(), required=True)
    other = fields.List(TEXT(), load_default=list)


class ActivityTypeSchema(Schema):
    """A type of CPD activity (HCPC standard 2 asks for a mixture) and the entry kinds of that type."""

    title = TEXT(required=True, validate=NAME)
    kinds = fields.List(TEXT(), required=True, validate=validate.Length(min=1))
    examples = fields.List(TEXT(validate=validate.Length(max=200)), load_default=list)


class FrameworkSchema(Schema):
    """A whole framework file."""

    format = StrictInteger(required=True, validate=validate.Equal(FORMAT, error=f"must be {FORMAT}"))
    id = TEXT(required=True, validate=[validate.Length(min=1, max=80), IDENT])
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    name = TEXT(required=True, validate=NAME)
    kind = TEXT(required=True, validate=validate.OneOf(FILE_KINDS))
    regulator = TEXT(load_default=None, allow_none=True, validate=validate.OneOf(REGULATORS))
    effective_from = YamlDate(load_default=None, allow_none=True)
    effective_to = YamlDate(load_default=None, allow_none=True)
    description = TEXT(load_default="", validate=validate.Length(max=5000))
    sources = fields.List(fields.Nested(SourceSchema), required=True, validate=validate.Length(min=1))
    unconfirmed = fields.List(TEXT(validate=validate.Length(min=1, max=2000)), load_default=list)
    standards = fields.List(fields.Nested(StandardSchema), load_default=list)
    entry_kinds = fields.Nested(EntryKindsSchema, load_default=lambda: dict(DEFAULT_ENTRY_KINDS))
    activity_types = fields.Dict(
        keys=TEXT(validate=IDENT), values=fields.Nested(ActivityTypeSchema), load_default=dict
    )
    cycle = fields.Nested(CycleSchema, load_default=lambda: {"type": "none"})
    dates = fields.List(fields.Nested(DateRuleSchema), load_default=list)
    requirements = fields.List(fields.Nested(RequirementSchema), load_default=list)
    reminders = fields.List(fields.Nested(ReminderSchema), load_default=list)
    record_fields = fields.List(fields.Nested(RecordFieldSchema), load_default=list)
    profile = fields.Nested(ProfileSchema, load_default=None, allow_none=True)
    applies_to = fields.Nested(AppliesToSchema, load_default=None, allow_none=True)


# --- YAML with line numbers ------------------------------------------------------------------


def _line_map(node: yaml.Node, path: str, lines: dict[str, int], problems: list[Problem]) -> None:
    """Record the line of every key and item; catch duplicate keys (PyYAML keeps the last silently)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            child = f"{path}.{key}" if path else key
            if key in seen:
                problems.append(Problem(line, child, f"appears twice (first on line {seen[key]})"))
            seen[key] = line
            lines[child] = line
            _line_map(value_node, child, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, f"{path}.{i}" if path else str(i), lines, problems)


def _line_for(path: str, lines: dict[str, int]) -> int | None:
    """The line of a path, or of its nearest ancestor that exists in the file."""
    parts = path.split(".")
    while parts:
        found = lines.get(".".join(parts))
        if found:
            return found
        parts.pop()
    return lines.get("")


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(_flatten(value, name))
    elif isinstance(messages, list | tuple):
        for m in messages:
            out.extend(_flatten(m, prefix))
    else:
        out.append((prefix, str(messages)))
    return out


# libyaml's safe loader when PyYAML has it (about ten times faster; same nodes, marks and errors).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _within_budget(filename: str, text: str) -> None:
    """Walk the YAML event stream (the parser keeps no tree and does not recurse) and refuse, with
    the line, what would make building the document expensive: anchors and aliases (an alias of an
    alias of … expands exponentially: "billion laughs"), nesting deeper than MAX_DEPTH (the composer
    recurses once per level), more than MAX_NODES nodes, numbers longer than MAX_NUMBER_CHARS."""
    depth = nodes = 0
    resolve = yaml.resolver.Resolver().resolve  # the implicit tags a safe loader gives plain scalars

    def refuse(event: yaml.Event, reason: str) -> FrameworkFileError:
        return FrameworkFileError(filename, [Problem(event.start_mark.line + 1, "", reason)])

    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise refuse(event, "anchors and aliases (& and *) are not allowed in framework files")
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise refuse(event, f"has more than {MAX_NODES} values; at most {MAX_NODES} are allowed")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise refuse(event, f"is nested more than {MAX_DEPTH} levels deep, the most allowed")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif (
            isinstance(event, yaml.ScalarEvent)
            and event.implicit[0]
            and len(event.value) > MAX_NUMBER_CHARS
            and resolve(yaml.ScalarNode, event.value, (True, False)) in _NUMBER_TAGS
        ):
            raise refuse(event, f"a number may be at most {MAX_NUMBER_CHARS} characters long")


def _read_yaml(filename: str, text: str) -> tuple[Any, dict[str, int]]:
    problems: list[Problem] = []
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise FrameworkFileError(filename, [Problem(None, "", f"is larger than {MAX_BYTES // 1024} KB")])
    try:
        _within_budget(filename, text)
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
        if len(nodes) != 1 or nodes[0] is None:
            raise FrameworkFileError(
                filename,
                [Problem(1, "", "must hold exactly one YAML document (a mapping of framework fields)")],
            )
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - _LOADER is libyaml's or PyYAML's safe loader  # nosec B506
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        reason = " ".join(str(x) for x in (err.context, err.problem) if x)
        raise FrameworkFileError(
            filename, [Problem(mark.line + 1 if mark else None, "", f"not valid YAML: {reason}")]
        ) from err
    except yaml.YAMLError as err:
        raise FrameworkFileError(filename, [Problem(None, "", f"not valid YAML: {err}")]) from err
    lines: dict[str, int] = {}
    _line_map(nodes[0], "", lines, problems)
    if problems:
        raise FrameworkFileError(filename, problems)
    if not isinstance(data, dict):
        raise FrameworkFileError(filename, [Problem(1, "", "must be a mapping of framework fields")])
    return data, lines


# --- checks across fields --------------------------------------------------------------------


def _cross_checks(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules one field cannot check alone: references, duplicates, dates in order."""
    found: list[tuple[str, str]] = []
    if data["effective_from"] and data["effective_to"] and data["effective_to"] < data["effective_from"]:
        found.append(("effective_to", "must not be before effective_from"))
    if data["kind"] == "supervision_policy" and not data["applies_to"]:
        found.append(("applies_to", "a supervision policy must say whom it applies to"))
    codes: dict[str, int] = {}
    for i, std in enumerate(data["standards"]):
        if std["code"] in codes:
            found.append(
                (f"standards.{i}.code", f"“{std['code']}” is already used by standards.{codes[std['code']]}")
            )
        codes.setdefault(std["code"], i)
    for i, std in enumerate(data["standards"]):
        parent = std["parent"]
        if parent is None:
            continue
        if parent not in codes:
            found.append((f"standards.{i}.parent", f"“{parent}” is not the code of a standard in this file"))
            continue
        seen, cursor = {std["code"]}, parent
        while cursor is not None:
            if cursor in seen:
                found.append((f"standards.{i}.parent", "standards form a loop through their parents"))
                break
            seen.add(cursor)
            cursor = data["standards"][codes[cursor]]["parent"]
    found.extend(_kind_checks(data))
    found.extend(_rule_checks(data, codes))
    return found


def _rule_checks(data: dict[str, Any], codes: dict[str, int]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    date_ids = set(BUILT_IN_DATES)
    if data["cycle"]["type"] == "renewal_window":
        date_ids.add("window_opens")
    for i, rule in enumerate(data["dates"]):
        if rule["id"] in date_ids:
            found.append((f"dates.{i}.id", f"“{rule['id']}” is already a date"))
        if rule["from_"] not in date_ids:
            found.append(
                (f"dates.{i}.from", f"“{rule['from_']}” is not starts_on, ends_on or an earlier date's id")
            )
        date_ids.add(rule["id"])
    found.extend(_requirement_checks(data, codes, date_ids))
    if data["requirements"] and data["cycle"]["type"] == "none":
        found.append(("cycle.type", "requirements need a cycle to be measured in"))
    for i, reminder in enumerate(data["reminders"]):
        if reminder["date"] not in date_ids:
            found.append((f"reminders.{i}.date", f"“{reminder['date']}” is not a date in dates"))
    names: dict[str, str] = {}
    for key, window in data["cycle"].get("windows", {}).items():
        for name in [key, *window["names"]]:
            norm = normalise_profession(name)
            if norm in names and names[norm] != key:
                found.append(
                    (f"cycle.windows.{key}", f"profession “{name}” is also listed under {names[norm]}")
                )
            names[norm] = key
    return found


def _requirement_checks(data: dict[str, Any], codes: dict[str, int], date_ids: set[str]):
    found: list[tuple[str, str]] = []
    kinds_known = set(data["entry_kinds"]["cpd"]) | set(data["entry_kinds"]["other"])
    rule_ids: set[str] = set()
    earlier_counts: set[str] = set()
    for i, rule in enumerate(data["requirements"]):
        if rule["id"] in rule_ids:
            found.append((f"requirements.{i}.id", f"“{rule['id']}” is already used by another requirement"))
        rule_ids.add(rule["id"])
        for j, kind in enumerate(rule["kinds"] or []):
            if kind not in kinds_known:
                found.append(
                    (f"requirements.{i}.kinds.{j}", f"“{kind}” is not one of this file's entry_kinds")
                )
        if rule["from_date"] is not None and rule["from_date"] not in date_ids:
            found.append((f"requirements.{i}.from_date", f"“{rule['from_date']}” is not a date in dates"))
        for j, code in enumerate(rule["codes"] or []):
            if code not in codes:
                found.append((f"requirements.{i}.codes.{j}", f"“{code}” is not a standard in this file"))
        if rule["measure"] == "distinct_activity_types" and not data["activity_types"]:
            found.append((f"requirements.{i}.measure", "needs activity_types and entry_kinds in the file"))
        after = rule.get("after_rule")
        if after is not None and after not in earlier_counts:
            found.append(
                (f"requirements.{i}.after_rule", f"“{after}” is not an earlier requirement measured by count")
            )
        if rule["measure"] == "count":
            earlier_counts.add(rule["id"])
        if rule.get("with_subpoints"):
            # Derived, stored with the rule: the engine (and the phone) read no standards.
            rule["subpoints"] = {
                code: [s["code"] for s in data["standards"] if s.get("parent") == code]
                for code in rule["codes"] or []
            }
    return found


def _kind_checks(data: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    listed: dict[str, str] = {}
    for group in ("cpd", "other"):
        for j, kind in enumerate(data["entry_kinds"][group]):
            if kind not in KINDS:
                found.append(
                    (f"entry_kinds.{group}.{j}", f"“{kind}” is not an entry kind ({', '.join(KINDS)})")
                )
            elif kind in listed:
                found.append((f"entry_kinds.{group}.{j}", f"“{kind}” is already listed under {listed[kind]}"))
            listed.setdefault(kind, group)
    typed: dict[str, str] = {}
    for type_id, activity_type in data["activity_types"].items():
        for j, kind in enumerate(activity_type["kinds"]):
            path = f"activity_types.{type_id}.kinds.{j}"
            if listed.get(kind) != "cpd":
                found.append((path, f"“{kind}” is not one of entry_kinds.cpd"))
            elif kind in typed:
                found.append((path, f"“{kind}” already has activity type {typed[kind]}"))
            typed.setdefault(kind, type_id)
    return found


def normalise_profession(text: str) -> str:
    """ "Speech and Language Therapist" → "speech_and_language_therapist" (how professions are matched)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def parse_definition(text: str, *, filename: str) -> Definition:
    """Parse and validate one framework file; raise FrameworkFileError listing every problem."""
    raw, lines = _read_yaml(filename, text)
    try:
        data = FrameworkSchema().load(raw)
    except ValidationError as err:
        problems = [Problem(_line_for(path, lines), path, reason) for path, reason in _flatten(err.messages)]
        raise FrameworkFileError(filename, sorted(problems, key=lambda p: (p.line or 0, p.path))) from err
    problems = [Problem(_line_for(path, lines), path, reason) for path, reason in _cross_checks(data)]
    if problems:
        raise FrameworkFileError(filename, sorted(problems, key=lambda p: (p.line or 0, p.path)))
    return Definition(
        data=data,
        source_name=filename,
        source_text=text,
        standard_codes=[s["code"] for s in data["standards"]],
    )


def summary_of(definition: Definition) -> dict[str, Any]:
    """The parsed definition as plain JSON (stored on FrameworkVersion.summary)."""
    return _jsonable(definition.data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {("from" if k == "from_" else k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
