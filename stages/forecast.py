"""Stage forecast: every trained model forecasts the days after the data ends, beside the plan.

Reads the whole daily table (the forecast starts after its newest day, however far past ``train.until``)
and ``models/<name>/``, trained up to the cut (each model's manifest says what it takes and how it is
scaled) and runs the networks on ``forecast.engine`` (onnx: the ONNX files stage train exported beside
the weights, run by ONNX Runtime without TensorFlow, as the served model runs them; or keras). Writes
``data/reports/forecast.csv``, the planner's workbook ``data/reports/forecast.xlsx`` (in
``report.language``), ``plots/forecast.png``, ``data/reports/without_forecast.csv`` and
``metrics/forecast.json``, and the recommended forecast as a servable folder ``serving/recommended/``
(:mod:`plancast.serving`: route, design, how exports are read, the tabular models as ONNX/JSON, routed
networks, the horizon-trust table; ``plancast forecast`` and ``plancast serve`` run it). Timings live
in ``benchmarks/forecast_speed.py``, not in outputs.
"""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import read_json, write_csv, write_json
from plancast.data.daily import horizon_columns
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows
from plancast.forecasting import forecast_summary, without_forecast
from plancast.models.recommended import Recommendation
from plancast.models.store import load_model
from plancast.models.tabular_export import load_tabular_models
from plancast.pipeline.forecast import forecast
from plancast.pipeline.split_scale import Inputs, Prepared
from plancast.reporting import plots
from plancast.reporting.plot_style import save_figure
from plancast.reporting.workbook import write_workbook
from plancast.runtime import import_tensorflow
from plancast.serving import save_no_recommendation, save_recommended
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    folders = {name: io.read(catalog.MODEL, name) for name in params.train.models}
    engine, steps = params.forecast.engine, params.forecast.recursive_steps
    if engine == "keras":
        import_tensorflow()  # deterministic ops before Keras loads; ONNX Runtime needs no TensorFlow
    models = {name: load_model(folder, engine) for name, folder in folders.items()}
    daily = pd.read_parquet(io.read(catalog.DAILY))
    windows = Windows.load(io.read(catalog.WINDOWS))
    scalers = Scalers.from_json(read_json(io.read(catalog.SCALERS)))
    features = read_json(io.read(catalog.FEATURES))
    recommendation = Recommendation.from_json(read_json(io.read(catalog.RECOMMENDATION)))
    tabular = load_tabular_models(io.read(catalog.TABULAR))  # fitted once per training cut (stage train_tabular)
    inputs = Inputs(daily, windows, Prepared(None, scalers), features)
    made = forecast(params, inputs, models, recommendation, tabular)
    frame, skipped = made.frame, made.skipped
    trust = pd.read_csv(io.read(catalog.HORIZON_TRUST), dtype={"part": str})
    if not steps:
        save_recommended(
            io.write(catalog.RECOMMENDED_MODEL), recommendation, windows, features["columns"], scalers,
            len(horizon_columns(daily)), unwrap(params.daily), made.tabular, folders,
            profile_period=params.train.profile_period, gaps=params.window.gaps, reading=unwrap(params.ingest),
            trust=trust, report=unwrap(params.report),
        )  # fmt: skip
    else:
        save_no_recommendation(
            io.write(catalog.RECOMMENDED_MODEL), "forecast.recursive_steps > 0: no route among delays"
        )

    write_csv(io.write(catalog.FORECAST), frame)
    route = recommendation.to_json()["route"]
    as_of = daily["day"].max()  # the last day of data, never the clock: the workbook's bytes repeat
    write_workbook(io.write(catalog.WORKBOOK), frame, trust, skipped, route, as_of, params.report.language)
    # a long recursive forecast shows as much history as it forecasts
    history_days = max(plots.FORECAST_HISTORY_DAYS, steps)
    save_figure(plots.forecast_figure(daily, frame, history_days=history_days), io.write(catalog.FORECAST_PLOT))
    write_csv(io.write(catalog.WITHOUT_FORECAST), without_forecast(skipped))
    summary = forecast_summary(frame, skipped)
    summary["engine"] = engine
    summary["parts_cold_start"] = len(made.new_parts)
    write_json(io.write(catalog.FORECAST_METRICS), summary)
    print(
        f"forecast ({engine}): {frame['part'].nunique()} part(s) x {len(models)} model(s), "
        f"{len(frame)} rows -> {catalog.FORECAST.path}" + (f" ({steps}-step recursive)" if steps else "")
    )
    for part, days in list(made.new_parts.items())[:10]:
        print(f"  cold start for {part}: no training windows, scaled by its own {days} days")
    for part, reason in list(skipped.items())[:10]:
        print(f"  no forecast for {part}: {reason}")
    if len(skipped) > 10:
        print(f"  ... and {len(skipped) - 10} more parts without a forecast ({catalog.WITHOUT_FORECAST.path})")


if __name__ == "__main__":
    run_stage("forecast", main)
