"""Framework YAML has budgets, checked on the parser's event stream before anything is built
(logbook/frameworks/definition.py, docs/security.md "Limits"): no anchors or aliases, at most 20
levels of nesting, 20,000 values and numbers of 100 characters. Before: 382 bytes of nested aliases
("billion laughs") took 50.8 s and 3.6 GB; YAML nested 3,000 deep and `version: 10^26` were 500s."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from logbook import cli
from logbook.frameworks.definition import FrameworkFileError, parse_definition
from tests.frameworks.test_definition import GOOD

LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{','.join(['*' + prev] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
END = GOOD.count("\n") + 1  # the first line after GOOD
# what the file holds, the line named, and words of the reason
HOSTILE = {
    "billion laughs": (LAUGHS, 1, "anchors and aliases"),
    "one harmless alias": (GOOD + "extra: &x 1\nmore: *x\n", END, "anchors and aliases"),
    "flow nested 3,000 deep": (GOOD + "extra: " + "[" * 3000 + "]" * 3000 + "\n", END, "nested more than 20"),
    "block nested 300 deep": (
        GOOD + "".join("  " * i + "k:\n" for i in range(300)),
        END + 20,  # the 21st level opens on the 21st line
        "nested more than 20",
    ),
    "version 10^26": (GOOD.replace("version: 1", "version: " + str(10**26)), 3, "2147483647"),
    "an integer of 5,000 digits": (GOOD + "extra: " + "7" * 5000 + "\n", END, "at most 100 characters"),
    "30,000 values": (GOOD + "extra: [" + ",".join(["1"] * 30_000) + "]\n", END, "more than 20000 values"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_with_its_line_quickly(name):
    text, line, words = HOSTILE[name]
    # CPU time, not wall time: the budget is about the work the parser does, and a busy machine (CI runs
    # two suites side by side) stretches wall time, not CPU time.
    start = time.process_time()
    with pytest.raises(FrameworkFileError) as caught:
        parse_definition(text, filename="hostile.yaml")
    assert time.process_time() - start < 2.0
    assert [p.line for p in caught.value.problems] == [line], caught.value.problems
    assert words in caught.value.problems[0].reason


@pytest.mark.parametrize("name", ["billion laughs", "flow nested 3,000 deep", "version 10^26"])
def test_an_upload_of_a_hostile_file_is_a_422_naming_the_line(admin_client, shipped, name):
    text, line, words = HOSTILE[name]
    response = admin_client.api("POST", "/api/v1/frameworks", json={"filename": "hostile.yaml", "text": text})
    assert response.status_code == 422, response.get_json()
    problems = response.get_json()["error"]["problems"]
    assert [p["line"] for p in problems] == [line]
    assert words in problems[0]["reason"]


def test_import_framework_refuses_aliases_with_the_line(app, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "_app", lambda: app)
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["import-framework", str(path)])
    assert result.exit_code != 0
    assert f"{path}:1: -: anchors and aliases" in result.output


def test_the_shipped_files_are_well_within_the_budgets():
    from logbook.frameworks.service import shipped_definitions

    assert len(shipped_definitions()) >= 5
