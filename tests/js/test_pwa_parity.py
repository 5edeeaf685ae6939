"""The lists the phone copies from the server, held equal to the server's own (as test_progress_parity.py
holds static/app/progress.js to the Python engine): Python reads the server's lists, Node prints the
PWA's (tests/js/lists_runner.mjs), and each pair must match. A change to either side alone fails here.

- editable entry fields: outbox.js EDITABLE ↔ entries/service.py EDITABLE (what an update may change);
- sync entities: outbox.js ENTITIES ↔ sync/schemas.py ENTITIES (what a push may carry);
- entry kinds and their labels, statuses: kinds.js ↔ frameworks/kinds.py;
- visibilities, ways of knowing, Common Core areas: kinds.js's keys ↔ the choices EntryInSchema accepts;
- each kind's required details (and the choices of those that are a choice): kinds.js REQUIRED_DETAILS ↔
  the kind's details schema in entries/schemas.py DETAILS_BY_KIND;
- service areas, regulators, app roles: admin-lists.js ↔ accounts/models.py (the admin screens' choices)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from marshmallow import fields, validate

from logbook.accounts.models import APP_ROLES, REGULATORS, SERVICE_AREAS
from logbook.accounts.schemas import OwnRegistrationSchema
from logbook.entries import service as entries_service
from logbook.entries.models import VISIBILITIES, WAYS_OF_KNOWING
from logbook.entries.schemas import DETAILS_BY_KIND, EntryInSchema
from logbook.frameworks import history, labels
from logbook.frameworks.kinds import KIND_LABELS, STATUS_LABELS
from logbook.sync.schemas import ENTITIES

ROOT = Path(__file__).resolve().parents[2]

# Required details the phone's quick-log form has no input for (a list of choices, not one value): the
# server refuses such an entry until they are given. Kept explicit so that neither side drifts unseen
# (test_the_phones_known_gaps_are_still_real fails once the server stops requiring one).
PHONE_HAS_NO_INPUT_FOR = {("reflective_account", "code_themes")}


def phone_lists() -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "Node.js 20+ is needed for the PWA's unit tests"
    done = subprocess.run(  # noqa: S603 — fixed arguments, no shell
        [node, "tests/js/lists_runner.mjs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def phone() -> dict[str, Any]:
    return phone_lists()


def choices(field: fields.Field) -> list[str] | None:
    """The values a field accepts, when it is a choice (OneOf), of a list's items for a list."""
    if isinstance(field, fields.List):
        field = field.inner
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return [str(c) for c in validator.choices]
    return None


def server_required_details() -> dict[str, list[dict[str, Any]]]:
    """Each kind's required detail fields as the phone describes them: name, and the choices if any."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, schema in DETAILS_BY_KIND.items():
        specs = []
        for name, field in schema().fields.items():
            if field.required and (kind, name) not in PHONE_HAS_NO_INPUT_FOR:
                specs.append({"name": name, "options": choices(field)})
        out[kind] = sorted(specs, key=lambda s: s["name"])
    return out


def test_editable_entry_fields(phone):
    assert phone["EDITABLE"] == list(entries_service.EDITABLE)


def test_how_long_a_cycle_just_ended_stays_on_home(phone):
    assert phone["ENDED_SHOWN_DAYS"] == history.ENDED_SHOWN_DAYS
    ended = dt.date(2026, 11, 30)
    assert phone["RECENTLY_ENDED"] == {
        day: history.recently_ended(ended, dt.date.fromisoformat(day)) for day in phone["RECENTLY_ENDED"]
    }
    assert set(phone["RECENTLY_ENDED"].values()) == {True, False}


def test_standards_are_named_alike(phone):
    assert phone["STANDARD_SHORT_NAMES"] == labels.SHORT_NAMES
    for framework_id, code, title, label in phone["STANDARD_LABELS"]:
        assert label == labels.standard_label(framework_id, code, title), (framework_id, code, title)


def test_sync_entities(phone):
    assert phone["ENTITIES"] == list(ENTITIES)


def test_entry_kinds_and_their_labels(phone):
    assert phone["KIND_LABELS"] == KIND_LABELS  # (the order is each side's own: dicts compare without it)


def test_entry_statuses_and_their_labels(phone):
    assert phone["STATUS_LABELS"] == STATUS_LABELS


def test_regulators_a_person_may_choose_for_their_registration(phone):
    assert tuple(phone["REGULATOR_LABELS"]) == REGULATORS
    assert tuple(phone["REGULATOR_LABELS"]) == tuple(choices(OwnRegistrationSchema().fields["regulator"]))


def test_visibilities_ways_of_knowing_and_common_core_areas(phone):
    schema = EntryInSchema()
    assert (
        sorted(phone["VISIBILITY_LABELS"])
        == sorted(VISIBILITIES)
        == sorted(choices(schema.fields["visibility"]))
    )
    assert sorted(phone["WAYS_OF_KNOWING"]) == sorted(WAYS_OF_KNOWING)
    assert sorted(phone["WAYS_OF_KNOWING"]) == sorted(choices(schema.fields["ways_of_knowing"]))
    assert sorted(phone["COMMON_CORE"]) == sorted(choices(schema.fields["common_core"]))


def test_service_areas_regulators_and_app_roles(phone):
    assert phone["SERVICE_AREAS"] == list(SERVICE_AREAS)
    assert phone["REGULATORS"] == list(REGULATORS)
    assert phone["APP_ROLES"] == list(APP_ROLES)


def test_required_details_of_every_kind(phone):
    server = server_required_details()
    assert set(phone["REQUIRED_DETAILS"]) <= set(server), "the phone names a kind the server does not have"
    for kind, expected in server.items():
        got = sorted(
            (
                {"name": d["name"], "options": sorted(d["options"]) if "options" in d else None}
                for d in phone["REQUIRED_DETAILS"].get(kind, [])
            ),
            key=lambda s: s["name"],
        )
        want = [{**s, "options": sorted(s["options"]) if s["options"] else None} for s in expected]
        assert got == want, kind
    assert all(d.get("label") for specs in phone["REQUIRED_DETAILS"].values() for d in specs)


def test_the_phones_known_gaps_are_still_real():
    for kind, name in PHONE_HAS_NO_INPUT_FOR:
        assert DETAILS_BY_KIND[kind]().fields[name].required, (
            f"{kind}.{name}: no longer required, drop the exception"
        )
