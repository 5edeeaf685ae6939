"""Framework files: the shipped ones are valid, and every kind of mistake gets its file, line and reason."""

from __future__ import annotations

import pytest

from logbook.frameworks.definition import FrameworkFileError, parse_day_month, parse_definition
from logbook.frameworks.service import shipped_definitions

GOOD = """\
format: 1
id: local-iw
version: 1
name: Integrated working
kind: registration
sources:
  - title: Our service's integrated working framework
standards:
  - {code: "1", title: "Work together"}
  - {code: "1.1", parent: "1", title: "Share information"}
cycle:
  type: fixed_year
  starts: "1 Apr"
  length_months: 12
requirements:
  - id: learning_sets
    title: Two reflective learning sets a year
    measure: count
    kinds: [reflective_learning_set]
    target: 2
"""


def test_the_example_file_is_valid():
    definition = parse_definition(GOOD, filename="local.yaml")
    assert (definition.framework_id, definition.version) == ("local-iw", 1)
    assert definition.standard_codes == ["1", "1.1"]
    assert definition.data["cycle"]["starts"] == (4, 1)


def test_shipped_files_are_valid_and_cite_sources():
    definitions = {(d.framework_id, d.version): d for d in shipped_definitions()}
    assert set(definitions) == {
        ("hcpc", 1),
        ("swe", 1),
        ("swe", 2),
        ("swe", 3),
        ("nmc", 1),
        ("nmc", 2),
        ("teachers", 1),
        ("teachers", 2),
        ("common-core", 1),
        ("sw-supervision", 1),
        ("eyfs-supervision", 1),
    }
    for definition in definitions.values():
        assert definition.data["sources"], definition.source_name
        assert all(s["url"] for s in definition.data["sources"]), definition.source_name
    assert definitions[("hcpc", 1)].standard_codes == ["1", "2", "3", "4", "5"]
    swe = definitions[("swe", 2)].standard_codes
    assert [c for c in swe if "." not in c] == ["1", "2", "3", "4", "5", "6"]
    assert [c for c in swe if c.startswith("4.")] == [f"4.{n}" for n in range(1, 9)]
    teachers = definitions[("teachers", 1)].data["standards"]
    assert [s["code"] for s in teachers if s["parent"] is None] == [
        *"12345678",
        "part2",
        "pd2016",
    ]
    assert sum(1 for s in teachers if s["parent"] in set("12345678")) == 3 + 5 + 5 + 5 + 4 + 4 + 4 + 5
    core = definitions[("common-core", 1)].data["standards"]
    assert [s["title"] for s in core if s["parent"] is None][4] == "Multi-agency and integrated working"
    assert definitions[("nmc", 1)].standard_codes == [
        "prioritise_people",
        "practise_effectively",
        "preserve_safety",
        "promote_professionalism",
    ]
    hcpc = definitions[("hcpc", 1)].data
    assert len(hcpc["cycle"]["windows"]) == 15
    assert {s["id"]: s.get("max_words") for s in hcpc["profile"]["sections"]}["personal_statement"] == 1500
    assert definitions[("swe", 1)].data["unconfirmed"]  # unconfirmed facts are marked


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(FrameworkFileError) as caught:
        parse_definition(text, filename="local.yaml")
    err = caught.value
    assert err.filename == "local.yaml"
    assert "local.yaml" in err.message
    return [(p.line, p.path, p.reason) for p in err.problems]


def _change(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    ("case", "text", "line", "path", "reason"),
    [
        (
            "not YAML",
            _change("name: Integrated working", "name: [Integrated working"),
            5,
            "",
            "not valid YAML",
        ),
        ("tab indentation", _change('  starts: "1 Apr"', '\tstarts: "1 Apr"'), 13, "", "not valid YAML"),
        ("empty file", "", 1, "", "exactly one YAML document"),
        ("two documents", GOOD + "---\nid: other\n", 1, "", "exactly one YAML document"),
        ("a list, not a mapping", "- id: x\n", 1, "", "must be a mapping"),
        ("duplicate key", _change("version: 1\n", "version: 1\nversion: 2\n"), 4, "version", "appears twice"),
        ("missing field", _change("name: Integrated working\n", ""), 1, "name", "Missing data"),
        ("misspelt field", _change("standards:", "standard:"), 8, "standard", "Unknown field"),
        ("unknown format", _change("format: 1", "format: 2"), 1, "format", "must be 1"),
        ("version not a number", _change("version: 1", "version: one"), 3, "version", "Not a valid integer"),
        ("version true", _change("version: 1", "version: true"), 3, "version", "whole number"),
        ("version 2.5", _change("version: 1", "version: 2.5"), 3, "version", "Not a valid integer"),
        ("bad id", _change("id: local-iw", "id: Local IW"), 2, "id", "lower-case"),
        ("unknown kind of file", _change("kind: registration", "kind: policy"), 5, "kind", "Must be one of"),
        (
            "no sources",
            _change("  - title: Our service's integrated working framework\n", "").replace(
                "sources:\n", "sources: []\n"
            ),
            6,
            "sources",
            "Shorter than minimum",
        ),
        (
            "source url not http",
            _change(
                "  - title: Our service's integrated working framework\n",
                "  - title: Ours\n    url: ftp://example.org/x\n",
            ),
            8,
            "sources.0.url",
            "Not a valid URL",
        ),
        (
            "unknown regulator",
            _change("kind: registration\n", "kind: registration\nregulator: Ofsted\n"),
            6,
            "regulator",
            "Must be one of",
        ),
        (
            "effective dates reversed",
            _change(
                "kind: registration\n",
                "kind: registration\neffective_from: 2024-01-01\neffective_to: 2023-12-31\n",
            ),
            7,
            "effective_to",
            "must not be before effective_from",
        ),
        (
            "effective date with a time",
            _change("kind: registration\n", "kind: registration\neffective_from: 2024-01-01 10:00:00\n"),
            6,
            "effective_from",
            "without a time",
        ),
        (
            "parent not in file",
            _change('parent: "1"', 'parent: "9"'),
            10,
            "standards.1.parent",
            "“9” is not the code",
        ),
        (
            "parent loop",
            _change('{code: "1", title', '{code: "1", parent: "1.1", title'),
            9,
            "standards.0.parent",
            "loop",
        ),
        ("duplicate code", _change('code: "1.1"', 'code: "1"'), 10, "standards.1.code", "already used"),
        ("bad code", _change('code: "1.1"', 'code: "1 1"'), 10, "standards.1.code", "lower-case"),
        (
            "impossible date",
            _change('starts: "1 Apr"', 'starts: "31 Feb"'),
            13,
            "cycle.starts",
            "not a real day",
        ),
        ("not a date", _change('starts: "1 Apr"', 'starts: "April"'), 13, "cycle.starts", "such as “1 Dec”"),
        (
            "fixed year of 24 months",
            _change("length_months: 12", "length_months: 24"),
            14,
            "cycle.length_months",
            "12 months",
        ),
        (
            "unknown cycle type",
            _change("type: fixed_year", "type: yearly"),
            12,
            "cycle.type",
            "Must be one of",
        ),
        (
            "unknown measure",
            _change("measure: count", "measure: counts"),
            18,
            "requirements.0.measure",
            "Must be one of",
        ),
        ("count without target", _change("    target: 2\n", ""), 16, "requirements.0.target", "is required"),
        ("negative target", _change("target: 2", "target: -2"), 20, "requirements.0.target", "greater than"),
        (
            "unknown entry kind",
            _change("kinds: [reflective_learning_set]", "kinds: [learning_set]"),
            19,
            "requirements.0.kinds.0",
            "not one of this file's entry_kinds",
        ),
        (
            "requirements without a cycle",
            _change('cycle:\n  type: fixed_year\n  starts: "1 Apr"\n  length_months: 12\n', ""),
            1,
            "cycle.type",
            "need a cycle",
        ),
        (
            "window start unknown",
            _change("    target: 2\n", "    target: 2\n    from_date: final_year\n"),
            21,
            "requirements.0.from_date",
            "not a date in dates",
        ),
        (
            "duplicate requirement id",
            GOOD + ("  - id: learning_sets\n    title: Again\n    measure: count\n    target: 1\n"),
            21,
            "requirements.1.id",
            "already used",
        ),
        (
            "entry kind that does not exist",
            _change("cycle:\n", "entry_kinds:\n  cpd: [supervision, webinar]\ncycle:\n"),
            12,
            "entry_kinds.cpd.1",
            "not an entry kind",
        ),
    ],
)
def test_each_mistake_is_reported_with_line_and_reason(case, text, line, path, reason):
    problems = _problems(text)
    assert any(
        p_line == line and p_path == path and reason in p_reason for p_line, p_path, p_reason in problems
    ), (
        case,
        problems,
    )


def test_every_problem_is_reported_at_once():
    text = _change("version: 1", "version: one").replace('parent: "1"', 'parent: "9"')
    # the second mistake is only found once the fields are valid, so fix-and-retry is still needed for
    # cross-field checks; but all field mistakes come together
    text = text.replace("measure: count", "measure: counts")
    paths = {p for _, p, _ in _problems(text)}
    assert {"version", "requirements.0.measure"} <= paths


def test_error_message_names_file_line_and_reason():
    with pytest.raises(FrameworkFileError) as caught:
        parse_definition(_change('parent: "1"', 'parent: "9"'), filename="integrated.yaml")
    assert caught.value.message == (
        "integrated.yaml is not a valid framework file (1 problem): line 10: standards.1.parent: "
        "“9” is not the code of a standard in this file"
    )
    assert caught.value.fields == {
        "standards.1.parent": ["integrated.yaml:10: “9” is not the code of a standard in this file"]
    }


def test_a_huge_file_is_refused():
    assert _problems(GOOD + "#" * 600_000) == [(None, "", "is larger than 512 KB")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 Dec", (12, 1)), ("29 Feb", (2, 29)), ("30 September", (9, 30)), ("01 Jan", (1, 1))],
)
def test_day_and_month(text, expected):
    assert parse_day_month(text) == expected
