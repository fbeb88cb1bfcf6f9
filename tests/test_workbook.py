"""The planner's workbook: a summary per part, the recommended forecast per part and day, which horizons to
trust, readable on screen and on paper (dates, number formats, widths, print settings), byte-stable."""

import shutil
import subprocess
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from plancast.reporting.workbook import (
    NO_FORECAST,
    NOT_COMPARED,
    PLAN_OUTSIDE_95,
    TRUST_PLAN,
    USE_OURS,
    forecast_table,
    plan_verdicts,
    summary_table,
    trust_errors,
    write_workbook,
)

FORECAST = pd.DataFrame({
    "method": "direct", "part": ["Part 10", "Part 2", "Part 2", "Part 2"],
    "model": ["recommended", "recommended", "recommended", "lstm"], "step_ahead": [1, 2, 1, 1],
    "day": ["2026-01-13", "2026-01-14", "2026-01-13", "2026-01-13"], "forecast": [5.0, 21.26, 1234.4, 19.0],
    "lower_80": [4.0, 18.0, 1100.0, np.nan], "upper_80": [6.0, 24.5, 1300.0, np.nan],
    "lower_95": [3.0, 15.0, 1000.0, np.nan], "upper_95": [7.0, 27.0, 1400.0, np.nan], "plan": [9.0, 30.0, 1200.0, 25.0],
})  # fmt: skip
# Part 2: ours lower at D+1, the plan's at D+2; Part 10: not compared (no error of ours); Part 9: no forecast now
TRUST = pd.DataFrame({
    "part": ["Part 2", "Part 2", "Part 9", "Part 9", "Part 10", "Part 10", "pooled", "pooled"],
    "horizon": [1, 2] * 4, "label": ["D+1", "D+2"] * 4,
    "plan_mae": [4.0, 6.0, 3.0, 5.0, 2.0, 2.5, 4.0, 6.0],
    "recommended_mae": [3.0, 7.0, 1.0, 1.0, np.nan, np.nan, 3.5, 6.5],
    "beats_plan": [True, False, True, True, None, None, True, False],
})  # fmt: skip
SKIPPED = {"Part 9": "no snapshot on 2026-01-05, inside its latest 10 days"}
ROUTE = {"1": "boosted", "2": "baseline_plan"}
AS_OF = date(2026, 1, 12)  # a Monday


def _write(path, language="en", forecast=FORECAST, as_of=AS_OF):
    write_workbook(path, forecast, TRUST, SKIPPED, ROUTE, as_of, language)
    return load_workbook(path)


def _rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_verdict_follows_the_two_errors_shown():
    verdicts = plan_verdicts(TRUST)
    assert verdicts["Part 2", 1] == USE_OURS and verdicts["Part 2", 2] == TRUST_PLAN
    assert verdicts["Part 10", 1] == NOT_COMPARED  # we have no error of ours there: not "plan better"
    equal = TRUST.assign(recommended_mae=TRUST["plan_mae"])
    assert set(plan_verdicts(equal).values()) == {TRUST_PLAN}  # a tie trusts the plan


def test_the_verdict_compares_with_the_plan_on_the_very_windows_ours_was_scored_on():
    """horizon_trust.csv's plan_mae counts every test day; where we forecast, the plan's error on our windows
    is the fair one, and the one beats_plan (the heatmap) uses."""
    same = TRUST.assign(plan_mae_same_windows=[2.5, 6.0, 3.0, 5.0, np.nan, np.nan, 4.0, 6.0])
    assert plan_verdicts(same)["Part 2", 1] == TRUST_PLAN  # ours 3.0 against the plan's 2.5 there
    assert plan_verdicts(same)["Part 10", 1] == NOT_COMPARED
    plan, _ = trust_errors(same)
    assert plan.loc["Part 2", "D+1"] == 2.5 and plan.loc["Part 10", "D+1"] == 2.0  # shown as compared


def test_forecast_table_holds_the_recommended_rows_in_whole_units_with_verdict_and_flag():
    table = forecast_table(FORECAST, TRUST, ROUTE)
    assert table["part"].tolist() == ["Part 2", "Part 2", "Part 10"]  # natural order, then by day
    assert table["days_ahead"].tolist() == [1, 2, 1]
    assert table["model"].tolist() == ["boosted", "baseline_plan", "boosted"]
    assert table.loc[1, "forecast"] == 21 and table.loc[1, "upper_80"] == 24  # whole units (24.5 to even)
    assert table["plan_minus_forecast"].tolist() == [1200 - 1234, 30 - 21, 9 - 5]
    assert table["trust"].tolist() == [USE_OURS, TRUST_PLAN, NOT_COMPARED]
    assert table["check"].tolist() == ["", PLAN_OUTSIDE_95, PLAN_OUTSIDE_95]  # 30 > 27; 9 > 7


def test_summary_has_one_row_per_part_the_first_day_and_the_parts_without_a_forecast():
    summary = summary_table(forecast_table(FORECAST, TRUST, ROUTE), SKIPPED)
    assert summary["part"].tolist() == ["Part 2", "Part 9", "Part 10"]
    assert summary.loc[0, "forecast"] == 1234 and summary.loc[0, "day"] == pd.Timestamp("2026-01-13")
    assert summary.loc[1, "check"] == NO_FORECAST and pd.isna(summary.loc[1, "forecast"])
    assert summary.loc[2, "check"] == PLAN_OUTSIDE_95


def test_workbook_has_four_sheets_and_the_same_bytes_twice(tmp_path):
    for name in ("a.xlsx", "b.xlsx"):
        write_workbook(tmp_path / name, FORECAST, TRUST, SKIPPED, ROUTE, AS_OF)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    book = load_workbook(tmp_path / "a.xlsx")
    assert book.sheetnames == ["Summary", "Forecast", "Trust", "No forecast"]
    assert _rows(book["No forecast"])[4] == ["Part 9", SKIPPED["Part 9"]]


def test_summary_sheet_reads_as_a_planner_needs_and_flags_a_plan_outside_the_95_range(tmp_path):
    rows = _rows(_write(tmp_path / "f.xlsx")["Summary"])
    assert rows[3] == [
        "part", "day", "our forecast", "80% from", "80% to", "plan", "plan − forecast", "trust the plan here?",
        "check",
    ]  # fmt: skip
    by_part = {row[0]: row for row in rows[4:]}
    assert by_part["Part 2"][2:] == [1234, 1100, 1300, 1200, -34, "no: use our forecast", None]
    assert by_part["Part 10"][-2:] == ["not compared", "plan outside the 95% range"]
    assert by_part["Part 9"][-1] == "no forecast (sheet 'No forecast')"


def test_days_are_dates_showing_the_weekday_and_quantities_whole_units(tmp_path):
    sheet = _write(tmp_path / "f.xlsx")["Forecast"]
    header = [cell.value for cell in sheet[4]]
    first = {name: cell for name, cell in zip(header, sheet[5], strict=True)}
    assert first["day"].is_date and first["day"].value.date() == date(2026, 1, 13)
    assert "ddd" in first["day"].number_format and "yyyy-mm-dd" in first["day"].number_format
    for name in ("our forecast", "80% from", "80% to", "95% from", "95% to", "plan"):
        assert first[name].number_format == "#,##0", name
    assert first["plan − forecast"].number_format.startswith("+#,##0;-#,##0")
    assert first["working days ahead"].value == 1 and first["from model"].value == "boosted"


def _column_widths(sheet) -> dict[int, float]:
    widths = {}
    for dimension in sheet.column_dimensions.values():
        if dimension.customWidth:
            widths.update(dict.fromkeys(range(dimension.min, dimension.max + 1), dimension.width))
    return widths


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_repeated_and_every_width_set(tmp_path):
    book = _write(tmp_path / "f.xlsx")
    header_rows = {"Summary": 4, "Forecast": 4, "Trust": 8, "No forecast": 4}
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and setup.paperSize == 9, sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, sheet.title  # None: the default, 1
        row = header_rows[sheet.title]
        assert sheet.print_title_rows == f"${row}:${row}", sheet.title
        assert sheet.freeze_panes.endswith(str(row + 1)), sheet.title
        widths = _column_widths(sheet)
        assert all(widths.get(c, 0) >= 6 for c in range(1, sheet.max_column + 1)), (sheet.title, widths)
    missing = _column_widths(book["No forecast"])
    assert missing[2] >= len(SKIPPED["Part 9"])  # the reason beside its part, on the same page


def test_every_sheet_says_as_of_the_last_day_of_data_on_screen_and_on_every_printed_page(tmp_path):
    book = _write(tmp_path / "f.xlsx")
    line = "as of Mon 2026-01-12 (the last day of data)"
    for sheet in book.worksheets:
        assert sheet["A2"].value == line, sheet.title
        assert sheet.oddHeader.right.text == line, sheet.title
        assert "&P" in sheet.oddFooter.center.text, sheet.title
    # the clock is not the as-of: a later run on the same data gives the same line (and bytes, above)
    assert _write(tmp_path / "g.xlsx", as_of=pd.Timestamp("2026-01-12"))["Trust"]["A2"].value == line


def test_trust_shows_our_error_beside_the_plans_with_a_legend_of_the_shading(tmp_path):
    sheet = _write(tmp_path / "f.xlsx")["Trust"]
    rows = _rows(sheet)
    assert rows[2][0].startswith("Mean absolute error on the test period")
    legend = [row[1] for row in rows[3:6]]
    assert legend == [
        "our error is lower than the plan's: use our forecast at this horizon",
        "the plan's error is as low or lower: trust the plan at this horizon",
        "not compared: we do not forecast this horizon",
    ]
    shade = sheet["A4"].fill.fgColor.rgb
    assert rows[7] == ["part", "error of", "D+1", "D+2"]
    assert rows[8:] == [
        ["Part 2", "the plan", 4.0, 6.0], ["Part 2", "our forecast", 3.0, 7.0],
        ["Part 9", "the plan", 3.0, 5.0], ["Part 9", "our forecast: none now", None, None],
        ["Part 10", "the plan", 2.0, 2.5], ["Part 10", "our forecast", "–", "–"],
        ["all parts", "the plan", 4.0, 6.0], ["all parts", "our forecast", 3.5, 6.5],
    ]  # fmt: skip
    assert sheet["C10"].fill.fgColor.rgb == shade and sheet["D10"].fill.fgColor.rgb != shade  # ours lower at D+1
    assert sheet["C12"].fill.fgColor.rgb != shade  # Part 9: no forecast now, however good it was
    assert sheet["C14"].fill.fgColor.rgb == sheet["A6"].fill.fgColor.rgb != shade  # not compared: grey, as told
    assert sheet["C9"].number_format == "#,##0.0"


def test_korean_headers_sheet_names_weekdays_and_as_of(tmp_path):
    book = _write(tmp_path / "f.xlsx", language="ko")
    assert book.sheetnames == ["요약", "예측", "신뢰도", "예측 없음"]
    summary = book["요약"]
    assert summary["A2"].value == "기준일 2026-01-12 (월) (데이터의 마지막 날)"
    assert [cell.value for cell in summary[4]][:3] == ["부품", "날짜", "예측"]
    assert summary["B5"].number_format.startswith("[$-412]")  # the weekday in Korean, whatever the locale
    assert [cell.value for cell in book["신뢰도"][8]][:2] == ["부품", "구분"]
    assert summary["I6"].value == "예측 없음 ('예측 없음' 시트)"  # Part 9


def test_a_step_series_shows_steps_not_dates(tmp_path):
    steps = FORECAST.assign(day=[301, 302, 301, 301])
    sheet = _write(tmp_path / "f.xlsx", forecast=steps, as_of=300)["Forecast"]
    assert sheet["A2"].value == "as of step 300 (the last day of data)"
    assert sheet["B4"].value == "step" and sheet["B5"].value == 301 and not sheet["B5"].is_date


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_prints_the_workbook_with_every_page_headed(tmp_path):
    """The issue's check as a user makes it: LibreOffice headless renders the workbook to PDF; every
    page carries the as-of line, and the No-forecast sheet's part and reason print on one line."""
    many = pd.concat([FORECAST.assign(part=f"Part {i}") for i in range(60)], ignore_index=True)
    write_workbook(tmp_path / "f.xlsx", many, TRUST, SKIPPED, ROUTE, AS_OF)
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"  # no clash with a running LibreOffice
    command = ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), "f.xlsx"]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "f.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        return
    text = subprocess.run(["pdftotext", "-layout", "f.pdf", "-"], cwd=tmp_path, capture_output=True, text=True)
    pages = text.stdout.split("\f")[:-1]
    assert len(pages) >= 4  # 180 forecast rows take more than one page
    assert all("as of Mon 2026-01-12" in page for page in pages)
    forecast_pages = [page for page in pages if "Recommended forecast per part" in page]
    assert len(forecast_pages) >= 2 and all("working days ahead" in page for page in forecast_pages)
    assert any("Part 9" in line and "no snapshot on 2026-01-05" in line for line in text.stdout.splitlines())


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
    parts = HOSTILE[:-1]  # the last one names a model, a reason and a horizon label below
    forecast = pd.DataFrame({
        "method": "direct", "part": parts, "model": "recommended", "step_ahead": 1, "day": "2026-01-13",
        "forecast": 5.0, "lower_80": 4.0, "upper_80": 6.0, "lower_95": 3.0, "upper_95": 7.0, "plan": 6.0,
    })  # fmt: skip
    trust = pd.DataFrame({
        "part": parts, "horizon": 1, "label": HOSTILE[-1], "plan_mae": 4.0, "recommended_mae": 3.0,
        "beats_plan": True,
    })  # fmt: skip
    skipped = {part: reason for part, reason in zip(HOSTILE, reversed(HOSTILE), strict=True)}
    write_workbook(tmp_path / "forecast.xlsx", forecast, trust, skipped, {"1": HOSTILE[0]}, AS_OF)

    book = load_workbook(tmp_path / "forecast.xlsx")
    assert book.sheetnames == ["Summary", "Forecast", "Trust", "No forecast"]
    expected = {
        "Summary": HOSTILE,  # the parts with a forecast and the one without
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
    rows = list(book["Forecast"].iter_rows(min_row=5, values_only=True))
    assert sorted(row[0] for row in rows) == sorted(parts) and {row[-1] for row in rows} == {HOSTILE[0]}
    reasons = list(book["No forecast"].iter_rows(min_row=5, values_only=True))
    assert sorted(row[0] for row in reasons) == sorted(HOSTILE)


def test_a_near_tie_is_shaded_as_the_verdict_says(tmp_path):
    """The Trust sheet's shading and the Summary's verdict compare the same two errors, unrounded."""
    close = TRUST.copy()
    close.loc[0, ["plan_mae", "recommended_mae"]] = [3.45, 3.44]  # Part 2 at D+1: both show 3.4 (or 3.5)
    write_workbook(tmp_path / "f.xlsx", FORECAST, close, SKIPPED, ROUTE, AS_OF)
    book = load_workbook(tmp_path / "f.xlsx")
    assert book["Summary"]["H5"].value == "no: use our forecast"
    trust = book["Trust"]
    assert trust["C10"].fill.fgColor.rgb == trust["A4"].fill.fgColor.rgb  # shaded as the legend's first line
