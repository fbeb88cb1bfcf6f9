import numpy as np
import pandas as pd

from plancast.evaluation import backtest
from plancast.evaluation.backtest import ets_backtest, validation_start
from plancast.features.scaling import split_and_scale
from plancast.features.windows import make_windows
from plancast.models.statistical import fit_ets


def test_auto_ets_is_refitted_before_each_origin_and_run_from_each_windows_end():
    """Issue 28: AutoETS scored on the evaluated windows, fitted on what was known before validation and
    refitted before each test fold, as the tabular models are."""
    rng = np.random.default_rng(4)
    values = 40 + 0.5 * np.arange(90) + 5 * np.sin(np.arange(90) * 2 * np.pi / 5) + rng.normal(0, 1, 90)
    daily = pd.DataFrame(
        {"part": "S", "day": pd.bdate_range("2025-01-06", periods=90), "target": values, "position": np.arange(90)}
    )
    windows = make_windows(daily, {"columns": {"S": ["target"]}}, 5, [1, 3])
    splits, _, _ = split_and_scale(windows, [0.6, 0.2, 0.2], "standard")
    folds = backtest.test_folds(windows, splits, 2)
    per_fold = [int((folds.of_window == fold).sum()) for fold in (0, 1)]
    lines: list[str] = []
    got = ets_backtest(daily, windows, splits, folds, 5, lines.append)
    assert lines == [
        f"validation: auto_ets fitted on 1 part(s), predicted {len(splits.val.window)}",
        *(f"test fold {f + 1}/2: auto_ets fitted on 1 part(s), predicted {n}" for f, n in enumerate(per_fold)),
    ]
    starts = [validation_start(windows, splits)] + [int(start) for start in folds.start]
    origin_of_row = np.concatenate([np.zeros(len(splits.val.window), int), 1 + folds.of_window[splits.test.window]])
    for row, window in enumerate(np.concatenate([splits.val.window, splits.test.window])):
        fit = fit_ets(values[: starts[origin_of_row[row]]], 5)  # positions are rows: one part
        end = windows.end_row[window]
        np.testing.assert_allclose(got[row], fit.forecast(values[: end + 1], 3)[[0, 2]])
