"""Rolling-origin backtest: tabular models (and AutoETS) refitted at every origin, one calendar cut for all parts.

The test period is cut into ``folds`` consecutive spans of calendar positions, the same for every part.
For the validation windows each tabular model is fitted on the training windows; for test fold f it is
refitted on every window whose targets all lie before the fold's first day (an expanding window: train,
validation and the earlier folds), then predicts the fold. Networks are trained once, on the training
windows (stage train), and predict every later window: their numbers are out of sample too, only not
refreshed per fold (retraining a network per fold costs minutes each on two cores). AutoETS is fitted
per part on the part's values before each origin (:func:`ets_backtest`). Under ``train.backend: ray`` the
tabular refits run as Ray tasks, one per origin, model and delay, with the same bits as here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from plancast.evaluation.metrics import mae, skill
from plancast.features.split import in_period
from plancast.features.splits import Splits
from plancast.features.windows import Windows
from plancast.models.baseline_models import part_series
from plancast.models.statistical import EtsFit, ets_windows, fit_ets
from plancast.models.tabular import TABULAR_MODELS, TabularRows


@dataclass(frozen=True)
class Folds:
    """Test folds on the calendar: fold f holds the test windows whose first target position is in
    ``[start[f], start[f + 1])``. ``of_window`` (windows,) is each window's fold, -1 outside the test split."""

    start: np.ndarray
    of_window: np.ndarray


def test_folds(windows: Windows, splits: Splits, folds: int) -> Folds:
    """Cut the test windows' first test days into ``folds`` equal calendar spans (fewer if too short).

    A window's first test day is its first target day in the test period: its first target for a whole
    window, the first on or after the test start for one that counts its targets per day
    (:class:`~plancast.features.splits.Splits` with a ``cut``)."""
    of_window = np.full(len(windows.part), -1, dtype=np.int64)
    test = splits.test.window
    if not len(test):
        return Folds(np.empty(0, np.int64), of_window)
    first_target = windows.position[test] + int(np.min(windows.delays))
    if splits.cut is not None:
        first_target = np.maximum(first_target, int(splits.cut[1]))
    low, high = int(first_target.min()), int(first_target.max())
    count = max(1, min(folds, high - low + 1))
    start = low + (np.arange(count) * (high - low + 1)) // count
    of_window[test] = np.searchsorted(start, first_target, side="right") - 1
    return Folds(start.astype(np.int64), of_window)


@dataclass(frozen=True)
class Origin:
    """One refit of the backtest: the tabular models fitted on the windows ``train`` (windows,) with their
    ``targets`` (windows, delays), raw, NaN where unknown at the origin, then predicting the result rows
    ``predict`` (rows,)."""

    label: str  # "validation" or "test fold f/F"
    train: np.ndarray
    targets: np.ndarray
    predict: np.ndarray


def tabular_backtest(
    rows: TabularRows,
    windows: Windows,
    splits: Splits,
    folds: Folds,
    names: list[str],
    seed: int,
    progress: Callable[[str], None] | None = None,
    backend: str = "local",
    ray_address: str = "",
    boosted_rows: int | None = None,
) -> dict[str, np.ndarray]:
    """Each tabular model's out-of-sample predictions (rows, delays): one row per validation window, then
    one per test window (a window in both splits has a row in each, as evaluate scores them).

    Validation: fitted on the training windows; test fold f: refitted on every window whose targets lie
    before the fold starts (an expanding window; with per-day targets, every window with one such target,
    the later ones left out). ``progress`` gets one line per model and origin (a boosted fit takes
    seconds at the sample's size, minutes at a plant's). ``backend`` ``ray``: each model's fit per origin
    and delay is a Ray task on ``ray_address`` (:func:`plancast.cluster.ray_session`), the same bits as
    ``local``'s, and ``progress`` also gets how many fits ran on how many nodes. The boosted trees fit at
    most ``boosted_rows`` rows per delay (``evaluate.boosted_rows``; :class:`~plancast.models.tabular.Boosted`).
    """
    delays = np.asarray(windows.delays, np.int64)
    validation, test = len(splits.val.window), len(splits.test.window)
    result = {name: np.full((validation + test, len(delays)), np.nan) for name in names}
    test_rows = validation + np.arange(test)
    origins = [Origin("validation", splits.train.window, splits.actual("train", windows), np.arange(validation))]
    scaled = np.isin(windows.part, list(rows.scalers.parts))  # a part without a scaler had no training window
    fold_of_row = folds.of_window[splits.test.window]
    for fold, start in enumerate(folds.start):
        train, targets = known_before(windows, int(start), splits.cut is not None, scaled)
        label = f"test fold {fold + 1}/{len(folds.start)}"
        origins.append(Origin(label, train, targets, test_rows[fold_of_row == fold]))
    origins = [origin for origin in origins if len(origin.train) and len(origin.predict)]
    windows_of_row = np.concatenate([splits.val.window, splits.test.window]).astype(np.int64)
    say = progress or (lambda line: None)
    if backend == "ray":
        _refit_on_ray(rows, origins, names, (seed, boosted_rows), windows_of_row, ray_address, result, say)
        return result
    for origin in origins:
        fitted = replace(rows.take(origin.train), targets=np.asarray(origin.targets, np.float64))
        for name in names:
            model = TABULAR_MODELS[name](seed, boosted_rows).fit(fitted)
            result[name][origin.predict] = model.predict(rows.take(windows_of_row[origin.predict]))
            say(_fitted_line(origin, name))
    return result


def _fitted_line(origin: Origin, name: str) -> str:
    return f"{origin.label}: {name} fitted on {len(origin.train)} windows, predicted {len(origin.predict)}"


def _refit_delay(
    rows: TabularRows,
    train: np.ndarray,
    targets: np.ndarray,
    ahead: np.ndarray,
    name: str,
    made: tuple[int, int | None],
    column: int,
) -> np.ndarray:
    """A Ray task: model ``name`` fitted on the rows ``train`` with ``targets`` at delay ``column`` only, and
    its predictions of the rows ``ahead`` at that delay: (rows,)."""
    fitted = replace(rows.take(train), targets=targets).at_delays([column])
    model = TABULAR_MODELS[name](*made).fit(fitted)
    return model.predict(rows.take(ahead).at_delays([column]))[:, 0]


def _refit_on_ray(
    rows: TabularRows,
    origins: list[Origin],
    names: list[str],
    made: tuple[int, int | None],
    windows_of_row: np.ndarray,
    address: str,
    result: dict[str, np.ndarray],
    say: Callable[[str], None],
) -> None:
    """Every (origin, model, delay) fit of the backtest as a Ray task (:func:`_refit_delay`), its column
    written into ``result`` as local writes it. The rows go to the object store once, each origin's
    windows and targets once; a model's line is said when its last delay at an origin is done."""
    from plancast.cluster import ray_session

    cells = [(origin, name, column) for origin in origins for name in names for column in range(len(rows.delays))]
    left = {(origin.label, name): len(rows.delays) for origin in origins for name in names}

    def done(index: int, _: np.ndarray) -> None:
        origin, name, _ = cells[index]
        left[origin.label, name] -= 1
        if not left[origin.label, name]:
            say(_fitted_line(origin, name))

    with ray_session(address) as session:
        shared = session.put(rows)
        per_origin = {
            origin.label: (
                session.put(origin.train),
                session.put(np.asarray(origin.targets, np.float64)),
                session.put(windows_of_row[origin.predict]),
            )
            for origin in origins
        }
        calls = [((shared, *per_origin[origin.label], name, made, column), {}) for origin, name, column in cells]
        columns = session.run(_refit_delay, calls, done)
    for (origin, name, column), predicted in zip(cells, columns, strict=True):
        result[name][origin.predict, column] = predicted
    say(session.where(len(cells), "fits"))


def validation_start(windows: Windows, splits: Splits) -> int:
    """The calendar position of validation's first target day: the cut's, or the validation windows' first target."""
    if splits.cut is not None:
        return int(splits.cut[0])
    validation = splits.val.window
    return int((windows.position[validation] + int(np.min(windows.delays))).min()) if len(validation) else 0


def ets_backtest(
    daily: pd.DataFrame,
    windows: Windows,
    splits: Splits,
    folds: Folds,
    season_period: int,
    progress: Callable[[str], None] | None = None,
) -> np.ndarray:
    """AutoETS's out-of-sample predictions (rows, delays), rows as :func:`tabular_backtest`'s.

    Per part one fit on its ``daily`` values before validation starts (for the validation windows) and one
    on those before each test fold starts (for that fold), each run from every window's origin over the
    values known then (:class:`plancast.models.statistical.EtsFit`): a refit per origin would cost a fit
    per window. ``season_period`` the season length in rows.
    """
    delays = np.asarray(windows.delays, np.int64)
    validation, test = splits.val.window, splits.test.window
    result = np.full((len(validation) + len(test), len(delays)), np.nan)
    series, position = part_series(daily), part_series(daily, "position")
    origins = [("validation", validation_start(windows, splits), np.arange(len(validation)))]
    fold_of_row = folds.of_window[test]
    for fold, start in enumerate(folds.start):
        rows = len(validation) + np.flatnonzero(fold_of_row == fold)
        origins.append((f"test fold {fold + 1}/{len(folds.start)}", int(start), rows))
    windows_of_row = np.concatenate([validation, test]).astype(np.int64)
    for label, start, rows in origins:
        if not len(rows):
            continue
        chosen = windows.take(windows_of_row[rows])
        fits: dict[str, EtsFit] = {}
        for part in np.unique(chosen.part).tolist():
            fit = fit_ets(np.asarray(series[part], np.float64)[np.asarray(position[part]) < start], season_period)
            if fit is not None:
                fits[part] = fit
        result[rows] = ets_windows(fits, series, chosen.part, chosen.end_row, delays)
        if progress is not None:
            progress(f"{label}: auto_ets fitted on {len(fits)} part(s), predicted {len(rows)}")
    return result


def known_before(windows: Windows, start: int, per_delay: bool, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The windows an origin at calendar position ``start`` refits on, and their targets (raw, NaN where
    unknown then): whole windows with every target before ``start``; per delay, every window with one
    such target, its targets on or after ``start`` NaN. ``eligible`` (windows,) marks the windows allowed."""
    delays = np.asarray(windows.delays, np.int64)
    if not per_delay:
        train = np.flatnonzero((windows.position + int(delays.max()) < start) & eligible)
        return train, np.asarray(windows.targets[train], np.float64)
    train = np.flatnonzero((windows.position + int(delays.min()) < start) & eligible)
    return train, np.where(in_period(windows, train, -(2**62), start), windows.targets[train], np.nan)


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
