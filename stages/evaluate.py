"""Stage evaluate: score every trained model and every baseline on the same validation and test windows.

Reads the daily table, windows, splits, scalers and ``models/<name>/`` of each ``train.models`` entry;
writes ``metrics/evaluate.json`` (pooled, model -> metric), per-part and per-delay detail and every
prediction as CSV, the tables behind the `dvc plots` bar charts, and the PNG figures under
``plots/evaluate/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plancast import plots
from plancast.artifacts import load_npz, read_json, write_csv, write_json
from plancast.evaluation import SUMMARY_DIGITS, evaluate, report_tables
from plancast.models import load_networks
from plancast.params import Params
from plancast.runtime import import_tensorflow
from plancast.stage import require_inputs, run_stage

FIGURES = Path("plots/evaluate")
LOGS = Path("dvclive/train")


def read_history(log_dir: Path) -> pd.DataFrame:
    """Loss per epoch as DVCLive logged it for one model: epoch, train_loss, val_loss (NaN if none)."""
    frames = []
    for split in ("train", "val"):
        path = log_dir / "plots" / "metrics" / split / "loss.tsv"
        if path.is_file():
            frame = pd.read_csv(path, sep="\t").rename(columns={"step": "epoch", "loss": f"{split}_loss"})
            frames.append(frame.set_index("epoch"))
    history = pd.concat(frames, axis=1) if frames else pd.DataFrame(columns=["train_loss", "val_loss"])
    history = history.reindex(columns=["train_loss", "val_loss"]).reset_index(names="epoch")
    history["epoch"] += 1  # DVCLive counts steps from 0; people count epochs from 1
    return history


def main(params: Params) -> None:
    require_inputs(
        {
            "data/interim/daily.parquet": "daily_last",
            "data/windows/windows.npz": "window",
            "data/prepared/splits.npz": "split_scale",
            "data/prepared/scalers.json": "split_scale",
        }
        | {Path("models") / name / "manifest.json": f"train@{name}" for name in params.train.models}
    )
    import_tensorflow(params.train.seed)
    models = {name: load_networks(Path("models") / name) for name in params.train.models}
    daily = pd.read_parquet("data/interim/daily.parquet")
    result = evaluate(
        daily,
        load_npz("data/windows/windows.npz"),
        load_npz("data/prepared/splits.npz"),
        read_json("data/prepared/scalers.json"),
        models,
        season_period=params.evaluate.season_period,
        ridge_alpha=params.evaluate.ridge_alpha,
        networks=list(params.train.models),
    )
    tables = report_tables(result, list(params.train.models))
    write_json("metrics/evaluate.json", result.summary, digits=SUMMARY_DIGITS)
    write_csv("data/reports/evaluate_parts.csv", result.parts)
    write_csv("data/reports/predictions.csv", result.predictions)
    write_csv("data/reports/error_by_model.csv", tables.by_model)
    write_csv("data/reports/error_by_part.csv", tables.by_part)

    best = result.summary["best_network"]
    plots.save_figure(plots.error_by_model(tables.by_model), FIGURES / "error_by_model.png")
    plots.save_figure(plots.error_by_part(tables.by_part, best), FIGURES / "error_by_part.png")
    plots.save_figure(
        plots.prediction_panels(result.predictions, tables.showcase_part, int(result.predictions["delay"].min())),
        FIGURES / "predictions_test.png",
    )
    histories = {name: read_history(LOGS / name) for name in params.train.models}
    losses = {name: params.models[name].loss for name in params.train.models}
    plots.save_figure(plots.loss_curves(histories, losses), FIGURES / "loss_curves.png")

    test = result.summary["test"]
    skill = test[best]["skill"]
    against_plan = (
        f"skill vs plan {skill:+.3f}; the plan's test MAE {test['baseline_plan']['mae']:.4g}"
        if skill == skill  # NaN when the data holds no plan (a plain series)
        else "no plan in the data"
    )
    print(
        f"evaluate: {len(models)} network(s) + 5 baselines on the same windows; best network {best} "
        f"(test MAE {test[best]['mae']:.4g}, {against_plan}); best overall by {result.summary['best_by']}: "
        f"{result.summary['best_model']}"
    )


if __name__ == "__main__":
    run_stage(main)
