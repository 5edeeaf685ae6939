"""Small-cell suppression for aggregate tables (shared by insights and events, so it sits below
both): primary (fewer than the threshold of people) and complementary (so that no hidden cell can be
worked out by subtracting shown cells from a total).

The rule, documented in docs/insights.md:

1. Primary: a cell (or total) describing at least one but fewer than `threshold` distinct people is
   hidden. A cell describing nobody is shown as zero.
2. Totals are always computed from all the underlying data (never from shown cells only), so a shown
   total is the true total.
3. Complementary: every line of the table (a row with its row total, a column with its column total,
   and the row totals / column totals with the grand total) is a sum relation. When exactly one member
   of a relation is hidden, one more is hidden: the shown detail cell describing the fewest people
   (people > 0 preferred), or failing that the line's total. This repeats until no relation has exactly
   one hidden member, so subtraction reveals only the sum of two or more hidden cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRIMARY, COMPLEMENTARY = "primary", "complementary"

Key = tuple[Any, Any]  # (row, column); TOTAL marks a margin
TOTAL = "__total__"


def is_primary(people: int, threshold: int) -> bool:
    """Whether a cell describing this many distinct people must be hidden on its own account."""
    return 0 < people < threshold


def suppress(people: dict[Key, int], rows: list[Any], columns: list[Any], threshold: int) -> dict[Key, str]:
    """Which cells of a table to hide and why ({(row, column): "primary" | "complementary"}).

    `people` holds distinct-people counts for detail cells (row, column), row totals (row, TOTAL),
    column totals (TOTAL, column) and the grand total (TOTAL, TOTAL); a missing key means nobody.
    A one-dimensional list is a table with one column (the groups are its rows).
    """
    hidden: dict[Key, str] = {key: PRIMARY for key, count in people.items() if is_primary(count, threshold)}
    relations: list[tuple[list[Key], Key]] = [([(r, c) for c in columns], (r, TOTAL)) for r in [*rows, TOTAL]]
    relations += [([(r, c) for r in rows], (TOTAL, c)) for c in [*columns, TOTAL]]
    changed = True
    while changed:
        changed = False
        for members, total in relations:
            unknown = [k for k in [*members, total] if k in hidden]
            if len(unknown) != 1:
                continue
            shown = [k for k in members if k not in hidden]
            # Prefer the smallest cell that describes somebody: hiding an empty cell protects less,
            # because a reader may know it is empty.
            shown.sort(key=lambda k: (people.get(k, 0) == 0, people.get(k, 0), str(k)))
            pick = shown[0] if shown else total
            if pick in hidden:  # only the total was left and it is the hidden one
                continue
            hidden[pick] = COMPLEMENTARY
            changed = True
    return hidden


@dataclass
class Table:
    """A two-way aggregate: rows by columns of cells, each with measures and its count of people."""

    rows: list[Any]
    columns: list[Any]
    measures: list[str]
    cells: dict[Key, dict[str, Any]] = field(default_factory=dict)  # includes margins under TOTAL

    def people(self) -> dict[Key, int]:
        """Distinct people behind each cell and margin."""
        return {key: int(cell.get("people", 0)) for key, cell in self.cells.items()}

    def render(self, threshold: int) -> dict[str, Any]:
        """Plain JSON: every cell either its measures or {"suppressed": true}; margins likewise."""
        hidden = suppress(self.people(), self.rows, self.columns, threshold)

        def show(key: Key) -> dict[str, Any]:
            if key in hidden:
                return {"suppressed": True}
            cell = self.cells.get(key) or {}
            return {m: cell.get(m, 0) for m in self.measures}

        return {
            "threshold": threshold,
            "measures": self.measures,
            "rows": [str(r) for r in self.rows],
            "columns": [str(c) for c in self.columns],
            "cells": [[show((r, c)) for c in self.columns] for r in self.rows],
            "row_totals": [show((r, TOTAL)) for r in self.rows],
            "column_totals": [show((TOTAL, c)) for c in self.columns],
            "total": show((TOTAL, TOTAL)),
            "suppressed_count": sum(1 for k in hidden if TOTAL not in k),
        }
