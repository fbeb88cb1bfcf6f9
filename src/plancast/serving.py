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
fit). :func:`load_recommended` checks the folder before it loads anything, and each problem stops it
with one line naming the file (and in ``recommended.json`` the key and the value):

- ``recommended.json`` against its schema (:class:`RecommendedManifest`): numbers in range (lookback,
  delays, column indices), names known (route, country), every path relative and inside the folder;
- every path it names resolves inside the folder (no ``..``, no absolute path, no symbolic link out);
- every file the loader will open is listed in ``files`` with its SHA-256 (a network's ONNX files
  too, read from its listed manifest), and every listed file is there with that hash.

The folder's hashes guard against a changed or half-copied folder, not against someone who rewrites
``recommended.json`` too: serve folders you fetched from your own registry. Then::

    model = load_recommended("serving/recommended")
    rows = model.forecast(pd.read_parquet("data/interim/daily.parquet"))

gives the rows ``model == "recommended"`` of ``data/reports/forecast.csv`` (float32 tolerance).
:meth:`RecommendedModel.forecast` takes a daily table as stage daily_last writes it and refuses, in one
line, a table that is not one (:func:`check_daily_table`): a missing column, a wrong dtype, two rows
for one part and day, a day off the model's calendar or a working day without its row.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from plancast.artifacts import atomic_folder, read_json, write_json
from plancast.data.calendar import Calendar
from plancast.errors import InputDataError
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows, calendar_days
from plancast.forecasting import (
    COLUMNS,
    COMBINATION,
    INTERVAL_COLUMNS,
    RECOMMENDED,
    recommended_forecast,
    unforecastable,
)
from plancast.models.networks import MANIFEST_FILE, NETWORK_FILE, TrainedModel, load_onnx_model, read_manifest
from plancast.models.onnx import onnx_file
from plancast.models.tabular import TabularModel
from plancast.models.tabular_export import load_tabular, save_tabular
from plancast.params import DailyParams, PositiveInt

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


# recommended.json, as the loader reads it: one schema, checked before any other file is opened.


class _ManifestProblem(ValueError):
    """A problem of recommended.json found across keys: its key (relative to where it was found) and value."""

    def __init__(self, key: str, value: Any, message: str) -> None:
        super().__init__(message)
        self.key, self.value, self.message = key, value, message


def _folder_path(value: str) -> str:
    """A path recommended.json names, as the POSIX path relative to the folder; refused when it could
    leave the folder on its own (absolute, a drive, ``..``, a backslash). Symbolic links: :func:`_within`."""
    path = PurePosixPath(value)
    if "\\" in value or "\0" in value or path.is_absolute() or PureWindowsPath(value).anchor or ".." in path.parts:
        raise ValueError("must be a path inside the model's folder (relative, without '..')")
    return path.as_posix()


def _level(value: str) -> str:
    try:
        level = float(value)
    except ValueError:
        level = float("nan")
    if not 0.0 < level < 1.0:
        raise ValueError("must be an interval level between 0 and 1, e.g. '0.8'")
    return value


Name = Annotated[str, Field(strict=True, min_length=1)]
FolderPath = Annotated[str, Field(strict=True, min_length=1), AfterValidator(_folder_path)]
Sha256 = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]
ColumnIndex = Annotated[int, Field(strict=True, ge=0)]
Level = Annotated[str, AfterValidator(_level)]
HalfWidth = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)] | None  # null: none measured


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TabularEntry(_Closed):
    """A tabular model's files (:func:`plancast.models.tabular_export.save_tabular`): boosted trees as one
    ONNX file per delay, the i-th reading ``columns[i]`` of a design ``design_width[i]`` wide; or the
    plan-correcting Ridge as one JSON file."""

    kind: Literal["boosted", "plan_linear"]
    files: list[FolderPath] = Field(min_length=1)
    columns: list[list[ColumnIndex]] | None = None
    design_width: list[PositiveInt] | None = None

    @model_validator(mode="after")
    def _columns_in_range(self) -> TabularEntry:
        if self.kind == "plan_linear":
            if len(self.files) != 1:
                raise _ManifestProblem("files", self.files, "a plan_linear model is one JSON file")
            return self
        if self.columns is None or self.design_width is None:
            missing = "columns" if self.columns is None else "design_width"
            raise _ManifestProblem(missing, None, "is required for boosted trees")
        if not len(self.files) == len(self.columns) == len(self.design_width):
            raise _ManifestProblem(
                "columns", self.columns,
                f"{len(self.columns)} column lists and {len(self.design_width)} widths for {len(self.files)} files",
            )  # fmt: skip
        for i, (used, width) in enumerate(zip(self.columns, self.design_width, strict=True)):
            for j, index in enumerate(used):
                if index >= width:
                    raise _ManifestProblem(f"columns.{i}.{j}", index, f"is not a column of a design {width} wide")
            if len(set(used)) != len(used):
                raise _ManifestProblem(f"columns.{i}", used, "names a column twice")
        return self


class Design(_Closed):
    """How the models' inputs are built from the daily table: the windows' ``lookback`` and ``delays``,
    each part's input ``columns`` (target first, one per ``feature_names``), the plan horizons the
    vintages reach (``max_horizon``), a step series' ``profile_period`` and the working-day calendar."""

    lookback: PositiveInt
    delays: list[PositiveInt] = Field(min_length=1)
    feature_names: list[Name] = Field(min_length=1)
    columns: dict[Name, list[Name]]
    max_horizon: Annotated[int, Field(strict=True, ge=0)]
    profile_period: PositiveInt | None = None
    daily: DailyParams

    @model_validator(mode="after")
    def _one_width(self) -> Design:
        if len(set(self.delays)) != len(self.delays):
            raise _ManifestProblem("delays", self.delays, "names a delay twice")
        for part, names in self.columns.items():
            if len(names) != len(self.feature_names):
                raise _ManifestProblem(
                    f"columns.{part}", names, f"{len(names)} columns, the design has {len(self.feature_names)} inputs"
                )
        return self

    @property
    def inputs(self) -> list[str]:
        """Every column of the daily table the models read: target, each part's inputs, the vintages."""
        names = {"target", *(name for names in self.columns.values() for name in names)}
        names |= {f"h{k}" for k in range(1, self.max_horizon + 1)}
        return sorted(names, key=lambda name: (name != "target", len(name), name))


class ModelIntervals(BaseModel):
    """One model's conformal half-widths per level and delay (its coverage figures kept as they are)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    half_widths: dict[Level, list[HalfWidth]] = {}


class Recommendation(BaseModel):
    """Stage evaluate's choice (data/reports/recommendation.json) as the forecast applies it: the
    ``route`` (delay -> model), the combination's halves, the interval half-widths and part scales."""

    model_config = ConfigDict(extra="allow", frozen=True)
    route: dict[str, Name] = Field(min_length=1)
    plan: Name
    best_network: Name | None = None
    best_tabular: Name | None = None
    delays: list[PositiveInt] = Field(min_length=1)
    levels: list[Annotated[float, Field(strict=True, gt=0.0, lt=1.0)]] = []
    half_widths: dict[Level, list[HalfWidth]] = {}
    scales: dict[str, HalfWidth] = {}
    intervals: dict[Name, ModelIntervals] = {}


class RecommendedManifest(_Closed):
    """``recommended.json``: the route, the design, which files hold which model, every file's SHA-256.

    Paths are relative to the folder. Checked across keys too: the route covers exactly the delays and
    names models of this folder, every half-width list has one value per delay, boosted trees one file
    per delay.
    """

    format: Literal[1]
    recommendation: Recommendation
    design: Design
    tabular: dict[Name, TabularEntry] = {}
    networks: dict[Name, FolderPath] = {}
    files: dict[FolderPath, Sha256]

    @model_validator(mode="after")
    def _consistent(self) -> RecommendedManifest:
        delays, chosen = self.design.delays, self.recommendation
        if chosen.delays != delays:
            raise _ManifestProblem("recommendation.delays", chosen.delays, f"differ from design.delays {delays}")
        routed_delays = []
        models = set(self.tabular) | set(self.networks)
        known = sorted(models | {chosen.plan, COMBINATION})
        for key, name in chosen.route.items():
            if not key.isdigit() or int(key) not in delays:
                raise _ManifestProblem(f"recommendation.route.{key}", key, f"is not one of the delays {delays}")
            if name not in known:
                raise _ManifestProblem(
                    f"recommendation.route.{key}", name, f"is none of this folder's models ({', '.join(known)})"
                )
            routed_delays.append(int(key))
        unrouted = sorted(set(delays) - set(routed_delays))
        if unrouted or len(routed_delays) != len(set(routed_delays)):
            raise _ManifestProblem("recommendation.route", chosen.route, f"must name one model per delay {delays}")
        if COMBINATION in chosen.route.values():
            for half in ("best_network", "best_tabular"):
                if getattr(chosen, half) not in models:
                    value = getattr(chosen, half)
                    raise _ManifestProblem(f"recommendation.{half}", value, "is no model of this folder, yet routed")
        widths = {f"recommendation.half_widths.{level}": values for level, values in chosen.half_widths.items()}
        for name, own in chosen.intervals.items():
            widths |= {f"recommendation.intervals.{name}.half_widths.{k}": v for k, v in own.half_widths.items()}
        for key, values in widths.items():
            if len(values) != len(delays):
                raise _ManifestProblem(key, values, f"{len(values)} half-widths for {len(delays)} delays")
        for name, entry in self.tabular.items():
            if entry.kind == "boosted" and len(entry.files) != len(delays):
                raise _ManifestProblem(
                    f"tabular.{name}.files", entry.files, f"{len(entry.files)} files for {len(delays)} delays"
                )
        return self


def _shown(value: Any) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _schema_problem(path: Path, error: ValidationError) -> str:
    """One line from pydantic's first error: the file, the dotted key, what is wrong, the value."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, _ManifestProblem):
        return f"{path}: {'.'.join([*loc, problem.key])}: {problem.message} (got {_shown(problem.value)})"
    message = first["msg"].removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":  # a dict's key, e.g. a path in files
        return f"{path}: {'.'.join(loc[:-2]) or '(top level)'}: key {_shown(loc[-2])} {message}"
    key = ".".join(loc) or "(top level)"
    if first["type"] == "missing":
        return f"{path}: {key}: is required"
    if first["type"] == "extra_forbidden":
        message = "is not a key of a plancast recommended model"
    if "(got " not in message:
        message = f"{message} (got {_shown(first['input'])})"
    return f"{path}: {key}: {message}"


def read_recommended_manifest(folder: str | Path) -> RecommendedManifest:
    """``recommended.json`` of ``folder``, checked against :class:`RecommendedManifest`; opens no other file.

    A missing, unreadable or invalid one raises InputDataError with one line naming it, and for a bad
    value the dotted key and the value.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if path.is_symlink() and not _within(folder, MANIFEST):
        raise InputDataError(f"{path}: leads outside {folder} (a symbolic link); the model's files lie inside it")
    try:
        raw = read_json(path)
    except FileNotFoundError:
        raise InputDataError(f"{path}: not found (fetch it: dvc artifacts get <repo> plancast-recommended)") from None
    except (ValueError, RecursionError) as exc:
        raise InputDataError(f"{path}: not valid JSON ({_one_line(exc)})") from None
    except OSError as exc:
        raise InputDataError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not isinstance(raw, dict) or "format" not in raw:
        raise InputDataError(f"{path}: not a plancast recommended model (no key 'format' at the top level)")
    if type(raw["format"]) is not int or raw["format"] != FORMAT:
        raise InputDataError(f"{path}: format {_shown(raw['format'])}, this plancast reads format {FORMAT}")
    if "none" in raw:
        raise InputDataError(f"{path}: holds no recommended model ({_one_line(raw['none'])})")
    try:
        return RecommendedManifest.model_validate(raw)
    except ValidationError as exc:
        raise InputDataError(_schema_problem(path, exc)) from None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]


def _within(folder: Path, relative: str) -> bool:
    """Whether ``folder / relative``, symbolic links followed, lies inside ``folder``."""
    root = folder.resolve()
    try:
        return (root / relative).resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


def check_folder(folder: str | Path, manifest: RecommendedManifest) -> None:
    """Every file the loader opens is listed with its SHA-256, inside the folder, present and unchanged.

    Reads only the files ``manifest`` lists (to hash them), after checking each lies inside ``folder``;
    a network's own files are checked by :func:`_check_network_files` once its listed manifest is known.
    """
    folder = Path(folder)
    source = folder / MANIFEST
    for key, relative in [
        *((f"networks.{n}", sub) for n, sub in manifest.networks.items()),
        *(("files", f) for f in manifest.files),
    ]:
        if not _within(folder, relative):
            raise InputDataError(
                f"{source}: {key}: {relative!r} leads outside {folder} (a symbolic link); a model's files lie inside it"
            )
    opened = {SCALERS: "the loader"}
    for name, entry in manifest.tabular.items():
        opened |= {file: f"tabular.{name}.files" for file in entry.files}
    opened |= {_joined(sub, MANIFEST_FILE): f"networks.{name}" for name, sub in manifest.networks.items()}
    for file, named_by in sorted(opened.items()):
        if file not in manifest.files:
            raise InputDataError(
                f"{source}: files: no SHA-256 for {file!r}, which {named_by} opens (every file loaded is listed)"
            )
    for name, digest in sorted(manifest.files.items()):
        file = folder / name
        if not file.is_file():
            raise InputDataError(f"{file}: missing (named in {MANIFEST})")
        if _sha256(file) != digest:
            raise InputDataError(f"{file}: changed since stage forecast wrote it (SHA-256 differs from {MANIFEST})")


def _joined(folder: str, file: str) -> str:
    return PurePosixPath(folder, file).as_posix()


def _check_network_files(folder: Path, manifest: RecommendedManifest, sub: str) -> None:
    """The ONNX files a routed network's (listed, hashed) manifest names: inside its folder and listed."""
    network = read_manifest(folder / sub)
    for part, weights in sorted(network.weights.items()):
        try:
            file = _joined(sub, _folder_path(onnx_file(weights)))
        except ValueError as exc:
            raise InputDataError(f"{folder / sub / MANIFEST_FILE}: weights.{part}: {exc} (got {weights!r})") from None
        if file not in manifest.files:
            raise InputDataError(
                f"{folder / MANIFEST}: files: no SHA-256 for {file!r}, which {sub}/{MANIFEST_FILE} opens "
                "(every file loaded is listed)"
            )


def _scalers(folder: Path, design: Design) -> Scalers:
    path = folder / SCALERS
    try:
        scalers = Scalers.from_json(read_json(path))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputDataError(f"{path}: not plancast scalers ({type(exc).__name__}: {_one_line(exc)})") from None
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


# The daily table the served model reads: refused in one line unless it is one.

DAILY_KEYS = ("part", "day", "position", "present")


@dataclass(frozen=True)
class DailyTable:
    """A daily table the served model can read: ``frame`` one row per part and working day, sorted by
    part and day, its number columns float64; ``calendar`` the model's working days over its years."""

    frame: pd.DataFrame
    calendar: Calendar


def daily_table(
    daily: pd.DataFrame, inputs: Sequence[str], params: DailyParams, reader: str = "the model"
) -> DailyTable:
    """``daily`` checked to be a daily table as stage daily_last writes it, with the number columns
    ``inputs``; anything else raises InputDataError with one line naming the column, part and day.

    A daily table has the columns ``part`` (text), ``day`` (dates, or integer steps), ``position``
    (integers), ``present`` (True/False) and ``inputs`` (numbers, finite or empty), one row per part
    and day; its days are working days of ``params``' calendar, ``position`` counts them, and each part
    has a row for every working day from its first day to the table's last (present False where the
    day had no snapshot). A gap, a duplicate or a shuffled calendar would have the windows misread the
    horizons. Rows may come in any order; other columns are dropped. ``reader`` names who reads it.
    """
    source = "daily table"
    if not isinstance(daily, pd.DataFrame):
        raise InputDataError(f"{source}: must be a pandas DataFrame (got {type(daily).__name__})")
    wanted = [*DAILY_KEYS, *inputs]
    absent = [column for column in wanted if column not in daily.columns]
    if absent:
        raise InputDataError(
            f"{source}: no column {absent[0]!r} ({reader} reads {', '.join(wanted)}, as stage daily_last writes them)"
        )
    doubled = [column for column in wanted if list(daily.columns).count(column) > 1]
    if doubled:
        raise InputDataError(f"{source}: column {doubled[0]!r} appears twice")
    if daily.empty:
        raise InputDataError(f"{source}: no rows")
    part, day, position, present = (daily[column] for column in DAILY_KEYS)
    text = part.map(lambda value: isinstance(value, str) and value != "").to_numpy(bool)
    if not text.all():
        row = int(np.argmin(text))
        raise InputDataError(f"{source}: column 'part': row {row} holds {_shown(part.iloc[row])}, not a part id (text)")
    dated = pd.api.types.is_datetime64_dtype(day) and not isinstance(day.dtype, pd.DatetimeTZDtype)
    steps = pd.api.types.is_integer_dtype(day) and not pd.api.types.is_bool_dtype(day)
    if not (dated or steps) or day.isna().any():
        what = "an empty day" if (dated or steps) else f"dtype {day.dtype}"
        raise InputDataError(f"{source}: column 'day' must hold dates or integer steps (got {what})")
    if dated and (day != day.dt.normalize()).any():
        row = int(np.argmax((day != day.dt.normalize()).to_numpy()))
        raise InputDataError(
            f"{source}: part {part.iloc[row]!r}: day {day.iloc[row]} has a time of day; days are dates"
        )
    if present.dtype != np.bool_:
        raise InputDataError(f"{source}: column 'present' must hold True/False (got dtype {present.dtype})")
    if not pd.api.types.is_integer_dtype(position) or pd.api.types.is_bool_dtype(position) or position.isna().any():
        raise InputDataError(f"{source}: column 'position' must hold integers (got dtype {position.dtype})")
    frame = pd.DataFrame(
        {
            "part": part.to_numpy(object),
            "day": day.to_numpy() if dated else day.to_numpy(np.int64),
            "position": position.to_numpy(np.int64),
            "present": present.to_numpy(bool),
        }
    )
    for column in inputs:
        values = daily[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InputDataError(f"{source}: column {column!r} must hold numbers (got dtype {values.dtype})")
        numbers = values.to_numpy(np.float64, na_value=np.nan)
        if np.isinf(numbers).any():
            row = int(np.argmax(np.isinf(numbers)))
            raise InputDataError(
                f"{source}: part {part.iloc[row]!r} on {_day(day.iloc[row])}: {column} is {numbers[row]} "
                "(a quantity is finite; an unknown one is empty)"
            )
        frame[column] = numbers
    doubles = frame.duplicated(["part", "day"], keep=False).to_numpy()
    if doubles.any():
        row = int(np.argmax(doubles))
        count = int(((frame["part"] == frame["part"].iloc[row]) & (frame["day"] == frame["day"].iloc[row])).sum())
        raise InputDataError(
            f"{source}: part {frame['part'].iloc[row]!r} has {count} rows for {_day(frame['day'].iloc[row])} "
            "(a daily table has one row per part and day)"
        )
    frame = frame.sort_values(["part", "day"], kind="stable").reset_index(drop=True)
    years = range(frame["day"].min().year, frame["day"].max().year + 2) if dated else []
    calendar = Calendar.from_params(params, years)
    frame["position"] = _working_day_positions(frame, calendar, dated, source)
    return DailyTable(frame, calendar)


def _day(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat() if isinstance(value, pd.Timestamp | np.datetime64) else str(value)


def _working_day_positions(frame: pd.DataFrame, calendar: Calendar, dated: bool, source: str) -> np.ndarray:
    """Each row's working day counted from the table's first (0), as daily_last counts them, once every
    day is checked to be a working day, ``position`` to count them (up to a shift: a table's tail is one
    too), and each part's days to run unbroken to the table's last day."""
    part, position = frame["part"].to_numpy(), frame["position"].to_numpy(np.int64)
    if dated:
        days = frame["day"].to_numpy().astype("datetime64[D]")
        off = ~calendar.is_working(days)
        if off.any():
            row = int(np.argmax(off))
            raise InputDataError(
                f"{source}: part {part[row]!r} has a row on a day off: {calendar.why_not_working(days[row])} "
                f"(the model's calendar: {MANIFEST} design.daily)"
            )
        counted = calendar.position(days, days.min())
    else:
        days = frame["day"].to_numpy(np.int64)
        counted = days - days.min()
    shift = position - counted
    first = int(np.argmin(counted))
    wrong = shift != shift[first]
    if wrong.any():
        row = int(np.argmax(wrong))
        raise InputDataError(
            f"{source}: part {part[row]!r} on {_day(days[row])}: position {position[row]} does not count working days "
            f"(the model's calendar gives {counted[row] + shift[first]})"
        )
    same_part = part[1:] == part[:-1]
    gap = same_part & (np.diff(counted) != 1)
    last = np.flatnonzero(np.append(~same_part, True))  # each part's last row
    short = last[counted[last] != counted.max()]
    if gap.any() or len(short):
        row = min([*np.flatnonzero(gap)[:1], *short[:1]])
        after = days[row]
        missing = calendar.shift(after, 1) if dated else after + 1
        raise InputDataError(
            f"{source}: part {part[row]!r} has no row for {_day(missing)} (a working day without a snapshot "
            "is a row with present False, as stage daily_last writes it)"
        )
    return counted


@dataclass(frozen=True)
class ServedForecast:
    """The served model's answer for one daily table: ``rows`` as forecast.csv's recommended rows, every
    forecast finite, and ``skipped``: each part of the table without a forecast for some day ahead, and why."""

    rows: pd.DataFrame
    skipped: dict[str, str]


@dataclass(frozen=True)
class RecommendedModel:
    """A loaded recommended forecast (:func:`load_recommended`); :meth:`forecast` gives its rows."""

    folder: Path
    recommendation: dict[str, Any]
    design: Design
    scalers: Scalers
    tabular: dict[str, TabularModel]
    networks: dict[str, TrainedModel]

    @property
    def route(self) -> dict[int, str]:
        return {int(delay): name for delay, name in self.recommendation["route"].items()}

    def forecast(self, daily: pd.DataFrame) -> pd.DataFrame:
        """The recommended forecast of the days after ``daily`` ends, with its 80%/95% intervals.

        ``daily`` is a daily table as stage daily_last writes it (:func:`daily_table`: ``part``, ``day``,
        ``position``, ``present``, ``target``, the horizon columns ``h1..hK``). Rows as
        data/reports/forecast.csv's (method, part, model ``recommended``, step_ahead, day, forecast,
        plan, lower/upper_80/95), every forecast finite; :meth:`serve` also says which parts have none.
        """
        return self.serve(daily).rows

    def serve(self, daily: pd.DataFrame) -> ServedForecast:
        """:meth:`forecast`'s rows and the parts without a forecast, each with why: the model was not
        fitted on it, its latest ``lookback`` days miss a snapshot or a value, or (a day ahead) an input
        the routed model reads is empty, such as the plan of the last day."""
        design = self.design
        table = daily_table(daily, design.inputs, design.daily, f"the recommended model of {self.folder}")
        frame, lookback = table.frame, design.lookback
        skipped: dict[str, str] = {}
        for part, rows in frame.groupby("part", sort=True):
            if part not in design.columns or part not in self.scalers.parts:
                skipped[part] = "no training windows (the served model was not fitted on it)"
            elif reason := unforecastable(rows, lookback, design.columns[part]):
                skipped[part] = reason
        empty = pd.DataFrame(columns=[*COLUMNS, *INTERVAL_COLUMNS])
        if len(skipped) == frame["part"].nunique():
            return ServedForecast(empty, skipped)
        delays = np.asarray(design.delays, np.int64)
        template = Windows(  # no windows: the lookback, delays and calendar of the pipeline's windows
            inputs=np.empty((0, lookback, len(design.feature_names))),
            targets=np.empty((0, len(delays))),
            plan=np.empty((0, len(delays))),
            part=np.empty(0, str),
            end_row=np.empty(0, np.int64),
            position=np.empty(0, np.int64),
            delays=delays,
            feature_names=np.asarray(design.feature_names, str),
            days=calendar_days(frame),
        )
        result = recommended_forecast(
            frame, template, design.columns, self.scalers, self.networks, self.tabular, self.recommendation,
            table.calendar, max_horizon=design.max_horizon, profile_period=design.profile_period,
        )  # fmt: skip
        rows = result[result["model"] == RECOMMENDED].reset_index(drop=True).reindex(columns=empty.columns)
        finite = np.isfinite(rows["forecast"].to_numpy(np.float64))
        last = frame.groupby("part", sort=True).tail(1).set_index("part")
        for part, missing in rows[~finite].groupby("part", sort=True):
            ahead = [int(k) for k in missing["step_ahead"]]
            empty_plan = [k for k in ahead if np.isnan(last.loc[part].get(f"h{k}", np.nan))]
            if empty_plan:
                day = _day(last.loc[part, "day"])
                k = empty_plan[0]
                skipped[str(part)] = f"no forecast {k} days ahead: the plan h{k} of its last day, {day}, is empty"
            else:
                names = sorted({self.route[k] for k in ahead})
                skipped[str(part)] = (
                    f"no finite forecast {', '.join(map(str, ahead))} days ahead from {', '.join(names)}"
                )
        return ServedForecast(rows[finite].reset_index(drop=True), skipped)


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
        _check_network_files(folder, manifest, sub)
    scalers = _scalers(folder, manifest.design)
    tabular = {}
    for name, entry in manifest.tabular.items():
        try:
            tabular[name] = load_tabular(entry.model_dump(), folder)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            files = ", ".join(str(folder / file) for file in entry.files)
            raise InputDataError(
                f"{files}: not a plancast {entry.kind} model ({type(exc).__name__}: {_one_line(exc)})"
            ) from None
    networks = {name: load_onnx_model(folder / sub) for name, sub in manifest.networks.items()}
    recommendation = manifest.recommendation.model_dump(mode="json")
    return RecommendedModel(folder, recommendation, manifest.design, scalers, tabular, networks)
