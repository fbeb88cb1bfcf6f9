"""The planner's workbook (data/reports/forecast.xlsx): the next working days per part, and which plan
horizons to trust.

Sheets, in the order a planner reads them (names and headers in English or Korean, ``report.language``):

- ``Summary``: one row per part: the first forecast day's recommended number, its 80% range, the plan,
  plan − forecast, whether to trust the plan at that horizon, and a flag where the plan lies outside the
  95% range; a part without a forecast says so.
- ``Forecast``: the same per part and forecast day, with the 95% range and the model each number comes from.
- ``Trust``: per part and plan horizon, the plan's error on the test period beside our recommended
  forecast's, ours shaded where it is lower, grey where we do not forecast that horizon; a legend above.
- ``No forecast``: the parts without one, and why.

The verdict "trust the plan here?" and the shading follow one rule, the two errors shown (both from
horizon_trust.csv): ours lower → use ours; the plan's as low or lower → trust the plan; either missing →
not compared. A part without a forecast now gets no verdict and no shading.

Every sheet starts with its title and an "as of" line, the last day of data (never the clock, so two
runs give the same bytes; the file's creation time is fixed too), and prints as a planner expects: A4
landscape, one page wide, the header row repeated on every page, title and as-of in the page header.
Quantities are whole units (``#,##0``); days are Excel dates that show the weekday.

Every text cell is written as text (:data:`TEXT_STAYS_TEXT`, and ``write_string``): part names, reasons
and model names come from the user's files, and xlsxwriter would otherwise turn ``=HYPERLINK(...)`` into
a live formula, ``http://...`` into a link and (if asked) ``0101`` into a number. Nothing is refused;
nothing is run.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from plancast.artifacts import atomic_path
from plancast.features.correlation import POOLED
from plancast.names import RECOMMENDED
from plancast.reporting.plot_style import natural_key

_FIXED_TIME = datetime(2000, 1, 1)  # xlsxwriter stamps the creation time into docProps; outputs hold no clock
# xlsxwriter's write() reads "=..." as a formula and "http://..." as a link by default; these keep text text
TEXT_STAYS_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

Language = Literal["en", "ko"]

# whether to trust the plan at a part's horizon (the "trust" column), and what a row asks the planner to check
USE_OURS, TRUST_PLAN, NOT_COMPARED = "use_ours", "trust_plan", "not_compared"
PLAN_OUTSIDE_95, NO_FORECAST = "plan_outside_95", "no_forecast"

FORECAST_COLUMNS = (
    *("part", "day", "days_ahead", "forecast", "lower_80", "upper_80", "lower_95", "upper_95", "plan"),
    *("plan_minus_forecast", "trust", "check", "model"),
)
SUMMARY_COLUMNS = ("part", "day", "forecast", "lower_80", "upper_80", "plan", "plan_minus_forecast", "trust", "check")
QUANTITIES = ("forecast", "lower_80", "upper_80", "lower_95", "upper_95", "plan")


@dataclass(frozen=True)
class Words:
    """Everything the workbook says, in one language (reasons and model names stay as the pipeline gives them)."""

    sheets: Mapping[str, str]  # summary, forecast, trust, missing
    titles: Mapping[str, str]
    as_of: str  # "{day}": the last day of data
    weekdays: Sequence[str]  # Monday first
    day_shown: str  # a day in text, "{day}" ISO: how the day's number format shows it
    page: str  # the printed page's footer (xlsxwriter's &P, &N)
    headers: Mapping[str, str]  # per column key; "step" heads the day column of a step series
    verdicts: Mapping[str, str]  # USE_OURS, TRUST_PLAN, NOT_COMPARED
    checks: Mapping[str, str]  # PLAN_OUTSIDE_95, NO_FORECAST ("{sheet}": the No-forecast sheet)
    error_of: str  # the Trust sheet's second header: whose error a row holds
    plan_row: str
    ours_row: str
    ours_none_row: str  # a part without a forecast now
    all_parts: str  # the pooled rows
    legend: Sequence[str]  # what the numbers are; ours lower; plan as low; not compared
    reason: str
    every_part_forecast: str


def _load_words() -> dict[str, Words]:
    """The workbook's words per language from ``workbook_words.json`` beside this module: one catalogue of
    translations, keyed as :class:`Words`' fields (another language is one more entry there)."""
    text = files("plancast.reporting").joinpath("workbook_words.json").read_text(encoding="utf-8")
    return {language: Words(**entries) for language, entries in json.loads(text).items()}


WORDS: dict[str, Words] = _load_words()
# the day's number format per language: the weekday in that language whatever the reader's locale
DAY_FORMATS = {"en": "[$-409]ddd yyyy-mm-dd", "ko": "[$-412]yyyy-mm-dd (ddd)"}
QUANTITY_FORMAT, SIGNED_FORMAT, ERROR_FORMAT = "#,##0", "+#,##0;-#,##0;0", "#,##0.0"
_SHADE, _GREY, _FLAG, _RULE = "#cfe2f3", "#e7e6e6", "#f4cccc", "#bfbfbf"
_MAX_WIDTH = 60  # characters; a longer text wraps


def plan_verdicts(trust: pd.DataFrame) -> dict[tuple[str, int], str]:
    """Per (part, horizon) of horizon_trust.csv: USE_OURS where our recommended forecast's test error is
    lower than the plan's, TRUST_PLAN where it is not, NOT_COMPARED where either is missing."""
    if trust.empty:
        return {}
    plan, ours = _plan_error(trust).to_numpy(np.float64), trust["recommended_mae"].to_numpy(np.float64)
    verdict = np.where(ours < plan, USE_OURS, TRUST_PLAN)
    verdict = np.where(np.isfinite(plan) & np.isfinite(ours), verdict, NOT_COMPARED)
    keys = zip(trust["part"].astype(str), trust["horizon"].astype(int), strict=True)
    return {key: str(value) for key, value in zip(keys, verdict, strict=True)}


def _plan_error(trust: pd.DataFrame) -> pd.Series:
    """The plan's test MAE as it is compared with ours: on the very windows ours was scored on where we
    forecast that horizon (``plan_mae_same_windows``), on every test day elsewhere."""
    plan = trust["plan_mae"].astype(np.float64)
    if "plan_mae_same_windows" not in trust:
        return plan
    same = trust["plan_mae_same_windows"].astype(np.float64)
    return same.where(same.notna(), plan)


def forecast_table(forecast: pd.DataFrame, trust: pd.DataFrame, route: Mapping[str, str]) -> pd.DataFrame:
    """The recommended rows of forecast.csv as the planner reads them (:data:`FORECAST_COLUMNS`), one row
    per part and day in natural part order: whole units, the plan's difference, the verdict at that
    horizon (:func:`plan_verdicts`) and PLAN_OUTSIDE_95 where the plan lies outside the 95% range."""
    rows = forecast[(forecast["model"] == RECOMMENDED) & (forecast["method"] == "direct")].reset_index(drop=True)
    table = pd.DataFrame({"part": rows["part"].astype(str), "day": _days(rows["day"])})
    table["days_ahead"] = rows["step_ahead"].astype(int)
    for column in QUANTITIES:
        table[column] = rows[column].to_numpy(np.float64).round(0)
    table["plan_minus_forecast"] = table["plan"] - table["forecast"]
    verdicts = plan_verdicts(trust)
    table["trust"] = [verdicts.get(key, NOT_COMPARED) for key in zip(table["part"], table["days_ahead"], strict=True)]
    outside = (table["plan"] < table["lower_95"]) | (table["plan"] > table["upper_95"])  # NaN compares False
    table["check"] = np.where(outside, PLAN_OUTSIDE_95, "")
    table["model"] = [route.get(str(k), "") for k in table["days_ahead"]]
    order = sorted(range(len(table)), key=lambda i: (natural_key(table["part"].iloc[i]), table["days_ahead"].iloc[i]))
    return table.iloc[order].reset_index(drop=True)[list(FORECAST_COLUMNS)]


def summary_table(table: pd.DataFrame, skipped: Mapping[str, str]) -> pd.DataFrame:
    """One row per part (:data:`SUMMARY_COLUMNS`): the first forecast day of :func:`forecast_table`'s
    ``table``, and each part without a forecast (check NO_FORECAST), in natural part order."""
    first = table.drop_duplicates("part")[list(SUMMARY_COLUMNS)]
    known = set(first["part"])
    missing = pd.DataFrame({"part": [str(part) for part in skipped if str(part) not in known], "check": NO_FORECAST})
    rows = pd.concat([first, missing], ignore_index=True) if len(missing) else first.reset_index(drop=True)
    order = sorted(range(len(rows)), key=lambda i: natural_key(rows["part"].iloc[i]))
    return rows.iloc[order].reset_index(drop=True)[list(SUMMARY_COLUMNS)]


def trust_errors(trust: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's and our recommended forecast's test MAE per part (rows: natural order, pooled last) and
    horizon (columns: the labels, D+1 first), unrounded: shaded cells follow :func:`plan_verdicts` exactly."""
    frame = trust.assign(part=trust["part"].astype(str), label=trust["label"].astype(str))
    labels = list(dict.fromkeys(frame.sort_values("horizon", kind="stable")["label"]))
    parts = sorted(frame["part"].unique(), key=lambda part: (part == POOLED, natural_key(part)))

    def grid(column: str) -> pd.DataFrame:
        values = frame.pivot(index="part", columns="label", values=column).astype(np.float64)
        return values.reindex(index=parts, columns=labels)

    frame["plan_compared"] = _plan_error(frame)
    return grid("plan_compared"), grid("recommended_mae")


def write_workbook(
    path: str | Path,
    forecast: pd.DataFrame,
    trust: pd.DataFrame,
    skipped: Mapping[str, str],
    route: Mapping[str, str],
    as_of: date | int,
    language: Language = "en",
) -> None:
    """Write the planner's workbook atomically (its sheets: the module docstring).

    ``forecast``: forecast.csv's frame; ``trust``: horizon_trust.csv's; ``skipped``: the parts without a
    forecast and why; ``route``: the recommended model per delay (``{"1": "boosted"}``); ``as_of``: the
    last day of data (a date, or the last step of a step series); ``language``: ``en`` or ``ko``.
    """
    import xlsxwriter

    words = WORDS[language]
    table = forecast_table(forecast, trust, route)
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"nan_inf_to_errors": True, **TEXT_STAYS_TEXT})
        book.set_properties({"created": _FIXED_TIME, "title": words.titles["forecast"]})
        writer = _Writer(book, words, DAY_FORMATS[language], as_of)
        writer.table("summary", summary_table(table, skipped), frozen_columns=1)
        writer.table("forecast", table, frozen_columns=2)
        writer.trust(trust, skipped)
        writer.missing(skipped)
        book.close()


class _Writer:
    """The sheets' common layout: title and as-of rows, a header row, widths, formats, print settings."""

    def __init__(self, book: Any, words: Words, day_format: str, as_of: date | int) -> None:
        self.book, self.words = book, words
        self.steps = isinstance(as_of, int | np.integer)  # a step series: its days are step numbers
        self.as_of = words.as_of.format(
            day=f"{words.headers['step']} {as_of}" if self.steps else _day_text(as_of, words)
        )
        cell = {"valign": "top", "border": 1, "border_color": _RULE}  # the table's rules, printed

        def add(**style: object) -> Any:
            return book.add_format({**cell, **style})

        self.formats = {
            "title": book.add_format({"bold": True, "font_size": 13}),
            "header": add(bold=True, text_wrap=True, bottom=1, bottom_color="#000000", bg_color="#f3f3f3"),
            "text": add(text_wrap=True),
            "day": add(num_format=day_format, align="left"),
            "step": add(num_format="0", align="left"),
            "count": add(num_format="0"),
            "quantity": add(num_format=QUANTITY_FORMAT),
            "signed": add(num_format=SIGNED_FORMAT),
            "error": add(num_format=ERROR_FORMAT),
            "ours_lower": add(num_format=ERROR_FORMAT, bg_color=_SHADE, bold=True),
            "not_compared": add(bg_color=_GREY, align="center"),
            "use_ours": add(bg_color=_SHADE, text_wrap=True),
            "flag": add(bg_color=_FLAG, bold=True, text_wrap=True),
        }

    def table(self, key: str, table: pd.DataFrame, frozen_columns: int) -> None:
        """The Summary or Forecast sheet: ``table``'s columns under the planner's headers, a row per record."""
        sheet, header_row = self._sheet(key), 3
        headers = [self.words.headers["step" if column == "day" and self.steps else column] for column in table]
        widths = [_text_width(header) for header in headers]
        for c, column in enumerate(table.columns):
            for r, value in enumerate(table[column], start=header_row + 1):
                widths[c] = max(widths[c], _text_width(self._put(sheet, r, c, value, column)))
        self._finish(sheet, header_row, headers, widths, frozen_columns)

    def trust(self, trust: pd.DataFrame, skipped: Mapping[str, str]) -> None:
        """The Trust sheet: a legend, then per part a row of the plan's errors and one of ours."""
        words, formats = self.words, self.formats
        sheet, header_row = self._sheet("trust"), 7
        sheet.write_string(2, 0, words.legend[0])
        samples = (("ours_lower", ""), ("error", ""), ("not_compared", "–"))
        for r, ((name, mark), text) in enumerate(zip(samples, words.legend[1:], strict=True), start=3):
            sheet.write_string(r, 0, mark, formats[name])
            sheet.write_string(r, 1, text)
        plan, ours = trust_errors(trust) if not trust.empty else (pd.DataFrame(), pd.DataFrame())
        headers = [words.headers["part"], words.error_of, *map(str, plan.columns)]
        widths = [_text_width(header) for header in headers]
        for i, part in enumerate(plan.index):
            r = header_row + 1 + 2 * i
            name = words.all_parts if part == POOLED else str(part)
            forecast_now = part not in skipped
            labels = (words.plan_row, words.ours_row if forecast_now else words.ours_none_row)
            for row, label in enumerate(labels, start=r):
                sheet.write_string(row, 0, name, formats["text"])
                sheet.write_string(row, 1, label, formats["text"])
                widths[1] = max(widths[1], _text_width(label))
            widths[0] = max(widths[0], _text_width(name))
            for c, (mine, theirs) in enumerate(zip(ours.loc[part], plan.loc[part], strict=True), start=2):
                _number(sheet, r, c, theirs, formats["error"])
                if not forecast_now:
                    _number(sheet, r + 1, c, np.nan, formats["error"])  # nothing of ours to use now, nothing shaded
                elif np.isfinite(mine) and np.isfinite(theirs):
                    sheet.write_number(r + 1, c, float(mine), formats["ours_lower" if mine < theirs else "error"])
                else:
                    sheet.write_string(r + 1, c, "–", formats["not_compared"])
        widths[2:] = [max(width, 7) for width in widths[2:]]  # room for "1,234.5"
        self._finish(sheet, header_row, headers, widths, frozen_columns=2)

    def missing(self, skipped: Mapping[str, str]) -> None:
        """The No-forecast sheet: part and reason side by side, the reason wrapped to fit the page's width."""
        words = self.words
        sheet, header_row = self._sheet("missing"), 3
        headers = [words.headers["part"], words.reason]
        widths = [_text_width(header) for header in headers]
        rows = sorted(
            ((str(part), str(reason)) for part, reason in skipped.items()), key=lambda row: natural_key(row[0])
        )
        if not rows:
            sheet.write_string(header_row + 1, 0, words.every_part_forecast)
        for r, (part, reason) in enumerate(rows, start=header_row + 1):
            sheet.write_string(r, 0, part, self.formats["text"])
            sheet.write_string(r, 1, reason, self.formats["text"])
            widths = [max(widths[0], _text_width(part)), max(widths[1], _text_width(reason))]
        self._finish(sheet, header_row, headers, widths, frozen_columns=1)

    def _sheet(self, key: str) -> Any:
        """A new sheet with its title and as-of rows (0 and 1) and its print settings."""
        sheet = self.book.add_worksheet(self.words.sheets[key])
        title = self.words.titles[key]
        sheet.write_string(0, 0, title, self.formats["title"])
        sheet.write_string(1, 0, self.as_of)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as it needs
        sheet.set_header(f"&L{_page_text(title)}&R{_page_text(self.as_of)}")
        sheet.set_footer(f"&C{self.words.page}")
        return sheet

    def _finish(self, sheet: Any, header_row: int, headers: list[str], widths: list[int], frozen_columns: int) -> None:
        """The header row, every column's width, the header repeated on every printed page, frozen panes."""
        for c, header in enumerate(headers):
            sheet.write_string(header_row, c, header, self.formats["header"])
            sheet.set_column(c, c, min(widths[c], _MAX_WIDTH) + 2)
        sheet.repeat_rows(header_row)
        sheet.freeze_panes(header_row + 1, frozen_columns)

    def _put(self, sheet: Any, r: int, c: int, value: Any, column: str) -> str:
        """Write one cell of the Summary or Forecast ``column``; returns the text it shows (for the width)."""
        words, formats = self.words, self.formats
        if column in ("part", "model"):
            sheet.write_string(r, c, str(value), formats["text"])
            return str(value)
        if column in ("trust", "check"):
            text = {**words.verdicts, **words.checks}.get(str(value), "").format(sheet=words.sheets["missing"])
            style = formats[{PLAN_OUTSIDE_95: "flag", USE_OURS: "use_ours"}.get(str(value), "text")]
        elif pd.isna(value):
            text, style = "", formats["day" if column == "day" and not self.steps else "quantity"]
        elif column == "day" and not self.steps:
            sheet.write_datetime(r, c, value, formats["day"])
            return _day_text(value, words)
        else:
            kind = {"day": "step", "days_ahead": "count", "plan_minus_forecast": "signed"}.get(column, "quantity")
            sheet.write_number(r, c, float(value), formats[kind])
            return f"{float(value):+,.0f}" if kind == "signed" else f"{float(value):,.0f}"
        if text:
            sheet.write_string(r, c, text, style)
        else:
            sheet.write_blank(r, c, None, style)  # a blank keeps the table's rules
        return text


def _number(sheet: Any, r: int, c: int, value: float, style: Any) -> None:
    """Write ``value`` as a number, or a blank cell of the same style (its rules) where it is missing."""
    if np.isfinite(value):
        sheet.write_number(r, c, float(value), style)
    else:
        sheet.write_blank(r, c, None, style)


def _days(days: pd.Series) -> list[object]:
    """Forecast days as the workbook writes them: datetimes (Excel dates), or ints on a step series."""
    if pd.api.types.is_integer_dtype(days):
        return [int(day) for day in days]
    return [pd.Timestamp(day).to_pydatetime() for day in days]


def _day_text(day: object, words: Words) -> str:
    """A day in text as the day's number format shows it: ISO with the weekday in ``words``' language."""
    shown = pd.Timestamp(day).date()
    return words.day_shown.format(day=shown.isoformat(), weekday=words.weekdays[shown.weekday()])


def _page_text(text: str) -> str:
    """``text`` as a printed page header shows it: '&' starts a code there."""
    return text.replace("&", "&&")


def _text_width(text: str) -> int:
    """The columns ``text`` takes in a spreadsheet: a Hangul or other wide character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
