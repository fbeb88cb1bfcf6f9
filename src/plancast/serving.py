"""The recommended forecast as one servable folder: everything to forecast from the daily table alone.

Stage forecast fits the recommended forecast (the tabular models refitted on every window with a known
target, the route per delay stage evaluate chose on validation) and writes it with
:func:`save_recommended` to ``serving/recommended/`` (``plancast.catalog.RECOMMENDED_MODEL``; dvc.yaml
artifact ``plancast-recommended``)::

    recommended.json      route and intervals (data/reports/recommendation.json), the design the
                          models' inputs are built with (lookback, delays, each part's columns,
                          max_horizon, the daily calendar), which file holds which model, and the
                          SHA-256 of every other file
    scalers.json          each part's scalers (fitted on training rows)
    boosted-d<k>.onnx     gradient-boosted trees of delay k (ONNX TreeEnsembleRegressor)
    plan_linear.json      the plan corrected per part: Ridge coefficients (when routed)
    networks/<name>/      a routed network's model folder: manifest, network.json, weights, ONNX

Only the models the route needs are written (both halves of a routed combination). No pickle: ONNX,
JSON and Keras weights; the loader runs everything with ONNX Runtime (no TensorFlow, no scikit-learn
fit). :func:`load_recommended` checks every file against its hash, so a changed or missing file stops
with one line naming it::

    model = load_recommended("serving/recommended")
    rows = model.forecast(pd.read_parquet("data/interim/daily.parquet"))

gives the rows ``model == "recommended"`` of ``data/reports/forecast.csv`` (float32 tolerance).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plancast.artifacts import atomic_folder, read_json, write_json
from plancast.data.calendar import Calendar
from plancast.errors import InputDataError
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows, calendar_days, on_calendar
from plancast.forecasting import COLUMNS, COMBINATION, INTERVAL_COLUMNS, RECOMMENDED, recommended_forecast
from plancast.models.networks import MANIFEST_FILE, NETWORK_FILE, TrainedModel, load_onnx_model, read_manifest
from plancast.models.onnx import onnx_file
from plancast.models.tabular import TabularModel
from plancast.models.tabular_export import load_tabular, save_tabular
from plancast.params import DailyParams

FORMAT = 1
MANIFEST = "recommended.json"
SCALERS = "scalers.json"
NETWORKS = "networks"
_EXACT = 17


def needed_models(recommendation: Mapping[str, Any]) -> set[str]:
    """The models the route names, with both halves of a routed combination; not the plan."""
    needed = set(recommendation["route"].values())
    if COMBINATION in needed:
        needed |= {recommendation["best_network"], recommendation["best_tabular"]}
    return needed - {COMBINATION, recommendation["plan"]}


def save_recommended(
    folder: str | Path,
    recommendation: Mapping[str, Any],
    windows: Windows,
    columns: Mapping[str, Sequence[str]],
    scalers: Scalers,
    max_horizon: int,
    daily_params: DailyParams,
    tabular: Mapping[str, TabularModel],
    networks: Mapping[str, str | Path],
    profile_period: int | None = None,
) -> dict[str, Any]:
    """Write the recommended forecast's folder (layout: module doc); returns its ``recommended.json``.

    ``windows``: the pipeline's windows (lookback, delays, feature names); ``columns``: features.json's
    columns (kept for the parts with scalers); ``tabular``: the fitted tabular models by name;
    ``networks``: each trained network's model folder by name. A route naming a model that is in
    neither raises InputDataError (rerun stage evaluate). Byte-identical for identical inputs.
    """
    needed = needed_models(recommendation)
    missing = sorted(needed - set(tabular) - set(networks))
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
        write_json(staging / SCALERS, Scalers(scalers.kind, {p: scalers.parts[p] for p in parts}).to_json(), _EXACT)
        manifest = {
            "format": FORMAT,
            "recommendation": dict(recommendation),
            "design": {
                "lookback": int(windows.inputs.shape[1]),
                "delays": delays,
                "feature_names": [str(name) for name in windows.feature_names],
                "columns": {p: list(columns[p]) for p in parts},
                "max_horizon": int(max_horizon),
                "profile_period": profile_period,
                "daily": daily_params.model_dump(mode="json", include={"calendar", "holidays", "country"}),
            },
            "tabular": entries,
            "networks": copied,
            "files": {
                path.relative_to(staging).as_posix(): _sha256(path)
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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class RecommendedModel:
    """A loaded recommended forecast (:func:`load_recommended`); :meth:`forecast` gives its rows."""

    folder: Path
    recommendation: dict[str, Any]
    design: dict[str, Any]
    scalers: Scalers
    tabular: dict[str, TabularModel]
    networks: dict[str, TrainedModel]

    @property
    def route(self) -> dict[int, str]:
        return {int(delay): name for delay, name in self.recommendation["route"].items()}

    def forecast(self, daily: pd.DataFrame) -> pd.DataFrame:
        """The recommended forecast of the days after ``daily`` ends, with its 80%/95% intervals.

        ``daily`` is a daily table as stage daily_last writes it (``part``, ``day``, ``target``, the
        horizon columns ``h1..hK``, ``present``, ``position``). Rows as data/reports/forecast.csv's
        (method, part, model ``recommended``, step_ahead, day, forecast, plan, lower/upper_80/95); a
        part whose latest window touches a day without a snapshot, or that had no training windows,
        gets none.
        """
        design = self.design
        columns = design["columns"]
        wanted = sorted({"part", "day", "target"} | {c for names in columns.values() for c in names})
        absent = [column for column in wanted if column not in daily.columns]
        if absent:
            raise InputDataError(
                f"daily table: no column {absent[0]!r} (the recommended model of {self.folder} reads "
                f"{', '.join(wanted)})"
            )
        dated = pd.api.types.is_datetime64_any_dtype(daily["day"])
        years = range(daily["day"].min().year, daily["day"].max().year + 2) if dated and len(daily) else []
        calendar = Calendar.from_params(DailyParams(**design["daily"]), years)
        lookback, delays = int(design["lookback"]), np.asarray(design["delays"], np.int64)
        width = len(design["feature_names"])
        template = Windows(  # no windows: the lookback, delays and calendar of the pipeline's windows
            inputs=np.empty((0, lookback, width)),
            targets=np.empty((0, len(delays))),
            plan=np.empty((0, len(delays))),
            part=np.empty(0, str),
            end_row=np.empty(0, np.int64),
            position=np.empty(0, np.int64),
            delays=delays,
            feature_names=np.asarray(design["feature_names"], str),
            days=calendar_days(on_calendar(daily)),
        )
        frame = recommended_forecast(
            daily, template, columns, self.scalers, self.networks, self.tabular, self.recommendation, calendar,
            max_horizon=int(design["max_horizon"]),
            profile_period=None if design.get("profile_period") is None else int(design["profile_period"]),
        )  # fmt: skip
        rows = frame[frame["model"] == RECOMMENDED].reset_index(drop=True)
        return rows.reindex(columns=[*COLUMNS, *INTERVAL_COLUMNS])


def load_recommended(folder: str | Path) -> RecommendedModel:
    """The recommended forecast :func:`save_recommended` wrote to ``folder``, run by ONNX Runtime.

    Every file is checked against the SHA-256 ``recommended.json`` holds for it first: a missing,
    changed or unreadable file raises InputDataError with one line naming it.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = read_json(path)
    except FileNotFoundError:
        raise InputDataError(f"{path}: not found (fetch it: dvc artifacts get <repo> plancast-recommended)") from None
    except ValueError as exc:
        raise InputDataError(f"{path}: not valid JSON ({exc})") from None
    try:
        if manifest["format"] != FORMAT:
            raise InputDataError(f"{path}: format {manifest['format']!r}, this plancast reads format {FORMAT}")
        if "none" in manifest:
            raise InputDataError(f"{path}: holds no recommended model ({manifest['none']})")
        for name, digest in sorted(manifest["files"].items()):
            file = folder / name
            if not file.is_file():
                raise InputDataError(f"{file}: missing (named in {MANIFEST})")
            if _sha256(file) != digest:
                raise InputDataError(f"{file}: changed since stage forecast wrote it (SHA-256 differs from {MANIFEST})")
        scalers = Scalers.from_json(read_json(folder / SCALERS))
        tabular = {name: load_tabular(entry, folder) for name, entry in manifest["tabular"].items()}
        networks = {name: load_onnx_model(folder / sub) for name, sub in manifest["networks"].items()}
        return RecommendedModel(folder, manifest["recommendation"], manifest["design"], scalers, tabular, networks)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(f"{path}: not a plancast recommended model ({type(exc).__name__}: {exc})") from None
