import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from plancast.data.calendar import Calendar
from plancast.features.scaling import fit_scalers
from plancast.features.windows import make_windows
from plancast.latest_window import latest_windows
from plancast.models.baseline_models import BaselineFits, fit_baselines, part_series
from plancast.models.gap_ridge import GapRidge
from plancast.models.statistical import fit_ets
from plancast.names import (
    ETS_BASELINE,
    LAST_BASELINE,
    MEAN_BASELINE,
    RIDGE_BASELINE,
    SEASONAL_BASELINE,
    SERVED_BASELINES,
)

PARTS, DAYS, LOOKBACK, DELAYS, PERIOD = ("A", "B"), 40, 4, [1, 2], 3
COLUMNS = {part: ["target"] for part in PARTS}


@pytest.fixture(scope="module")
def plain():
    """Two plain series (no plan), their windows and scalers, every baseline fitted, and the latest windows."""
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2025-01-06", periods=DAYS)
    frames = [
        pd.DataFrame({"part": part, "day": days, "target": level + np.cumsum(rng.normal(0, 2, DAYS))})
        for part, level in zip(PARTS, (30.0, 80.0), strict=True)
    ]
    daily = pd.concat(frames, ignore_index=True)
    windows = make_windows(daily, {"columns": COLUMNS}, LOOKBACK, DELAYS)
    train = np.flatnonzero(windows.position < 25)
    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, train, "standard")
    fits = fit_baselines(SERVED_BASELINES, windows, daily, scalers, PERIOD, 1.0)
    latest = latest_windows(daily, LOOKBACK, DELAYS, COLUMNS, Calendar(), windows.feature_names).windows
    return daily, windows, scalers, fits, latest


def test_each_baseline_forecasts_the_days_after_the_data_by_its_formula(plain):
    daily, windows, scalers, fits, latest = plain
    series = part_series(daily)
    last = np.array([series[part][-1] for part in PARTS])
    np.testing.assert_array_equal(fits.predict(LAST_BASELINE, latest, daily, scalers), np.column_stack([last, last]))
    # period 3: D+1 is the target 3 rows before the target day (2 before the last row), D+2 the row before the last
    seasonal = np.array([[series[part][-3], series[part][-2]] for part in PARTS])
    np.testing.assert_array_equal(fits.predict(SEASONAL_BASELINE, latest, daily, scalers), seasonal)
    means = [np.nanmean(windows.targets[windows.part == part]) for part in PARTS]
    np.testing.assert_allclose(fits.predict(MEAN_BASELINE, latest, daily, scalers), np.column_stack([means, means]))
    design = scalers.inputs(windows.inputs, windows.part).astype(np.float32).astype(np.float64)
    scaled = scalers.targets(windows.targets, windows.part).astype(np.float32).astype(np.float64)
    ridge = GapRidge(1.0).fit(design.reshape(len(design), -1), scaled)
    latest_design = scalers.inputs(latest.inputs, latest.part).astype(np.float32).astype(np.float64).reshape(2, -1)
    want = scalers.unscale_targets(ridge.predict(latest_design), latest.part)
    np.testing.assert_allclose(fits.predict(RIDGE_BASELINE, latest, daily, scalers), want, rtol=1e-10)
    ets = np.array([fit_ets(series[part], PERIOD).forecast(series[part], 2) for part in PARTS])
    np.testing.assert_allclose(fits.predict(ETS_BASELINE, latest, daily, scalers), ets)


def test_the_fits_as_json_forecast_the_same_numbers(plain):
    daily, _, scalers, fits, latest = plain
    text = json.dumps(fits.to_json())  # what recommendation.json and the served folder hold
    again = BaselineFits.from_json(json.loads(text))
    assert again.names == SERVED_BASELINES
    for name in SERVED_BASELINES:
        want = fits.predict(name, latest, daily, scalers)
        np.testing.assert_allclose(again.predict(name, latest, daily, scalers), want, rtol=1e-12, err_msg=name)
    only = fit_baselines([RIDGE_BASELINE, "boosted"], plain[1], daily, scalers, PERIOD, 1.0)
    assert list(only.to_json()) == [RIDGE_BASELINE]  # only the baselines asked for are fitted and kept
    with pytest.raises(ValueError, match="'baseline_last' is not one of the baselines kept"):
        only.predict(LAST_BASELINE, latest, daily, scalers)


def test_the_recursive_forecast_feeds_the_ridge_its_own_steps_and_repeats_the_season(plain):
    daily, _, scalers, fits, latest = plain
    one_step = replace(latest, delays=np.array([1]))
    steps = fits.predict_steps(RIDGE_BASELINE, one_step, daily, scalers, 5)
    window = one_step.inputs.copy()
    for step in range(5):
        fed = replace(one_step, inputs=window)
        np.testing.assert_allclose(steps[:, step], fits.predict(RIDGE_BASELINE, fed, daily, scalers)[:, 0])
        window = np.concatenate([window[:, 1:], steps[:, step, None, None]], axis=1)
    series = part_series(daily)
    seasonal = fits.predict_steps(SEASONAL_BASELINE, one_step, daily, scalers, 5)
    for row, part in enumerate(PARTS):  # steps 1..5 with period 3: rows -3, -2, -1, -3, -2 after the last
        np.testing.assert_array_equal(seasonal[row], series[part][[-3, -2, -1, -3, -2]])
    last = fits.predict_steps(LAST_BASELINE, one_step, daily, scalers, 5)
    np.testing.assert_array_equal(last, np.repeat([[series[p][-1]] for p in PARTS], 5, axis=1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"baseline_plan": {}}, "'baseline_plan' is not a baseline a route may give"),
        ({SEASONAL_BASELINE: {"season_period": 0}}, "season_period must be a positive integer"),
        ({RIDGE_BASELINE: {"alpha": 1.0, "means": [0.0], "width": 1, "fits": [{"delays": [0], "coef": [[1, 2]],
                                                                              "intercept": [0]}]}},
         r"coefficients \(1, 2\)"),
    ],
)  # fmt: skip
def test_a_malformed_fit_is_refused(data, message):
    with pytest.raises(ValueError, match=message):
        BaselineFits.from_json(data)
