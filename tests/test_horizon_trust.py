"""The horizon-trust table: the plan's own error per part and horizon, by hand, and where we beat it."""

import numpy as np
import pandas as pd

from plancast.evaluation.horizon_trust import COLUMNS, horizon_trust, plan_errors
from plancast.reporting import evaluation_plots


def _daily() -> pd.DataFrame:
    # Part A over 6 calendar days; h1 made on day t is the plan for day t + 1, h2 for day t + 2.
    return pd.DataFrame({
        "part": "A", "day": pd.bdate_range("2025-01-06", periods=6), "position": range(6), "present": True,
        "target": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        "h1": [21.0, 30.0, 44.0, 50.0, 62.0, 70.0],
        "h2": [30.0, 40.0, 50.0, 66.0, 70.0, 80.0],
    })  # fmt: skip


def test_plan_errors_align_each_horizon_by_calendar_days_within_the_test_period():
    errors = plan_errors(_daily(), first_position=4).set_index("horizon")
    # test days 4, 5: h1 made on days 3, 4 = 50, 62 vs actual 50, 60 -> errors 0, +2
    assert errors.loc[1, "pairs"] == 2 and errors.loc[1, "plan_mae"] == 1.0 and errors.loc[1, "plan_bias"] == 1.0
    # h2 made on days 2, 3 = 50, 66 vs 50, 60 -> errors 0, +6
    assert errors.loc[2, "plan_mae"] == 3.0 and errors.loc[2, "mean_actual"] == 55.0


def test_trust_table_says_where_the_recommended_forecast_beats_the_plan_on_the_same_windows():
    parts = pd.DataFrame({
        "split": "test", "part": "A", "delay": ["1", "2", "1", "2"],
        "model": ["recommended", "recommended", "baseline_plan", "baseline_plan"], "mae": [0.5, 4.0, 1.0, 3.0],
    })  # fmt: skip
    table = horizon_trust(_daily(), 4, parts, [1, 2], "recommended")
    assert list(table.columns) == COLUMNS
    own = table[table["part"] == "A"].set_index("horizon")
    assert own.loc[1, "beats_plan"] is True or own.loc[1, "beats_plan"] == True  # noqa: E712
    assert own.loc[2, "beats_plan"] is False or own.loc[2, "beats_plan"] == False  # noqa: E712
    assert own.loc[2, "relative_plan_mae"] == 3.0 / 55.0
    pooled = table[table["part"] == "pooled"]
    assert len(pooled) == 2 and np.isclose(pooled["plan_mae"].iloc[0], 1.0)
    figure = evaluation_plots.horizon_trust_figure(table)
    assert "Which plan horizons to trust" in figure.axes[0].get_title()
