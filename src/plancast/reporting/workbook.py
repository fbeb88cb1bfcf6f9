"""The planner's workbook (data/reports/forecast.xlsx): the next days per part, and which horizons to trust.

Sheets: ``Forecast`` (per part and day: the recommended number, its 80% and 95% intervals, the plan,
and which model the number comes from), ``Trust`` (per part and plan horizon: the plan's own error on
the test period, a cell marked where our forecast beats it), ``No forecast`` (parts without one, and
why). Written with xlsxwriter; the file's creation time is fixed so two runs give the same bytes.

Every text cell is written as text (:data:`TEXT_STAYS_TEXT`): part names, reasons and model names come
from the user's files, and xlsxwriter would otherwise turn ``=HYPERLINK(...)`` into a live formula,
``http://...`` into a link and (if asked) ``0101`` into a number. Nothing is refused; nothing is run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from plancast.artifacts import atomic_path
from plancast.names import RECOMMENDED
from plancast.reporting.plot_style import natural_key

_FIXED_TIME = datetime(2000, 1, 1)  # xlsxwriter stamps the creation time into docProps; outputs hold no clock
# xlsxwriter's write() reads "=..." as a formula and "http://..." as a link by default; these keep text text
TEXT_STAYS_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def forecast_sheet(forecast: pd.DataFrame, route: Mapping[str, str]) -> pd.DataFrame:
    """The recommended rows of forecast.csv as the planner reads them, one row per part and day."""
    rows = forecast[(forecast["model"] == RECOMMENDED) & (forecast["method"] == "direct")]
    table = pd.DataFrame(
        {
            "part": rows["part"].astype(str),
            "day": pd.to_datetime(rows["day"]).dt.strftime("%Y-%m-%d") if len(rows) else [],
            "days ahead": rows["step_ahead"].astype(int),
            "forecast": rows["forecast"].round(1),
            "80% from": rows["lower_80"].round(1),
            "80% to": rows["upper_80"].round(1),
            "95% from": rows["lower_95"].round(1),
            "95% to": rows["upper_95"].round(1),
            "plan": rows["plan"],
            "from model": [route.get(str(int(k)), "") for k in rows["step_ahead"]],
        }
    )
    order = sorted(range(len(table)), key=lambda i: (natural_key(table["part"].iloc[i]), table["day"].iloc[i]))
    return table.iloc[order].reset_index(drop=True)


def trust_sheet(trust: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's MAE per part (rows) and horizon (columns), and where our forecast beats it (bool)."""
    labels = list(dict.fromkeys(trust["label"]))
    parts = sorted(trust["part"].astype(str).unique(), key=lambda part: (part == "pooled", natural_key(part)))
    mae = trust.pivot(index="part", columns="label", values="plan_mae").reindex(index=parts, columns=labels).round(1)
    beats = trust.pivot(index="part", columns="label", values="beats_plan").reindex(index=parts, columns=labels)
    return mae, beats == True  # noqa: E712  (None and NaN mean "not forecast at this horizon")


def write_workbook(
    path: str | Path,
    forecast: pd.DataFrame,
    trust: pd.DataFrame,
    skipped: Mapping[str, str],
    route: Mapping[str, str],
) -> None:
    """Write the planner's workbook atomically (see the module docstring for its sheets)."""
    import xlsxwriter

    table = forecast_sheet(forecast, route)
    mae, beats = trust_sheet(trust) if not trust.empty else (pd.DataFrame(), pd.DataFrame())
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"nan_inf_to_errors": True, **TEXT_STAYS_TEXT})
        book.set_properties({"created": _FIXED_TIME, "title": "plancast forecast"})
        bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        better = book.add_format({"bg_color": "#cfe2f3", "bold": True})
        sheet = book.add_worksheet("Forecast")
        sheet.write_row(0, 0, list(table.columns), bold)
        for r, record in enumerate(table.itertuples(index=False), start=1):
            sheet.write_row(r, 0, [_cell(value) for value in record])
        sheet.set_column(0, 0, 18)
        sheet.set_column(1, 1, 11)
        sheet.set_column(2, len(table.columns) - 1, 10)
        sheet.freeze_panes(1, 1)
        trust_book = book.add_worksheet("Trust")
        trust_book.write(0, 0, "the plan's MAE on the test period (quantity); blue: our forecast beats it", bold)
        trust_book.write_row(1, 0, ["part", *map(str, mae.columns)], bold)
        for r, (part, values) in enumerate(mae.iterrows(), start=2):
            trust_book.write(r, 0, str(part))
            for c, value in enumerate(values, start=1):
                trust_book.write(r, c, _cell(value), better if bool(beats.loc[part].iloc[c - 1]) else None)
        trust_book.set_column(0, 0, 18)
        trust_book.freeze_panes(2, 1)
        missing = book.add_worksheet("No forecast")
        missing.write_row(0, 0, ["part", "why there is no forecast"], bold)
        for r, (part, reason) in enumerate(sorted(skipped.items()), start=1):
            missing.write_row(r, 0, [part, reason])
        missing.set_column(0, 0, 18)
        missing.set_column(1, 1, 70)
        book.close()


def _cell(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return ""
    return value
