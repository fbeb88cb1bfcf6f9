"""Stage evaluate: score every trained model and every baseline on the same validation and test windows.

Reads the daily table, windows, splits, scalers and ``models/<name>/`` of each ``train.models`` entry,
run on ``forecast.engine`` (onnx by default: the networks are scored as they are served);
writes ``metrics/summary.json`` (the few figures DVC compares) and ``data/reports/evaluation.json`` (the
choices and headline scores), every model's pooled scores, per-part and per-delay detail and every
prediction as CSV, the recommended forecast and the plan on windows with and without a gap
(``gap_skill.csv``), the tables behind the `dvc plots` charts (errors by model and part, loss curves with
the model as a column, the training record), and the PNG figures under ``plots/evaluate/``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plancast import catalog
from plancast.artifacts import load_npz, read_json, write_csv, write_json
from plancast.evaluation.evaluate import SUMMARY_DIGITS
from plancast.evaluation.recommendation import FIRM_SHARE
from plancast.evaluation.report_tables import report_tables
from plancast.features.scaling import Scalers
from plancast.features.splits import Splits
from plancast.features.windows import Windows
from plancast.models.curves import LIVE, loss_table, read_history
from plancast.models.store import load_model
from plancast.models.training import TRAINING_COLUMNS, print_line
from plancast.pipeline.evaluate import evaluate
from plancast.pipeline.split_scale import Inputs, Prepared
from plancast.reporting import evaluation_plots
from plancast.reporting.plot_style import save_figure
from plancast.runtime import import_tensorflow
from plancast.stage import StageIO, run_stage

RECORD = "training.json"  # inside a model folder (stages/train.py)


def main(params, io: StageIO) -> None:
    names = list(params.train.models)
    folders = {name: io.read(catalog.MODEL, name) for name in names}
    engine = params.forecast.engine
    if engine == "keras":
        import_tensorflow()  # deterministic ops before Keras loads; ONNX Runtime needs no TensorFlow
    models = {name: load_model(folder, engine) for name, folder in folders.items()}
    daily = pd.read_parquet(io.read(catalog.TRAINING_DAILY))
    windows = Windows.load(io.read(catalog.WINDOWS))
    splits = Splits.from_arrays(load_npz(io.read(catalog.SPLITS)))
    scalers = Scalers.from_json(read_json(io.read(catalog.SCALERS)))
    result = evaluate(params, Inputs(daily, windows, Prepared(splits, scalers)), models, progress=print_line)
    tables = report_tables(result, names)
    records = {name: read_json(folder / RECORD) for name, folder in folders.items()}
    histories = {name: read_history(folder / LIVE) for name, folder in folders.items()}
    write_json(io.write(catalog.EVALUATION), result.summary.to_json(), digits=SUMMARY_DIGITS)
    write_json(io.write(catalog.SUMMARY_METRICS), result.summary.people(), digits=3)
    write_csv(io.write(catalog.EVALUATE_PARTS), result.parts)
    write_csv(io.write(catalog.PREDICTIONS), result.predictions)
    write_csv(io.write(catalog.ERROR_BY_MODEL), tables.by_model)
    write_csv(io.write(catalog.ERROR_BY_PART), tables.by_part)
    write_csv(io.write(catalog.LOSS_CURVES), loss_table(histories))
    write_csv(io.write(catalog.BACKTEST), result.folds)
    write_csv(io.write(catalog.HORIZON_TRUST), result.horizon_trust)
    write_csv(io.write(catalog.GAP_SKILL), result.gap_skill)
    write_json(io.write(catalog.RECOMMENDATION), result.recommendation.to_json(), digits=17)
    training = pd.DataFrame([{"model": n, **r} for n, r in records.items()]).reindex(columns=list(TRAINING_COLUMNS))
    write_csv(io.write(catalog.TRAINING), training)

    figures = io.write(catalog.EVALUATE_FIGURES)
    best = result.summary.best_network
    save_figure(evaluation_plots.error_by_model(tables.by_model), figures / "error_by_model.png")
    save_figure(evaluation_plots.error_by_part(tables.by_part, best), figures / "error_by_part.png")
    save_figure(
        evaluation_plots.prediction_panels(
            result.predictions, tables.showcase_part, int(result.predictions["delay"].min())
        ),
        figures / "predictions_test.png",
    )
    losses = {name: record["loss"] for name, record in records.items()}
    save_figure(evaluation_plots.loss_curves(histories, losses), figures / "loss_curves.png")
    save_figure(evaluation_plots.horizon_trust_figure(result.horizon_trust), figures / "horizon_trust.png")

    summary = result.summary
    recommended = summary.recommended
    skill = summary.network.test_skill if best else float("nan")
    if not len(result.predictions[result.predictions["split"] == "test"]):
        against_plan = "no test windows: split_scale leaves no target days to test"
    elif not np.isfinite(windows.plan).any():
        against_plan = "no plan in the data"
    else:
        against_plan = f"skill vs plan {skill:+.3f}; the plan's test MAE {summary.plan.test_mae:.4g}"
    print(
        f"evaluate: {len(models)} network(s), {len(params.evaluate.tabular)} tabular model(s) and the baselines "
        f"on the same windows; best network {best} ({against_plan})"
    )
    loose = _loose_route_line(result)
    if loose:
        print(loose)
    print(
        f"evaluate: recommended forecast, route {recommended.to_json()['route']}: test MAE "
        f"{_number(recommended.test_mae)}, skill vs plan {_number(recommended.test_skill)}, 80%/95% interval "
        f"coverage {_number(recommended.coverage[80])}/{_number(recommended.coverage[95])} over "
        f"{recommended.folds} test fold(s)"
    )


def _loose_route_line(result) -> str | None:
    """One line where validation could not vouch for a delay's own best: that delay keeps the robust choice."""
    loose = result.loose_delays()
    if not loose:
        return None
    shown = ", ".join(f"D+{d} ({result.own_route[d]} won {result.firmness[d]:.0%})" for d in loose)
    kept = result.recommendation.route[loose[0]]
    return (
        f"evaluate: validation cannot rank the candidates at {shown} of bootstrap resamples, under "
        f"{FIRM_SHARE:.0%}: {'it keeps' if len(loose) == 1 else 'they keep'} the one robust choice, {kept}"
    )


def _number(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.4g}"


if __name__ == "__main__":
    run_stage("evaluate", main)
