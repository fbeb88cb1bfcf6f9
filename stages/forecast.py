"""Stage forecast: every trained model forecasts the days after the data ends, beside the plan.

Reads the daily table, features.json, scalers and ``models/<name>/``; runs on ``forecast.engine``
(keras, or onnx: each network exported with Keras' own ONNX export and run by ONNX Runtime);
writes ``data/reports/forecast.csv``, ``plots/forecast.png`` and ``metrics/forecast.json`` (which
also holds the warm wall time of each forecast, so it is not a stage output: see dvc.yaml).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plancast import plots
from plancast.artifacts import read_json, write_csv, write_json
from plancast.forecasting import forecast, forecast_summary, warm_timings
from plancast.models import load_networks
from plancast.onnx_export import onnx_networks
from plancast.params import Params
from plancast.runtime import import_tensorflow
from plancast.stage import require_inputs, run_stage
from plancast.windows import feature_columns

SHOWN_PARTS = 4


def main(params: Params) -> None:
    require_inputs(
        {
            "data/interim/daily.parquet": "daily_last",
            "data/features/features.json": "select_features",
            "data/prepared/scalers.json": "split_scale",
        }
        | {Path("models") / name / "manifest.json": f"train@{name}" for name in params.train.models}
    )
    import_tensorflow(params.train.seed)
    scalers = read_json("data/prepared/scalers.json")
    columns = feature_columns(read_json("data/features/features.json"), sorted(scalers["parts"]))
    models = {name: load_networks(Path("models") / name) for name in params.train.models}
    if params.forecast.engine == "onnx":
        models = {name: (manifest, onnx_networks(networks)) for name, (manifest, networks) in models.items()}
    daily = pd.read_parquet("data/interim/daily.parquet")
    lookback, delays, steps = params.window.lookback, params.window.delays, params.forecast.recursive_steps
    frame = forecast(daily, columns, scalers, models, lookback, delays, steps)
    timings = warm_timings(daily, columns, scalers, models, lookback, delays, steps)

    write_csv("data/reports/forecast.csv", frame)
    parts = sorted(frame["part"].unique(), key=plots.natural_key)[:SHOWN_PARTS]
    history_rows = max(40, 2 * steps)
    plots.save_figure(plots.forecast_figure(daily, frame, parts, history_rows), "plots/forecast.png")
    summary = forecast_summary(frame)
    summary["engine"] = params.forecast.engine
    summary["warm_ms"] = timings
    write_json("metrics/forecast.json", summary)

    slowest = max((t.get("recursive_ms", t["direct_ms"]) for t in timings.values()), default=0.0)
    print(
        f"forecast ({params.forecast.engine}): {frame['part'].nunique()} part(s) x {len(models)} model(s), "
        f"{len(frame)} rows -> data/reports/forecast.csv; slowest warm forecast {slowest:.2f} ms"
        + (f" ({steps}-step recursive)" if steps else "")
    )


if __name__ == "__main__":
    run_stage(main)
