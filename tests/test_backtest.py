from contextlib import contextmanager

import numpy as np
import pandas as pd

from plancast import cluster
from plancast.evaluation import backtest
from plancast.evaluation.backtest import ets_backtest, tabular_backtest, validation_start
from plancast.features.scaling import split_and_scale
from plancast.features.windows import make_windows
from plancast.models.statistical import fit_ets
from plancast.models.tabular import tabular_rows


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


class _Backwards(cluster.RaySession):
    """Ray's part played in this process: the tasks finish last first, on one node."""

    def put(self, value):
        return value

    def run(self, function, calls, done=None):
        results = {}
        for index in reversed(range(len(calls))):
            args, kwargs = calls[index]
            results[index] = function(*args, **kwargs)
            self.nodes.add("here")
            if done is not None:
                done(index, results[index])
        return [results[index] for index in range(len(calls))]


def test_the_backtest_on_ray_assembles_each_delays_task_into_the_same_bits_as_local(monkeypatch):
    """Backend ray: one task per origin, model and delay, whatever order they finish in; a model's line
    once its origin's last delay is in, and one line that says where the fits ran."""
    rng = np.random.default_rng(9)
    frames = []
    for part, level in (("a", 100.0), ("b", 40.0)):
        actual = level + rng.normal(0, level / 10, size=93)
        frame = pd.DataFrame({"part": part, "day": pd.bdate_range("2025-01-06", periods=90)})
        frame["target"] = actual[:90]
        for k in (1, 2):
            frame[f"h{k}"] = actual[k : 90 + k] + rng.normal(0, level / 20, size=90)
        frame["position"], frame["present"] = np.arange(90), True
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True)
    windows = make_windows(daily, {"columns": {p: ["target", "h1"] for p in "ab"}}, 5, [1, 2])
    splits, scalers, _ = split_and_scale(windows, [0.6, 0.2, 0.2], "standard")
    rows = tabular_rows(windows, daily, scalers, max_horizon=2)
    folds = backtest.test_folds(windows, splits, 2)
    names = ["plan_linear", "boosted"]
    local_lines: list[str] = []
    local = tabular_backtest(rows, windows, splits, folds, names, 3, local_lines.append)

    @contextmanager
    def session(address):
        assert address == "head:6379"
        yield _Backwards(ray=None)

    monkeypatch.setattr(cluster, "ray_session", session)
    ray_lines: list[str] = []
    on_ray = tabular_backtest(rows, windows, splits, folds, names, 3, ray_lines.append, "ray", "head:6379")
    for name in names:
        assert on_ray[name].tobytes() == local[name].tobytes(), name
    assert ray_lines[-1] == "12 fits on 1 Ray node"  # 3 origins x 2 models x 2 delays
    assert sorted(ray_lines[:-1]) == sorted(local_lines) and len(local_lines) == 6
