"""Rolling-origin backtest: tabular models refitted at every origin, one calendar cut for all parts.

The test period is cut into ``folds`` consecutive spans of calendar positions, the same for every part.
For the validation windows each tabular model is fitted on the training windows; for test fold f it is
refitted on every window whose targets all lie before the fold's first day (an expanding window: train,
validation and the earlier folds), then predicts the fold. Networks are trained once, on the training
windows (stage train), and predict every later window: their numbers are out of sample too, only not
refreshed per fold (retraining a network per fold costs minutes each on two cores).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from plancast.evaluation.metrics import mae, skill
from plancast.features.scaling import Splits
from plancast.features.windows import Windows
from plancast.models.tabular import TABULAR_MODELS, TabularRows


@dataclass(frozen=True)
class Folds:
    """Test folds on the calendar: fold f holds the test windows whose first target position is in
    ``[start[f], start[f + 1])``. ``of_window`` (windows,) is each window's fold, -1 outside the test split."""

    start: np.ndarray
    of_window: np.ndarray


def test_folds(windows: Windows, splits: Splits, folds: int) -> Folds:
    """Cut the test windows' first-target days into ``folds`` equal calendar spans (fewer if too short)."""
    of_window = np.full(len(windows.part), -1, dtype=np.int64)
    test = splits.test.window
    if not len(test):
        return Folds(np.empty(0, np.int64), of_window)
    first_target = windows.position[test] + int(np.min(windows.delays))
    low, high = int(first_target.min()), int(first_target.max())
    count = max(1, min(folds, high - low + 1))
    start = low + (np.arange(count) * (high - low + 1)) // count
    of_window[test] = np.searchsorted(start, first_target, side="right") - 1
    return Folds(start.astype(np.int64), of_window)


def tabular_backtest(
    rows: TabularRows,
    windows: Windows,
    splits: Splits,
    folds: Folds,
    names: list[str],
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Each tabular model's out-of-sample predictions (windows, delays) for the validation and test windows.

    NaN elsewhere. Validation: fitted on the training windows; test fold f: refitted on every window
    whose last target lies before the fold starts (an expanding window). ``progress`` gets one line per
    model and origin (a boosted fit takes seconds at the sample's size, minutes at a plant's).
    """
    delays = np.asarray(windows.delays, np.int64)
    last_target = windows.position + int(delays.max())
    result = {name: np.full(windows.targets.shape, np.nan) for name in names}
    origins = [("validation", splits.train.window, splits.val.window)]
    scaled = np.isin(windows.part, list(rows.scalers.parts))  # a part without a scaler had no training window
    for fold, start in enumerate(folds.start):
        train = np.flatnonzero((last_target < start) & scaled)
        origins.append((f"test fold {fold + 1}/{len(folds.start)}", train, np.flatnonzero(folds.of_window == fold)))
    for label, train, predict in origins:
        if not len(train) or not len(predict):
            continue
        fitted = rows.take(train)
        for name in names:
            model = TABULAR_MODELS[name](seed).fit(fitted)
            result[name][predict] = model.predict(rows.take(predict))
            if progress is not None:
                progress(f"{label}: {name} fitted on {len(train)} windows, predicted {len(predict)}")
    return result


def fold_scores(
    actual: np.ndarray, predictions: Mapping[str, np.ndarray], plan: np.ndarray, fold: np.ndarray
) -> dict[str, dict[str, list[float]]]:
    """Per test fold, each model's MAE and skill vs the plan: {model: {"mae": [F], "skill": [F]}}."""
    folds = sorted(int(f) for f in np.unique(fold) if f >= 0)
    scores: dict[str, dict[str, list[float]]] = {}
    for name, prediction in predictions.items():
        scores[name] = {
            "mae": [mae(actual[fold == f], prediction[fold == f]) for f in folds],
            "skill": [skill(actual[fold == f], prediction[fold == f], plan[fold == f]) for f in folds],
        }
    return scores
