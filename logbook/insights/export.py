"""CSV of a rendered view: the same numbers as the JSON, suppressed cells as "<threshold"."""

from __future__ import annotations

import csv
import io
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (team names are typed by people)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def view_csv(view: dict[str, Any]) -> str:
    """One header row, one row per table row and a total row; a column per (column, measure)."""
    hidden = f"<{view['threshold']}"
    measures = view["measures"]

    def values(cell: dict[str, Any]) -> list[Any]:
        return [hidden if cell.get("suppressed") else cell.get(m, 0) for m in measures]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [view["view"]]
    for column in [*view["columns"], "total"]:
        header += [_text(f"{column} {m}") for m in measures]
    writer.writerow(header)
    for row, cells, total in zip(view["rows"], view["cells"], view["row_totals"], strict=True):
        line = [_text(row)]
        for cell in [*cells, total]:
            line += values(cell)
        writer.writerow(line)
    line = ["total"]
    for cell in [*view["column_totals"], view["total"]]:
        line += values(cell)
    writer.writerow(line)
    return out.getvalue()
