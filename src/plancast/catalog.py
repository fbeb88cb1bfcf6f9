"""The one map of the pipeline: every artifact's path, format and producing stage, and each stage's edges.

Kedro's catalog, in the small: an artifact is named once here with its path and format; stage scripts
ask :class:`plancast.stage.StageIO` for paths by artifact (never a literal path), "input missing -> run
stage X first" comes from the producer named here, `docs/architecture.md`'s table is generated from here
(``python -m plancast.catalog``), and ``dvc.yaml`` is rendered whole from here (:data:`STAGES`, the
:data:`PLOTS` and :data:`IMAGES` of ``dvc plots``, the model artifacts of ``dvc artifacts get``) by
:func:`plancast.dvc_yaml.render`; ``tests/test_pipeline_definition.py`` holds the file to it. The end-to-end
test records what each stage really read and wrote (params keys included) and holds that equal to
:data:`STAGES` too.

Why a module rather than DVC ``vars:`` or paths on the command line: the stages, the input checks, the
tests and the docs are Python, so a Python map is read by all of them without parsing YAML templates,
and the wiring test can compare the two maps (this one and ``dvc.yaml``) key by key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Role = Literal["out", "metrics", "plots"]


@dataclass(frozen=True)
class Artifact:
    """A file or folder one stage writes. ``path`` may hold ``{model}`` (one per trained model).

    ``cache``: False for small results committed to git (metrics, reports, figures) so that
    ``dvc metrics diff``/``plots diff`` and pull requests read them without a remote; True for data
    and models, which live in DVC's cache. ``role``: how dvc.yaml declares it (``outs``, ``metrics``).
    ``persist``: DVC keeps it when the stage reruns (``persist: true``) instead of deleting it first: a
    stage's own cache of work it need not redo.
    """

    path: str
    format: str
    stage: str
    description: str
    cache: bool = True
    role: Role = "out"
    persist: bool = False

    def at(self, model: str | None = None) -> Path:
        return Path(self.path.format(model=model) if "{model}" in self.path else self.path)

    @property
    def per_model(self) -> bool:
        return "{model}" in self.path

    def dvc_path(self, foreach: bool = True) -> str:
        """The path as dvc.yaml writes it: ``${item}`` inside a foreach stage, else the folder of all models."""
        if not self.per_model:
            return self.path
        return self.path.replace("{model}", "${item}") if foreach else self.path.split("/{model}")[0]


def _a(
    path: str, fmt: str, stage: str, description: str, cache: bool = True, role: Role = "out", persist: bool = False
) -> Artifact:
    return Artifact(path, fmt, stage, description, cache, role, persist)


# make_sample
PLAN_SAMPLE = _a("data/raw/plan_sample.xls", "xls", "make_sample", "bundled plan-snapshot export (Seed B's schema)")
PLAN_EXPORTS = _a(
    "data/raw/plan_exports", "folder", "make_sample", "the export as one file per working day (layout daily_files)"
)
SEED_A_SAMPLE = _a("data/raw/seed_a.csv", "csv", "make_sample", "Seed A's synthetic wave")
# ingest
SNAPSHOTS = _a("data/interim/snapshots.parquet", "parquet", "ingest", "canonical snapshot table")
REJECTS = _a("data/interim/rejects.csv", "csv", "ingest", "rejected rows with file, sheet, row, column, reason")
CONFLICTS = _a("data/interim/conflicts.csv", "csv", "ingest", "snapshots revised between files: both values")
INGEST_METRICS = _a("metrics/ingest.json", "json", "ingest", "rows read, kept, rejected; parts", False, "metrics")
INGEST_SOURCES = _a(
    "data/reports/ingest_sources.json",
    "json",
    "ingest",
    "sheets read and skipped, encodings, renamed part ids, rejects by reason",
    False,
)
INGEST_CACHE = _a(
    "data/interim/ingest_cache", "folder", "ingest", "each export file's validated rows, by file hash", persist=True
)
# daily_last
DAILY = _a("data/interim/daily.parquet", "parquet", "daily_last", "one row per part per day")
TRAINING_DAILY = _a(
    "data/interim/training_daily.parquet", "parquet", "daily_last", "the daily table's days up to train.until"
)
DAILY_PARTS = _a("data/reports/daily_last_parts.json", "json", "daily_last", "days and snapshots per part", False)
DAILY_METRICS = _a("metrics/daily_last.json", "json", "daily_last", "days, snapshots, date range", False, "metrics")
# correlate
CORRELATION = _a("data/reports/correlation.csv", "csv", "correlate", "r of actual vs plan per part, horizon", False)
HEATMAP = _a("plots/correlation_heatmap.png", "png", "correlate", "parts x horizons heatmap", False)
CORRELATION_PARTS = _a("data/reports/correlate_parts.json", "json", "correlate", "r per part and horizon", False)
CORRELATION_METRICS = _a("metrics/correlate.json", "json", "correlate", "best horizon, its pooled r", False, "metrics")
# select_features
FEATURES = _a("data/features/features.json", "json", "select_features", "each part's input columns")
# window
WINDOWS = _a("data/windows/windows.npz", "npz", "window", "lookback windows, targets, plan")
WINDOW_PARTS = _a("data/reports/window_parts.json", "json", "window", "windows per part", False)
WINDOW_METRICS = _a("metrics/window.json", "json", "window", "window count and shapes", False, "metrics")
# split_scale
SPLITS = _a("data/prepared/splits.npz", "npz", "split_scale", "scaled train/val/test windows")
SCALERS = _a("data/prepared/scalers.json", "json", "split_scale", "per-part scalers (training rows only)")
SPLIT_PARTS = _a("data/reports/split_scale_parts.json", "json", "split_scale", "windows per part and split", False)
SPLIT_METRICS = _a("metrics/split_scale.json", "json", "split_scale", "windows per split", False, "metrics")
# train_tabular (beside models/, which evaluate reads whole: it needs no tabular model fitted on all windows)
TABULAR = _a("data/tabular", "folder", "train_tabular", "tabular models fitted on every training window (ONNX, JSON)")
# train@<model>
MODEL = _a("models/{model}", "folder", "train", "manifest.json, network.json, weights, training record, curves")


def model_artifact(model: str) -> str:
    """The name dvc.yaml's ``artifacts:`` gives a network's folder (DVC's names allow no ``_``)."""
    return "plancast-" + model.replace("_", "-")


# evaluate
PREDICTIONS = _a("data/reports/predictions.csv", "csv", "evaluate", "every validation/test prediction")
EVALUATE_PARTS = _a("data/reports/evaluate_parts.csv", "csv", "evaluate", "metrics per model, part, delay")
ERROR_BY_MODEL = _a("data/reports/error_by_model.csv", "csv", "evaluate", "pooled scores per model and split", False)
ERROR_BY_PART = _a("data/reports/error_by_part.csv", "csv", "evaluate", "best network vs plan per part", False)
LOSS_CURVES = _a("data/reports/loss_curves.csv", "csv", "evaluate", "loss per model, epoch and split", False)
TRAINING = _a("data/reports/training.csv", "csv", "evaluate", "epochs, kept epoch, best loss per model", False)
HORIZON_TRUST = _a(
    "data/reports/horizon_trust.csv",
    "csv",
    "evaluate",
    "the plan's error per part and horizon; where we beat it",
    False,
)
BACKTEST = _a("data/reports/backtest.csv", "csv", "evaluate", "MAE and skill per model and test fold", False)
GAP_SKILL = _a(
    "data/reports/gap_skill.csv", "csv", "evaluate", "recommended vs plan per delay, windows with/without a gap", False
)
RECOMMENDATION = _a(
    "data/reports/recommendation.json", "json", "evaluate", "route per delay, interval half-widths", False
)
EVALUATE_FIGURES = _a("plots/evaluate", "folder", "evaluate", "PNG figures of the evaluation", False)
EVALUATION = _a(
    "data/reports/evaluation.json", "json", "evaluate", "choices on validation; recommended, plan, best scores", False
)
SUMMARY_METRICS = _a(
    "metrics/summary.json",
    "json",
    "evaluate",
    "the few figures for `dvc exp show`: recommended skill",
    False,
    "metrics",
)
# forecast
FORECAST = _a("data/reports/forecast.csv", "csv", "forecast", "every model's forecast beside the plan", False)
FORECAST_PLOT = _a("plots/forecast.png", "png", "forecast", "history and forecasts", False)
WORKBOOK = _a("data/reports/forecast.xlsx", "xlsx", "forecast", "the planner's workbook: next days, trust", False)
WITHOUT_FORECAST = _a("data/reports/without_forecast.csv", "csv", "forecast", "parts without a forecast: why", False)
FORECAST_METRICS = _a(
    "metrics/forecast.json", "json", "forecast", "parts with and without a forecast; the total", False, "metrics"
)
# Outside models/: evaluate and forecast depend on the whole models/ folder (one train@ stage per network),
# and DVC refuses an output inside a stage's own dependency.
RECOMMENDED_MODEL = _a(
    "serving/recommended", "folder", "forecast", "the recommended forecast, servable: route, design, ONNX, JSON"
)
RECOMMENDED_ARTIFACT = "plancast-recommended"  # its name in dvc.yaml's `artifacts:` (`dvc artifacts get`)
# monitor. The log and the history outlive every run: persist (a rerun does not delete them first) and
# committed to git, never cached (`dvc checkout` leaves them alone); docs/monitoring.md
FORECAST_LOG = _a(
    "data/monitor/forecasts",
    "folder",
    "monitor",
    "the recommended forecast made each morning: one CSV per origin day, written once",
    False,
    persist=True,
)
HISTORY = _a(
    "data/monitor/history.csv",
    "csv",
    "monitor",
    "each logged forecast whose day has its actual: ours and the plan's error per part, origin, delay",
    False,
    persist=True,
)
LIVE_SKILL = _a(
    "data/monitor/live_skill.csv", "csv", "monitor", "per day: live skill over the window, band, alarm", False
)
LIVE_HORIZONS = _a(
    "data/monitor/live_horizons.csv", "csv", "monitor", "per delay: live skill vs the backtest's, plan shift", False
)
MONITOR_METRICS = _a(
    "metrics/monitor.json", "json", "monitor", "live skill, plan shift, retrain: the last day's", False, "metrics"
)

INGEST_SOURCE = "${ingest.source}"  # the user's export: a dep of stage ingest named by a param


@dataclass(frozen=True)
class Plot:
    """A chart of ``dvc plots``: column ``y`` of ``table`` against column ``x``, drawn by the vega-lite
    template ``.dvc/plots/<template>.json`` (DVC's ``<DVC_METRIC_*>`` anchors take these fields)."""

    title: str
    template: str
    table: Artifact
    x: str
    y: str
    x_label: str
    y_label: str


PLOTS = (
    Plot("Loss per epoch, every model and split", template="loss_curves", table=LOSS_CURVES,
         x="epoch", y="loss", x_label="epoch", y_label="loss (scaled target units)"),
    Plot("Test MAE by model and baseline (units)", template="error_by_model", table=ERROR_BY_MODEL,
         x="test_mae", y="model", x_label="test MAE (quantity units), lower is better", y_label="model"),
    Plot("Test MAE by part, best model (units)", template="error_by_part", table=ERROR_BY_PART,
         x="test_mae", y="part", x_label="test MAE (quantity units)", y_label="part"),
    Plot("Correlation of actual with plan by horizon, pooled over parts", template="correlation_pooled",
         table=CORRELATION, x="horizon", y="correlation",
         x_label="plan horizon (plan made k days before the day)", y_label="Pearson r (actual vs plan)"),
    Plot("Live skill of the recommended forecast vs the backtest, pooled over horizons", template="live_skill",
         table=LIVE_SKILL, x="day", y="live_skill",
         x_label="day (each over its last monitor.days working days)", y_label="skill, 1 - MAE / plan's MAE"),
    Plot("Live skill by horizon on the last day vs the backtest", template="live_horizons",
         table=LIVE_HORIZONS, x="delay", y="live_skill",
         x_label="delay (days ahead)", y_label="skill, 1 - MAE / plan's MAE"),
)  # fmt: skip
IMAGES = (HEATMAP, EVALUATE_FIGURES, FORECAST_PLOT)  # figures `dvc plots` shows as they are


@dataclass(frozen=True)
class ModelArtifact:
    """A folder ``dvc artifacts get <repo> <name>`` serves: an entry of dvc.yaml's ``artifacts:``."""

    name: str
    path: str
    desc: str
    labels: tuple[str, ...]
    type: str = "model"


NETWORKS = {  # params.yaml's `models`: what each network is, and the seed project whose setup it follows
    "lstm_sigmoid": ("one LSTM layer with sigmoid activation", "seed-a"),
    "lstm": ("one LSTM layer", "seed-a"),
    "gru": ("one GRU layer", "seed-a"),
    "lstm_gru": ("an LSTM layer feeding a GRU layer", "seed-a"),
    "hand_lstm": ("two stacked layers of our hand-written LSTM cell", "seed-b"),
}
RECOMMENDED_FORECAST = ModelArtifact(
    RECOMMENDED_ARTIFACT,
    RECOMMENDED_MODEL.path,
    "the recommended forecast per delay with its intervals; route, input design, scalers, tabular models as "
    "ONNX/JSON, routed networks (Keras weights + ONNX)",
    ("plancast", "recommended", "onnx"),
)
NETWORK_ARTIFACTS = tuple(
    ModelArtifact(
        model_artifact(name),
        MODEL.at(name).as_posix(),
        f"{what} (Keras 3); manifest.json, network.json, weights, ONNX, training.json",
        ("plancast", seed),
    )
    for name, (what, seed) in NETWORKS.items()
)


@dataclass(frozen=True)
class StageSpec:
    """One stage's edges: the artifacts it reads and writes and the params keys it reads.

    ``foreach``: the params list a stage is repeated over (``train.models`` for train@<model>);
    ``${item}`` in ``params`` is that item. ``external``: deps that are not artifacts of a stage.
    """

    name: str
    reads: tuple[Artifact, ...]
    writes: tuple[Artifact, ...]
    params: tuple[str, ...]
    foreach: str | None = None
    external: tuple[str, ...] = ()

    @property
    def script(self) -> str:
        return f"stages/{self.name}.py"


TRAIN_PARAMS = (
    *("train.seed", "train.scope", "train.target", "train.context", "train.profile_period", "train.backend"),
    *("train.ray_address", "models.${item}"),
)  # train@<model>: the train keys every model shares, and the model's own entry

# correlate .. evaluate read the training table (the days up to train.until), forecast the whole daily table:
# a new day's export after the cut reruns ingest, daily_last and forecast only (plancast.data.training_cut)
STAGES: dict[str, StageSpec] = {
    spec.name: spec
    for spec in (
        StageSpec("make_sample", (), (PLAN_SAMPLE, PLAN_EXPORTS, SEED_A_SAMPLE), ("sample",)),
        StageSpec(
            "ingest",
            (),
            (SNAPSHOTS, REJECTS, CONFLICTS, INGEST_METRICS, INGEST_SOURCES, INGEST_CACHE),
            ("ingest", "daily"),
            external=(INGEST_SOURCE,),
        ),
        StageSpec(
            "daily_last", (SNAPSHOTS,), (DAILY, TRAINING_DAILY, DAILY_PARTS, DAILY_METRICS), ("daily", "train.until")
        ),
        StageSpec(
            "correlate",
            (TRAINING_DAILY,),
            (CORRELATION, HEATMAP, CORRELATION_PARTS, CORRELATION_METRICS),
            ("correlate",),
        ),
        StageSpec("select_features", (TRAINING_DAILY, CORRELATION), (FEATURES,), ("select_features",)),
        StageSpec(
            "window", (TRAINING_DAILY, FEATURES), (WINDOWS, WINDOW_PARTS, WINDOW_METRICS), ("window", "train.until")
        ),
        StageSpec(
            "split_scale", (WINDOWS,), (SPLITS, SCALERS, SPLIT_PARTS, SPLIT_METRICS), ("split_scale", "window.gaps")
        ),
        StageSpec(
            "train",
            (TRAINING_DAILY, WINDOWS, SPLITS, SCALERS, FEATURES),
            (MODEL,),
            TRAIN_PARAMS,
            foreach="train.models",
        ),
        StageSpec(
            "train_tabular",
            (TRAINING_DAILY, WINDOWS, SCALERS),
            (TABULAR,),
            ("evaluate.tabular", "evaluate.boosted_rows", "train.profile_period", "forecast.recursive_steps"),
        ),
        StageSpec(
            "evaluate",
            (TRAINING_DAILY, WINDOWS, SPLITS, SCALERS, MODEL),
            (
                PREDICTIONS,
                EVALUATE_PARTS,
                ERROR_BY_MODEL,
                ERROR_BY_PART,
                LOSS_CURVES,
                TRAINING,
                BACKTEST,
                HORIZON_TRUST,
                GAP_SKILL,
                RECOMMENDATION,
                EVALUATION,
                EVALUATE_FIGURES,
                SUMMARY_METRICS,
            ),
            (
                *("train.models", "train.profile_period", "train.backend", "train.ray_address", "evaluate"),
                *("forecast.engine", "forecast.recursive_steps"),
            ),
        ),
        StageSpec(
            "forecast",
            (DAILY, WINDOWS, FEATURES, SCALERS, TABULAR, RECOMMENDATION, HORIZON_TRUST, MODEL),
            (FORECAST, FORECAST_PLOT, WORKBOOK, WITHOUT_FORECAST, FORECAST_METRICS, RECOMMENDED_MODEL),
            ("ingest", "daily", "window.gaps", "train.models", "train.profile_period", "forecast", "report"),
        ),
        StageSpec(
            "monitor",
            (FORECAST, DAILY, BACKTEST, HORIZON_TRUST),
            (FORECAST_LOG, HISTORY, LIVE_SKILL, LIVE_HORIZONS, MONITOR_METRICS),
            ("monitor",),
        ),
    )
}


def producer(artifact: Artifact, model: str | None = None) -> str:
    """How to make ``artifact``: its stage name as ``dvc repro`` takes it (``train@<model>``)."""
    return f"{artifact.stage}@{model or '<model>'}" if artifact.per_model else artifact.stage


def markdown_table() -> str:
    """The stages as a Markdown table (reads, writes, params), for docs/architecture.md."""
    lines = ["| stage | reads | writes | params |", "|---|---|---|---|"]
    for spec in STAGES.values():
        name = f"{spec.name}@<model>" if spec.foreach else spec.name
        reads = ", ".join([f"`{a.path}`" for a in spec.reads] + [f"`{e}`" for e in spec.external]) or "—"
        writes = ", ".join(f"`{a.path}`" for a in spec.writes)
        params = ", ".join(f"`{p}`" for p in spec.params) or "—"
        lines.append(f"| {name} | {reads} | {writes} | {params} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m plancast.catalog` prints the table
    sys.stdout.write(markdown_table())
