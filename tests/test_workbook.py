"""The planner's workbook: the recommended forecast per part and day, which horizons to trust, byte-stable."""

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from plancast.reporting.workbook import forecast_sheet, write_workbook

FORECAST = pd.DataFrame({
    "method": "direct", "part": ["Part 10", "Part 2", "Part 2", "Part 2"],
    "model": ["recommended", "recommended", "recommended", "lstm"], "step_ahead": [1, 2, 1, 1],
    "day": ["2026-01-13", "2026-01-14", "2026-01-13", "2026-01-13"], "forecast": [5.0, 21.26, 20.0, 19.0],
    "lower_80": [4.0, 18.0, 17.0, np.nan], "upper_80": [6.0, 24.5, 23.0, np.nan],
    "lower_95": [3.0, 15.0, 14.0, np.nan], "upper_95": [7.0, 27.0, 26.0, np.nan], "plan": [6.0, 30.0, 25.0, 25.0],
})  # fmt: skip
TRUST = pd.DataFrame({
    "part": ["Part 2", "Part 2", "pooled", "pooled"], "horizon": [1, 2, 1, 2], "label": ["D+1", "D+2"] * 2,
    "plan_mae": [4.0, 6.0, 4.0, 6.0], "beats_plan": [True, None, True, None],
})  # fmt: skip


def test_forecast_sheet_holds_the_recommended_rows_in_part_order_with_their_source():
    table = forecast_sheet(FORECAST, {"1": "boosted", "2": "baseline_plan"})
    assert table["part"].tolist() == ["Part 2", "Part 2", "Part 10"]  # natural order, then by day
    assert table["days ahead"].tolist() == [1, 2, 1]
    assert table["from model"].tolist() == ["boosted", "baseline_plan", "boosted"]
    assert table.loc[1, "forecast"] == 21.3 and table.loc[1, "80% to"] == 24.5


def test_workbook_has_three_sheets_and_the_same_bytes_twice(tmp_path):
    for name in ("a.xlsx", "b.xlsx"):
        write_workbook(tmp_path / name, FORECAST, TRUST, {"Part 9": "no training windows"}, {"1": "boosted"})
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    book = CalamineWorkbook.from_path(str(tmp_path / "a.xlsx"))
    assert book.sheet_names == ["Forecast", "Trust", "No forecast"]
    rows = book.get_sheet_by_name("Forecast").to_python()
    assert rows[0][:4] == ["part", "day", "days ahead", "forecast"] and rows[1][0] == "Part 2"
    trust = book.get_sheet_by_name("Trust").to_python()
    assert trust[1] == ["part", "D+1", "D+2"] and trust[2] == ["Part 2", 4.0, 6.0] and trust[3][0] == "pooled"
    assert book.get_sheet_by_name("No forecast").to_python()[1] == ["Part 9", "no training windows"]


# What a real export can hold as a part, a model or a reason: formulas, links, numeric-looking ids.
HOSTILE = [
    '=HYPERLINK("http://example.com/x","open me")',
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "{=A1}",
    "http://example.com/x",
    "mailto:planner@example.com",
    "external:other.xlsx",
    "0101",
    "1e5",
]


def test_every_user_string_stays_a_string_cell_in_every_sheet(tmp_path):
    """Case 9: a part named =HYPERLINK(...) became a live formula; every text now reads back as that text."""
    from openpyxl import load_workbook

    parts = HOSTILE[:-1]  # the last one names a model, a reason and a horizon label below
    forecast = pd.DataFrame({
        "method": "direct", "part": parts, "model": "recommended", "step_ahead": 1, "day": "2026-01-13",
        "forecast": 5.0, "lower_80": 4.0, "upper_80": 6.0, "lower_95": 3.0, "upper_95": 7.0, "plan": 6.0,
    })  # fmt: skip
    trust = pd.DataFrame({
        "part": parts, "horizon": 1, "label": HOSTILE[-1], "plan_mae": 4.0, "beats_plan": True,
    })  # fmt: skip
    skipped = {part: reason for part, reason in zip(HOSTILE, reversed(HOSTILE), strict=True)}
    write_workbook(tmp_path / "forecast.xlsx", forecast, trust, skipped, {"1": HOSTILE[0]})

    book = load_workbook(tmp_path / "forecast.xlsx")
    assert book.sheetnames == ["Forecast", "Trust", "No forecast"]
    expected = {
        "Forecast": [*parts, HOSTILE[0]],  # the parts, and the route's model in "from model"
        "Trust": [*parts, HOSTILE[-1]],  # the parts, and the horizon label as a column header
        "No forecast": HOSTILE,  # as parts and as reasons
    }
    for sheet in book.worksheets:
        assert not sheet._hyperlinks, sheet.title
        found = []
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and cell.hyperlink is None, (sheet.title, cell.coordinate, cell.value)
                if cell.value in HOSTILE:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    found.append(cell.value)
        assert set(found) == set(expected[sheet.title]), sheet.title
    rows = list(book["Forecast"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in rows) == sorted(parts) and {row[-1] for row in rows} == {HOSTILE[0]}
    assert [row[0] for row in book["No forecast"].iter_rows(min_row=2, values_only=True)] == sorted(HOSTILE)
