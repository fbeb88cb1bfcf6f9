"""The recommended forecast as one servable folder: everything to forecast from the daily table alone.

Stage forecast fits the recommended forecast (the tabular models refitted on every window with a known
target, the route per delay stage evaluate chose on validation) and writes it with
:func:`save_recommended` to ``serving/recommended/`` (``plancast.catalog.RECOMMENDED_MODEL``; dvc.yaml
artifact ``plancast-recommended``)::

    recommended.json      route and intervals (data/reports/recommendation.json), the design the
                          models' inputs are built with (lookback, delays, each part's columns,
                          max_horizon, the daily calendar, ``gaps`` where ``keep``, how an export
                          is read: the ingest section without source and pattern), which file holds
                          which model, the workbook's language, and the SHA-256 of every other file
    scalers.json          each part's scalers (fitted on training rows)
    horizon_trust.csv     data/reports/horizon_trust.csv: the workbook's Trust sheet, the test skill per delay
    boosted-d<k>.onnx     gradient-boosted trees of delay k (ONNX TreeEnsembleRegressor)
    plan_linear.json      the plan corrected per part: Ridge coefficients (when routed)
    baseline_<name>.json  a routed baseline's fit (:mod:`plancast.models.baseline_models`): the season
                          period, each part's training mean, the window Ridge's coefficients or each
                          part's AutoETS model; ``{}`` for the last value
    networks/<name>/      a routed network's model folder: manifest, network.json, weights, ONNX

Only the models the route needs are written (both halves of a routed combination). No pickle: ONNX,
JSON and Keras weights; the loader runs everything with ONNX Runtime (no TensorFlow, no scikit-learn
fit). :func:`load_recommended` checks the folder against ``recommended.json`` before it loads anything
(:mod:`plancast.serving_manifest`: its schema, every path inside the folder, every opened file listed
with its SHA-256), each problem one line naming the file. Then::

    model = load_recommended("serving/recommended")
    rows = model.forecast(pd.read_parquet("data/interim/daily.parquet"))

gives the rows ``model == "recommended"`` of ``data/reports/forecast.csv`` (float32 tolerance).
:meth:`RecommendedModel.forecast` takes a daily table as stage daily_last writes it and refuses, in one
line, a table that is not one (:func:`plancast.serving_daily.daily_table`): a missing column, a wrong
dtype, two rows for one part and day, a day off the model's calendar, a working day without its row or
no actual in any part's latest window. :meth:`RecommendedModel.forecast_exports` takes the export files
themselves (:mod:`plancast.serving_exports`: ingest's reading and checks), and :meth:`RecommendedModel.write`
writes the answer as forecast.csv's rows or the planner's workbook (``plancast forecast``, ``plancast serve``).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plancast.artifacts import atomic_folder, read_json, write_csv, write_json
from plancast.data.validation import REJECT_COLUMNS
from plancast.errors import InputDataError
from plancast.evaluation import horizon_trust
from plancast.features.cold_start import with_new_parts
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows
from plancast.forecasting import COLUMNS, INTERVAL_COLUMNS, recommended_forecast
from plancast.latest_window import latest_windows
from plancast.models.baseline_models import BaselineFits
from plancast.models.onnx import onnx_file
from plancast.models.recommended import Recommendation
from plancast.models.store import MANIFEST_FILE, NETWORK_FILE, load_onnx_model, read_manifest
from plancast.models.tabular import TabularModel
from plancast.models.tabular_export import load_tabular, save_tabular
from plancast.models.trained import TrainedModel
from plancast.names import RECOMMENDED, is_baseline
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams, Gaps, ReportParams
from plancast.serving_daily import daily_table, day_text
from plancast.serving_exports import daily_from_exports
from plancast.serving_manifest import (
    EXPORT_FILES,
    FORMAT,
    MANIFEST,
    NETWORKS,
    SCALERS,
    TRUST,
    Design,
    check_folder,
    check_network_files,
    file_sha256,
    one_line,
    read_recommended_manifest,
)

_EXACT = 17
WRITES = (".csv", ".xlsx")  # what RecommendedModel.write writes: forecast.csv's rows, the planner's workbook


def save_recommended(
    folder: str | Path,
    recommendation: Recommendation,
    windows: Windows,
    columns: Mapping[str, Sequence[str]],
    scalers: Scalers,
    max_horizon: int,
    daily_params: DailyParams,
    tabular: Mapping[str, TabularModel],
    networks: Mapping[str, str | Path],
    profile_period: int | None = None,
    gaps: Gaps = "drop",
    *,
    reading: IngestParams,
    trust: pd.DataFrame,
    report: ReportParams,
) -> dict[str, Any]:
    """Write the recommended forecast's folder (layout: module doc); returns its ``recommended.json``.

    ``windows``: the pipeline's windows (lookback, delays, feature names); ``columns``: features.json's
    columns (kept for the parts with scalers); ``tabular``: the fitted tabular models by name;
    ``networks``: each trained network's model folder by name; ``gaps``: ``window.gaps``, which latest
    windows the served model takes (written to the design only when ``keep``: a folder without it is
    ``drop``'s); ``reading``: the ingest section the exports were read with (kept without ``source`` and
    ``pattern``); ``trust``: horizon_trust.csv's table; ``report``: the workbook's settings. The routed
    baselines' fits come with ``recommendation``. A route naming a model that is in neither, or a baseline
    without its fit, raises InputDataError (rerun stage evaluate). Byte-identical for identical inputs.
    """
    needed = recommendation.needed_models()
    routed_baselines = {name for name in recommendation.route.values() if is_baseline(name)} - {recommendation.plan}
    missing = sorted((needed - set(tabular) - set(networks)) | (routed_baselines - set(recommendation.baselines)))
    if missing:
        raise InputDataError(
            f"data/reports/recommendation.json: routes to {missing[0]!r}, which this pipeline does not have "
            "(rerun stage evaluate)"
        )
    delays = [int(d) for d in windows.delays]
    parts = sorted(p for p in columns if p in scalers.parts)
    with atomic_folder(folder) as staging:
        entries = {name: save_tabular(tabular[name], staging, name, delays) for name in sorted(needed & set(tabular))}
        copied = {}
        for name in sorted(needed & set(networks)):
            copied[name] = f"{NETWORKS}/{name}"
            _copy_network(Path(networks[name]), staging / copied[name])
        baselines = {name: f"{name}.json" for name in sorted(recommendation.baselines)}
        for name, file in baselines.items():
            write_json(staging / file, recommendation.baselines[name], _EXACT)
        write_json(staging / SCALERS, Scalers(scalers.kind, {p: scalers.parts[p] for p in parts}).to_json(), _EXACT)
        write_csv(staging / TRUST, trust.reindex(columns=horizon_trust.COLUMNS))
        manifest = {
            "format": FORMAT,
            "recommendation": {k: v for k, v in recommendation.to_json().items() if k != "baselines"},
            "design": {
                "lookback": int(windows.inputs.shape[1]),
                "delays": delays,
                "feature_names": [str(name) for name in windows.feature_names],
                "columns": {p: list(columns[p]) for p in parts},
                "max_horizon": int(max_horizon),
                "profile_period": profile_period,
                "daily": daily_params.model_dump(mode="json"),
                **({"gaps": gaps} if gaps != "drop" else {}),
                "ingest": reading.model_dump(mode="json", exclude=set(EXPORT_FILES)),
            },
            "report": report.model_dump(mode="json"),
            "tabular": entries,
            "networks": copied,
            **({"baselines": baselines} if baselines else {}),
            "files": {
                path.relative_to(staging).as_posix(): file_sha256(path)
                for path in sorted(staging.rglob("*"))
                if path.is_file()
            },
        }
        write_json(staging / MANIFEST, manifest, _EXACT)
    return manifest


def save_no_recommendation(folder: str | Path, why: str) -> None:
    """The folder when this configuration has no recommended forecast (a recursive-only series): a
    ``recommended.json`` saying why, which :func:`load_recommended` reports."""
    with atomic_folder(folder) as staging:
        write_json(staging / MANIFEST, {"format": FORMAT, "none": why, "files": {}})


def _copy_network(source: Path, target: Path) -> None:
    """A network's model folder, as served: manifest, network.json, each weights file and its ONNX."""
    manifest = read_manifest(source)
    target.mkdir(parents=True)
    files = {MANIFEST_FILE, NETWORK_FILE} | set(manifest.weights.values())
    files |= {onnx_file(file) for file in manifest.weights.values()}
    for file in sorted(files):
        if not (source / file).is_file():
            raise InputDataError(f"{source / file}: not found (rerun `dvc repro train@{manifest.model}`)")
        shutil.copyfile(source / file, target / file)


def _scalers(folder: Path, design: Design) -> Scalers:
    path = folder / SCALERS
    try:
        scalers = Scalers.from_json(read_json(path))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputDataError(f"{path}: not plancast scalers ({type(exc).__name__}: {one_line(exc)})") from None
    width = len(design.feature_names)
    for part in sorted(design.columns):
        scaler = scalers.parts.get(part)
        if scaler is None:
            raise InputDataError(f"{path}: no scaler for part {part!r}, which {MANIFEST}'s design.columns names")
        if scaler.feature_offset.shape != (width,) or scaler.feature_scale.shape != (width,):
            raise InputDataError(
                f"{path}: part {part!r} scales {scaler.feature_offset.size} inputs, the design has {width}"
            )
    return scalers


def _baseline_fit(path: Path, name: str) -> dict[str, Any]:
    """A routed baseline's fit as :func:`save_recommended` wrote it, checked by reading it as one."""
    try:
        fit = read_json(path)
        BaselineFits.from_json({name: fit})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputDataError(f"{path}: not a plancast {name} fit ({type(exc).__name__}: {one_line(exc)})") from None
    return fit


def _trust(folder: Path) -> pd.DataFrame:
    """The folder's horizon-trust table, with every column of horizon_trust.csv."""
    path = folder / TRUST
    try:
        trust = pd.read_csv(path, dtype={"part": str})
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: not a readable CSV file ({type(exc).__name__}: {one_line(exc)})") from None
    absent = [column for column in horizon_trust.COLUMNS if column not in trust.columns]
    if absent:
        raise InputDataError(f"{path}: no column {absent[0]!r} (stage evaluate's horizon_trust.csv has it)")
    return trust


@dataclass(frozen=True)
class ServedForecast:
    """The served model's answer for one daily table: ``rows`` as forecast.csv's recommended rows, every
    forecast finite; ``skipped``: each part of the table without a forecast for some day ahead, and why;
    ``as_of``: the table's last day (the workbook's "as of"); ``rejects``: the export rows left out under
    ``ingest.on_bad_rows: quarantine`` (ingest's REJECT_COLUMNS)."""

    rows: pd.DataFrame
    skipped: dict[str, str]
    as_of: Any = None
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))


@dataclass(frozen=True)
class RecommendedModel:
    """A loaded recommended forecast (:func:`load_recommended`); :meth:`forecast` gives its rows.

    ``trust``: the horizon-trust table of its test period; ``version``: the SHA-256 of its
    ``recommended.json``, which lists every other file's, so one folder's bytes have one version."""

    folder: Path
    recommendation: Recommendation
    design: Design
    scalers: Scalers
    tabular: dict[str, TabularModel]
    networks: dict[str, TrainedModel]
    trust: pd.DataFrame
    report: ReportParams
    version: str

    @property
    def route(self) -> dict[int, str]:
        return self.recommendation.route

    def card(self) -> dict[str, Any]:
        """What the model is, for a caller (``GET /model``): its version, route, design and, per delay, its
        test MAE pooled over parts beside the plan's on the same windows and the skill 1 − ours / plan's."""
        design = self.design
        return {
            "version": self.version,
            "format": FORMAT,
            "route": {str(k): name for k, name in sorted(self.route.items())},
            "delays": design.delays,
            "lookback": design.lookback,
            "parts": sorted(design.columns),
            "test": {str(k): figures for k, figures in horizon_trust.pooled_skill(self.trust, design.delays).items()},
        }

    def forecast_exports(self, paths: Sequence[str | Path]) -> pd.DataFrame:
        """:meth:`forecast` of the export files ``paths`` themselves, read as stage ingest reads them."""
        return self.serve_exports(paths).rows

    def serve_exports(self, paths: Sequence[str | Path]) -> ServedForecast:
        """:meth:`serve` of the export files ``paths`` (.xls, .xlsx, .csv, .parquet), read and checked by
        ingest's code with the reading the model was trained with, laid on its calendar as daily_last
        does (:func:`plancast.serving_exports.daily_from_exports`); a bad file or row raises ingest's
        one line naming the file, sheet, row and column. Reads only ``paths``; writes nothing."""
        exports = daily_from_exports(paths, self.design.ingest, self.design.daily)
        return replace(self.serve(exports.daily), rejects=exports.rejects)

    def write(self, served: ServedForecast, path: str | Path) -> None:
        """Write ``served`` to ``path`` by its suffix (:data:`WRITES`): ``.csv`` as forecast.csv's recommended
        rows (the stage's CSV format), ``.xlsx`` as the planner's workbook (in the folder's ``report``
        language, its Trust sheet from the folder's horizon-trust table). Atomic: a temporary file beside it."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            write_csv(path, served.rows)
        elif suffix == ".xlsx":
            from plancast.reporting.workbook import write_workbook  # matplotlib (part order), only for a workbook

            route = self.recommendation.to_json()["route"]
            write_workbook(path, served.rows, self.trust, served.skipped, route, served.as_of, self.report.language)
        else:
            raise InputDataError(f"{path}: cannot write a {suffix or 'suffix-less'} file (write {' or '.join(WRITES)})")

    def forecast(self, daily: pd.DataFrame) -> pd.DataFrame:
        """The recommended forecast of the days after ``daily`` ends, with its 80%/95% intervals.

        ``daily`` is a daily table as stage daily_last writes it (:func:`plancast.serving_daily.daily_table`:
        ``part``, ``day``, ``position``, ``present``, ``target``, the horizon columns ``h1..hK``). Rows as
        data/reports/forecast.csv's (method, part, model ``recommended``, step_ahead, day, forecast,
        plan, lower/upper_80/95), every forecast finite; :meth:`serve` also says which parts have none.
        """
        return self.serve(daily).rows

    def serve(self, daily: pd.DataFrame) -> ServedForecast:
        """:meth:`forecast`'s rows and the parts without a forecast, each with why: the model was not
        fitted on it, its latest ``lookback`` days miss a snapshot or a value (with the design's ``gaps``
        ``keep``: hold no snapshot at all), or (a day ahead) an input the routed model reads is empty,
        such as the plan of the last day."""
        design = self.design
        reader = f"the recommended model of {self.folder}"
        table = daily_table(daily, design.inputs, design.daily, design.lookback, reader)
        frame = table.frame
        fitted = {part: columns for part, columns in design.columns.items() if part in self.scalers.parts}
        new = with_new_parts(frame, fitted, self.scalers, self.recommendation.scales, design.lookback)
        latest = latest_windows(
            frame, design.lookback, design.delays, new.columns, table.calendar, design.feature_names,
            not_trained="not fitted on it, and too few days of its own (the lookback) for a cold start",
            gaps=design.gaps,
        )  # fmt: skip
        skipped = dict(latest.skipped)
        empty = pd.DataFrame(columns=[*COLUMNS, *INTERVAL_COLUMNS])
        as_of = frame["day"].max()
        if not len(latest.part):
            return ServedForecast(empty, skipped, as_of)
        networks = {name: model.with_new_parts(new.columns, new.scalers) for name, model in self.networks.items()}
        result = recommended_forecast(
            frame, latest, new.scalers, networks, self.tabular, replace(self.recommendation, scales=new.scales),
            table.calendar, max_horizon=design.max_horizon, profile_period=design.profile_period,
        )  # fmt: skip
        rows = result[result["model"] == RECOMMENDED].reset_index(drop=True).reindex(columns=empty.columns)
        finite = np.isfinite(rows["forecast"].to_numpy(np.float64))
        last = frame.groupby("part", sort=True).tail(1).set_index("part")
        for part, missing in rows[~finite].groupby("part", sort=True):
            ahead = [int(k) for k in missing["step_ahead"]]
            empty_plan = [k for k in ahead if np.isnan(last.loc[part].get(f"h{k}", np.nan))]
            if empty_plan:
                day = day_text(last.loc[part, "day"])
                k = empty_plan[0]
                skipped[str(part)] = f"no forecast {k} days ahead: the plan h{k} of its last day, {day}, is empty"
            else:
                names = sorted({self.route[k] for k in ahead})
                skipped[str(part)] = (
                    f"no finite forecast {', '.join(map(str, ahead))} days ahead from {', '.join(names)}"
                )
        return ServedForecast(rows[finite].reset_index(drop=True), skipped, as_of)


def load_recommended(folder: str | Path) -> RecommendedModel:
    """The recommended forecast :func:`save_recommended` wrote to ``folder``, run by ONNX Runtime.

    Before loading anything: ``recommended.json`` against its schema (:func:`read_recommended_manifest`),
    then every file the loader opens against the list and its SHA-256 (:func:`check_folder`). A bad
    manifest, a path leaving the folder, an unlisted, missing, changed or unreadable file raises
    InputDataError with one line naming it.
    """
    folder = Path(folder)
    manifest = read_recommended_manifest(folder)
    check_folder(folder, manifest)
    for sub in sorted(manifest.networks.values()):
        check_network_files(folder, manifest, sub)
    scalers = _scalers(folder, manifest.design)
    tabular = {}
    for name, entry in manifest.tabular.items():
        try:
            tabular[name] = load_tabular(entry.model_dump(), folder)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            files = ", ".join(str(folder / file) for file in entry.files)
            raise InputDataError(
                f"{files}: not a plancast {entry.kind} model ({type(exc).__name__}: {one_line(exc)})"
            ) from None
    networks = {name: load_onnx_model(folder / sub) for name, sub in manifest.networks.items()}
    fits = {name: _baseline_fit(folder / file, name) for name, file in manifest.baselines.items()}
    chosen = {**manifest.recommendation.model_dump(mode="json"), "baselines": fits}
    recommendation = Recommendation.from_json(chosen, str(folder / MANIFEST))
    return RecommendedModel(
        folder, recommendation, manifest.design, scalers, tabular, networks, _trust(folder), manifest.report,
        file_sha256(folder / MANIFEST),
    )  # fmt: skip
