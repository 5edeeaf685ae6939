"""Small-cell suppression: primary, complementary, and totals that cannot be subtracted."""

from __future__ import annotations

import itertools

import pytest

from logbook.suppression import COMPLEMENTARY, PRIMARY, TOTAL, Table, is_primary, suppress


@pytest.mark.parametrize(("people", "hidden"), [(0, False), (1, True), (4, True), (5, False), (50, False)])
def test_primary_threshold(people, hidden):
    assert is_primary(people, 5) is hidden


def _table(grid: dict[tuple[str, str], int], rows, columns) -> Table:
    """A table whose measure `hours` equals the people count, with true margins (people additive here)."""
    cells = {k: {"people": v, "hours": v * 10} for k, v in grid.items()}
    for r in rows:
        n = sum(grid.get((r, c), 0) for c in columns)
        cells[(r, TOTAL)] = {"people": n, "hours": n * 10}
    for c in columns:
        n = sum(grid.get((r, c), 0) for r in rows)
        cells[(TOTAL, c)] = {"people": n, "hours": n * 10}
    n = sum(grid.values())
    cells[(TOTAL, TOTAL)] = {"people": n, "hours": n * 10}
    return Table(rows=rows, columns=columns, measures=["people", "hours"], cells=cells)


def _hidden_per_line(out: dict) -> list[int]:
    lines = [[*row, total] for row, total in zip(out["cells"], out["row_totals"], strict=True)]
    lines.append([*out["column_totals"], out["total"]])
    for j in range(len(out["columns"])):
        lines.append([row[j] for row in out["cells"]] + [out["column_totals"][j]])
    lines.append([*out["row_totals"], out["total"]])
    return [sum(1 for cell in line if cell.get("suppressed")) for line in lines]


def test_a_cell_of_four_is_hidden_and_totals_do_not_reveal_it():
    rows, columns = ["nurse", "social worker"], ["shadowing", "course", "supervision"]
    grid = {
        ("nurse", "shadowing"): 4,
        ("nurse", "course"): 12,
        ("nurse", "supervision"): 9,
        ("social worker", "shadowing"): 7,
        ("social worker", "course"): 20,
        ("social worker", "supervision"): 15,
    }
    out = _table(grid, rows, columns).render(5)
    assert out["cells"][0][0] == {"suppressed": True}
    # Totals are true totals and are shown...
    assert out["row_totals"][0] == {"people": 25, "hours": 250}
    assert out["column_totals"][0] == {"people": 11, "hours": 110}
    # ...but no row or column has exactly one hidden member, so subtraction gives only a sum of two.
    assert all(n != 1 for n in _hidden_per_line(out))
    # The smallest shown cells were chosen as complements (9 in the row, 7 in the column).
    assert out["cells"][0][2] == {"suppressed": True}
    assert out["cells"][1][0] == {"suppressed": True}
    # And the row-total minus shown cells arithmetic no longer yields 4 people / 40 hours.
    shown = [c["hours"] for c in out["cells"][0] if not c.get("suppressed")]
    assert out["row_totals"][0]["hours"] - sum(shown) == 40 + 90


def test_no_suppression_when_every_cell_is_large_or_empty():
    grid = {("a", "x"): 5, ("a", "y"): 0, ("b", "x"): 8, ("b", "y"): 6}
    out = _table(grid, ["a", "b"], ["x", "y"]).render(5)
    assert out["suppressed_count"] == 0
    assert out["cells"][0][1] == {"people": 0, "hours": 0}


def test_the_threshold_is_configurable():
    grid = {("a", "x"): 4, ("a", "y"): 9, ("b", "x"): 9, ("b", "y"): 9}
    assert _table(grid, ["a", "b"], ["x", "y"]).render(3)["suppressed_count"] == 0
    assert _table(grid, ["a", "b"], ["x", "y"]).render(10)["suppressed_count"] == 4


def test_complement_prefers_a_cell_that_describes_somebody():
    people = {("a", "x"): 2, ("a", "y"): 0, ("a", "z"): 30, ("a", TOTAL): 32}
    hidden = suppress(people, ["a"], ["x", "y", "z"], 5)
    assert hidden[("a", "x")] == PRIMARY
    assert hidden[("a", "z")] == COMPLEMENTARY
    assert ("a", "y") not in hidden


def test_a_one_column_list_hides_a_second_group_against_the_total():
    people = {("nurse", "n"): 3, ("sw", "n"): 40, ("ot", "n"): 12, (TOTAL, "n"): 55}
    for r in ["nurse", "sw", "ot"]:
        people[(r, TOTAL)] = people[(r, "n")]
    people[(TOTAL, TOTAL)] = 55
    hidden = suppress(people, ["nurse", "sw", "ot"], ["n"], 5)
    assert hidden[("nurse", "n")] == PRIMARY
    assert hidden[("ot", "n")] == COMPLEMENTARY
    assert ("sw", "n") not in hidden
    assert (TOTAL, "n") not in hidden


def test_a_hidden_row_total_is_protected_against_the_grand_total():
    # Row "a" describes 3 people in all: its total is hidden, so another row total must be too.
    grid = {("a", "x"): 2, ("a", "y"): 1, ("b", "x"): 20, ("b", "y"): 20, ("c", "x"): 9, ("c", "y"): 30}
    out = _table(grid, ["a", "b", "c"], ["x", "y"]).render(5)
    assert out["row_totals"][0] == {"suppressed": True}
    assert sum(1 for t in out["row_totals"] if t.get("suppressed")) >= 2
    assert all(n != 1 for n in _hidden_per_line(out))


@pytest.mark.parametrize("seed", range(30))
def test_random_tables_never_leave_a_single_hidden_member_in_a_line(seed):
    import random

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    rows = [f"r{i}" for i in range(rng.randint(1, 5))]
    columns = [f"c{j}" for j in range(rng.randint(1, 6))]
    grid = {(r, c): rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 30]) for r, c in itertools.product(rows, columns)}
    out = _table(grid, rows, columns).render(5)
    assert all(n != 1 for n in _hidden_per_line(out))
    for i, j in itertools.product(range(len(rows)), range(len(columns))):
        if 0 < grid[(rows[i], columns[j])] < 5:
            assert out["cells"][i][j] == {"suppressed": True}


def test_a_single_row_hides_the_column_total_that_equals_a_hidden_cell():
    grid = {("all", "x"): 3, ("all", "y"): 9, ("all", "z"): 20}
    out = _table(grid, ["all"], ["x", "y", "z"]).render(5)
    assert out["cells"][0][0] == {"suppressed": True}
    assert out["column_totals"][0] == {"suppressed": True}
    assert all(n != 1 for n in _hidden_per_line(out))
