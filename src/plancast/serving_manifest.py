"""``recommended.json``, the manifest of the served folder: its typed schema and the checks of the folder.

:func:`plancast.serving.load_recommended` checks the folder before it loads anything, and each problem
stops it with one line naming the file (and in ``recommended.json`` the key and the value):

- ``recommended.json`` against its schema (:class:`RecommendedManifest`): numbers in range (lookback,
  delays, column indices), names known (route, country), every path relative and inside the folder, the
  export reading (``design.ingest``) as ``params.yaml``'s ingest section checks it, without the files
  (``source``, ``pattern``: the caller names them);
- every path it names resolves inside the folder (no ``..``, no absolute path, no symbolic link out);
- every file the loader will open is listed in ``files`` with its SHA-256 (a network's ONNX files
  too, read from its listed manifest), and every listed file is there with that hash.

The folder's hashes guard against a changed or half-copied folder, not against someone who rewrites
``recommended.json`` too: serve folders you fetched from your own registry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from plancast.artifacts import read_json
from plancast.errors import InputDataError
from plancast.models.onnx import onnx_file
from plancast.models.store import MANIFEST_FILE, read_manifest
from plancast.names import BOOSTED, COMBINATION, PLAN_LINEAR, SERVED_BASELINES, TABULAR
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams, Gaps, KeyedError, PositiveInt, ReportParams

FORMAT = 2  # 2: the export reading (design.ingest), the whole daily section, the trust table, the report
MANIFEST = "recommended.json"
SCALERS = "scalers.json"
TRUST = "horizon_trust.csv"  # data/reports/horizon_trust.csv: the planner's workbook and the test skill per delay
NETWORKS = "networks"
EXPORT_FILES = ("source", "pattern")  # ingest keys the caller gives, never the folder


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, as ``files`` lists it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def _without_files(value: Any) -> Any:
    """The export reading names no file: which exports to read is the caller's to say."""
    named = [key for key in EXPORT_FILES if isinstance(value, dict) and key in value]
    if named:
        raise _ManifestProblem(named[0], value[named[0]], "names no file: the caller gives the exports")
    return value


ExportReading = Annotated[IngestParams, BeforeValidator(_without_files)]
HalfWidth = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)] | None  # null: none measured


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TabularEntry(_Closed):
    """A tabular model's files (:func:`plancast.models.tabular_export.save_tabular`): boosted trees as one
    ONNX file per delay, the i-th reading ``columns[i]`` of a design ``design_width[i]`` wide; or the
    plan-correcting Ridge as one JSON file."""

    kind: Literal[TABULAR]
    files: list[FolderPath] = Field(min_length=1)
    columns: list[list[ColumnIndex]] | None = None
    design_width: list[PositiveInt] | None = None

    @model_validator(mode="after")
    def _columns_in_range(self) -> TabularEntry:
        if self.kind == PLAN_LINEAR:
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
    vintages reach (``max_horizon``), a step series' ``profile_period``, the working-day calendar,
    ``gaps`` (``window.gaps``: ``keep`` forecasts a latest window with a gap, NaN inputs; a folder
    written without it is ``drop``'s) and how an export is read (``ingest``: params.yaml's section
    without ``source`` and ``pattern``)."""

    lookback: PositiveInt
    delays: list[PositiveInt] = Field(min_length=1)
    feature_names: list[Name] = Field(min_length=1)
    columns: dict[Name, list[Name]]
    max_horizon: Annotated[int, Field(strict=True, ge=0)]
    profile_period: PositiveInt | None = None
    daily: DailyParams
    gaps: Gaps = "drop"
    ingest: ExportReading

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
    best_network: Name | None
    best_tabular: Name | None
    delays: list[PositiveInt] = Field(min_length=1)
    levels: list[Annotated[float, Field(strict=True, gt=0.0, lt=1.0)]]
    half_widths: dict[Level, list[HalfWidth]]
    scales: dict[str, HalfWidth]
    intervals: dict[Name, ModelIntervals]


class RecommendedManifest(_Closed):
    """``recommended.json``: the route, the design, which files hold which model (a routed baseline's fit:
    one JSON file, ``baselines``), every file's SHA-256, and the planner's workbook's ``report`` settings
    (its language).

    Paths are relative to the folder. Checked across keys too: the route covers exactly the delays and
    names models of this folder, every half-width list has one value per delay, boosted trees one file
    per delay.
    """

    format: Literal[FORMAT]
    recommendation: Recommendation
    design: Design
    tabular: dict[Name, TabularEntry] = {}
    networks: dict[Name, FolderPath] = {}
    baselines: dict[Literal[SERVED_BASELINES], FolderPath] = {}
    files: dict[FolderPath, Sha256]
    report: ReportParams

    @model_validator(mode="after")
    def _consistent(self) -> RecommendedManifest:
        delays, chosen = self.design.delays, self.recommendation
        if chosen.delays != delays:
            raise _ManifestProblem("recommendation.delays", chosen.delays, f"differ from design.delays {delays}")
        routed_delays = []
        models = set(self.tabular) | set(self.networks)
        known = sorted(models | {chosen.plan, COMBINATION} | set(self.baselines))
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
            if entry.kind == BOOSTED and len(entry.files) != len(delays):
                raise _ManifestProblem(
                    f"tabular.{name}.files", entry.files, f"{len(entry.files)} files for {len(delays)} delays"
                )
        return self


def shown(value: Any) -> str:
    """``value`` as an error line shows it: its repr (a NumPy scalar as the Python one), at most 80 characters."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _schema_problem(path: Path, error: ValidationError) -> str:
    """One line from pydantic's first error: the file, the dotted key, what is wrong, the value."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, _ManifestProblem):
        return f"{path}: {'.'.join([*loc, problem.key])}: {problem.message} (got {shown(problem.value)})"
    if isinstance(problem, KeyedError):  # the ingest section's check across its keys
        return f"{path}: {'.'.join([*loc, problem.key])}: {problem.message}"
    message = first["msg"].removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":  # a dict's key, e.g. a path in files
        return f"{path}: {'.'.join(loc[:-2]) or '(top level)'}: key {shown(loc[-2])} {message}"
    key = ".".join(loc) or "(top level)"
    if first["type"] == "missing":
        return f"{path}: {key}: is required"
    if first["type"] == "extra_forbidden":
        message = "is not a key of a plancast recommended model"
    if "(got " not in message:
        message = f"{message} (got {shown(first['input'])})"
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
        raise InputDataError(f"{path}: not valid JSON ({one_line(exc)})") from None
    except OSError as exc:
        raise InputDataError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not isinstance(raw, dict) or "format" not in raw:
        raise InputDataError(f"{path}: not a plancast recommended model (no key 'format' at the top level)")
    if type(raw["format"]) is not int or raw["format"] != FORMAT:
        raise InputDataError(f"{path}: format {shown(raw['format'])}, this plancast reads format {FORMAT}")
    if "none" in raw:
        raise InputDataError(f"{path}: holds no recommended model ({one_line(raw['none'])})")
    try:
        return RecommendedManifest.model_validate(raw)
    except ValidationError as exc:
        raise InputDataError(_schema_problem(path, exc)) from None


def one_line(value: object) -> str:
    """``value``'s text on one line, at most 300 characters, for an error line."""
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
    a network's own files are checked by :func:`check_network_files` once its listed manifest is known.
    """
    folder = Path(folder)
    source = folder / MANIFEST
    for key, relative in [
        *((f"networks.{n}", sub) for n, sub in manifest.networks.items()),
        *((f"baselines.{n}", file) for n, file in manifest.baselines.items()),
        *(("files", f) for f in manifest.files),
    ]:
        if not _within(folder, relative):
            raise InputDataError(
                f"{source}: {key}: {relative!r} leads outside {folder} (a symbolic link); a model's files lie inside it"
            )
    opened = {SCALERS: "the loader", TRUST: "the loader"}
    for name, entry in manifest.tabular.items():
        opened |= {file: f"tabular.{name}.files" for file in entry.files}
    opened |= {file: f"baselines.{name}" for name, file in manifest.baselines.items()}
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
        if file_sha256(file) != digest:
            raise InputDataError(f"{file}: changed since stage forecast wrote it (SHA-256 differs from {MANIFEST})")


def _joined(folder: str, file: str) -> str:
    return PurePosixPath(folder, file).as_posix()


def check_network_files(folder: Path, manifest: RecommendedManifest, sub: str) -> None:
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
