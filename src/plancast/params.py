"""The one params schema: every key of ``params.yaml``, its type and allowed values.

``load_params(path)`` reads the file with YAML safe loading, validates it once and returns a frozen
:class:`Params`. A bad value ends in :class:`~plancast.errors.ParamsError` whose message names the
dotted key, what is allowed and what was given, e.g.
``params.yaml: window.lookback: must be >= 1 (got 0)``.
"""

from __future__ import annotations

import codecs
import copy
import re
import zoneinfo
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from plancast.errors import ParamsError
from plancast.names import TABULAR

PARAMS_FILE = "params.yaml"

StrictInt = Annotated[int, Field(strict=True)]  # `true` is not 1: a YAML boolean is refused where a number goes
PositiveInt = Annotated[int, Field(strict=True, ge=1)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    # .inf and .nan are YAML floats, but no key means them: a float key that allows one says so itself
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SampleParams(_Section):
    """The bundled synthetic data: a plan-snapshot export (Seed B's schema) and Seed A's wave.

    The defaults here are the plain export (every part, every working day, a level without trend);
    ``params.yaml`` switches on the hardness knobs for the bundled sample.
    """

    seed: StrictInt = 2026
    parts: Annotated[int, Field(strict=True, ge=1, le=5000)] = 24
    days: Annotated[int, Field(strict=True, ge=20, le=2000)] = 250
    start: date = date(2025, 1, 6)
    planner: Literal["noisy", "sharp"] = "noisy"
    planner_bias: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.0
    missing_days: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0
    holidays: list[date] = []
    trend_parts: Fraction = 0.0
    trend: Annotated[float, Field(gt=-0.9, le=3.0)] = 0.4
    late_start_parts: Fraction = 0.0
    lot_change_parts: Fraction = 0.0
    layout: Literal["one_file", "daily_files"] = "one_file"
    daily_format: Literal["csv", "xlsx"] = "csv"
    overlap_parts: Fraction = 0.3
    overlap_revisions: Fraction = 0.2
    seed_a_seed: StrictInt = 2022
    seed_a_points: Annotated[int, Field(strict=True, ge=40)] = 361

    @field_validator("holidays")
    @classmethod
    def _distinct_holidays(cls, value: list[date]) -> list[date]:
        repeated = sorted({day for day in value if value.count(day) > 1})
        if repeated:
            raise ValueError(f"lists {repeated[0].isoformat()} more than once")
        return value


class IngestParams(_Section):
    """Maps a user's export onto the canonical snapshot table."""

    source: str = "data/raw/plan_sample.xls"
    pattern: str = "*"
    sheets: list[str] = []
    xls_engine: Literal["calamine", "xlrd"] = "calamine"
    part_column: str | None = "Part Number"
    part_name: str = "series"
    time_column: str = "CRET_TIME"
    time_format: str = "%Y%m%d%H%M"
    target_column: str = "D일 투입예정 수량(D일계획)"
    horizon_pattern: str = r"^D\+(\d+)일"
    max_horizon: Annotated[int, Field(strict=True, ge=0, le=60)] = 12
    parts: list[str] = []
    allow_negative: bool = False  # quantities are >= 0; a signed series (Seed A's wave) sets true
    on_bad_rows: Literal["error", "quarantine"] = "error"
    encoding: str = "auto"  # CSV text: auto = UTF-8 (BOM or not), else cp949; or a codec name
    thousands: Literal["", ",", " ", "'", "_"] = ","  # '1,200' -> 1200; '' = no separator
    header_row: Literal["auto"] | int = "auto"  # auto = the first row naming the part/time/target columns
    on_conflict: Literal["latest_file", "error"] = "latest_file"
    file_order: Literal["name", "last_snapshot"] = "name"
    # the plant's time zone, where a snapshot's day is taken: null = each stamp's own wall clock; an IANA
    # name (Asia/Seoul): stamps with a zone are converted to it first. Stamps without a zone are local.
    timezone: str | None = None
    # numeric part numbers padded with zeros to this many digits ('101' -> '0101' for 4); null = as
    # written, and two numbers that differ only by leading zeros stop ingest; distinct = two parts
    part_digits: Literal["distinct"] | int | None = None
    # the largest quantity magnitude a plan can hold; a cell beyond it is a bad row (1e308 is no plan)
    max_quantity: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1e9

    @field_validator("source")
    @classmethod
    def _inside_project(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("must be a path inside the project (relative, no '..')")
        return value

    @field_validator("pattern")
    @classmethod
    def _relative_glob(cls, value: str) -> str:
        reason = pattern_problem(value)
        if reason:
            raise ValueError(reason)
        return value

    @field_validator("header_row", mode="before")
    @classmethod
    def _auto_or_row(cls, value: object) -> object:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f"must be auto or a row number >= 1, as the spreadsheet shows it (got {value!r})")

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"must be auto or a codec Python knows, e.g. utf-8, cp949 (got {value!r})") from None
        return value

    @field_validator("part_digits", mode="before")
    @classmethod
    def _digits(cls, value: object) -> object:
        if value is None or value == "distinct":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 40:
            return value
        raise ValueError("must be null (as written), distinct, or a number of digits 1 .. 40")

    @field_validator("max_quantity", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number > 0, e.g. 1e9")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone name such as Asia/Seoul or UTC, or null") from None
        return value

    @field_validator("horizon_pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc})") from None
        if compiled.groups < 1:
            raise ValueError("needs one group that captures k, e.g. '^D\\+(\\d+)'")
        return value

    @model_validator(mode="after")
    def _distinct_columns(self) -> IngestParams:
        """One column cannot be two of part, time and target (a time read as quantities, or the reverse)."""
        named = [("part_column", self.part_column), ("time_column", self.time_column)]
        named.append(("target_column", self.target_column))
        for i, (key, column) in enumerate(named):
            for other, other_column in named[:i]:
                if column is not None and column == other_column:
                    message = f"names the same column as ingest.{other} ({column!r}); each must be its own column"
                    raise _KeyedError(key, message, relative=True)
        return self


def pattern_problem(pattern: str) -> str | None:
    """Why ``ingest.pattern`` could reach outside ``ingest.source`` (absolute, ``..``), or None."""
    if not pattern:
        return "must not be empty (use '*' for every file)"
    posix = pattern.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        return f"must be a glob relative to ingest.source, not an absolute path (got {pattern!r})"
    if ".." in posix.split("/"):
        return f"must not contain '..': files are read only from inside ingest.source (got {pattern!r})"
    return None


class DailyParams(_Section):
    """The working-day calendar that snapshot days are checked against (and, later, days counted on)."""

    calendar: Literal["business", "every_day"] = "business"
    holidays: list[date] = []
    country: str | None = None
    max_gap_days: PositiveInt = 60
    # a block of export days cut off from the main block by a working week or more without any export
    # is stray (bad rows: a wrong date) when it holds fewer parts than this share of the parts the main
    # block exports a day; 0 = keep every block (plancast.data.calendar_checks.check_calendar)
    stray_share: Fraction = 0.5

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            import holidays
        except ImportError:
            raise ValueError("needs the Python package `holidays` (pip install holidays), or null") from None
        known = holidays.list_supported_countries()
        if value not in known:
            raise ValueError(f"is not a country code the holidays package knows, e.g. KR, US, DE (got {value!r})")
        return value


class CorrelateParams(_Section):
    min_pairs: Annotated[int, Field(strict=True, ge=3)] = 10


class SelectFeaturesParams(_Section):
    method: Literal["top_k", "threshold", "explicit"] = "top_k"
    basis: Literal["pooled", "per_part"] = "pooled"
    top_k: Annotated[int, Field(strict=True, ge=0)] = 3
    threshold: Fraction = 0.3
    horizons: list[PositiveInt] = [3, 4, 5]


class WindowParams(_Section):
    lookback: PositiveInt = 10
    delays: list[PositiveInt] = [1, 2, 3]

    @field_validator("delays")
    @classmethod
    def _distinct_sorted(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("needs at least one delay")
        if len(set(value)) != len(value) or sorted(value) != value:
            raise ValueError("must be distinct and increasing, e.g. [1, 2, 3]")
        return value


class SplitScaleParams(_Section):
    """One calendar cut for all parts: validation and test start on these days (or at these fractions)."""

    fractions: list[Fraction] = [0.7, 0.1, 0.2]
    validation_start: date | StrictInt | None = None  # a day (or a step of a step series); None: fractions
    test_start: date | StrictInt | None = None
    scaler: Literal["standard", "minmax"] = "standard"

    @field_validator("fractions")
    @classmethod
    def _three_summing_to_one(cls, value: list[float]) -> list[float]:
        # validation may not be empty: it picks each network's epoch and the recommended model
        if len(value) != 3 or abs(sum(value) - 1.0) > 1e-9 or value[0] <= 0 or value[1] <= 0:
            shown = "[" + ", ".join(f"{fraction:g}" for fraction in value) + "]"
            raise ValueError(
                f"must be three fractions [train, validation, test] summing to 1, train and validation > 0 "
                f"(got {shown})"
            )
        return value

    @model_validator(mode="after")
    def _validation_before_test(self) -> SplitScaleParams:
        start, end = self.validation_start, self.test_start
        if start is None or end is None:
            return self
        if isinstance(start, date) != isinstance(end, date):
            raise _KeyedError(
                "test_start",
                f"give split_scale.validation_start and test_start both as days or both as steps (got {start} "
                f"and {end})",
                relative=True,
            )
        if end <= start:
            raise _KeyedError(
                "test_start",
                f"must be after split_scale.validation_start, or validation holds no day (got {end}, validation "
                f"from {start})",
                relative=True,
            )
        return self


class LayerSpec(_Section):
    """One recurrent layer of a network, in the order it is stacked."""

    type: Literal["lstm", "gru", "hand_lstm"]
    units: PositiveInt
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"
    dropout: Fraction = 0.0
    recurrent_dropout: Fraction = 0.0
    return_sequences: bool = False

    @field_validator("activation", "recurrent_activation")
    @classmethod
    def _known_activation(cls, value: str) -> str:
        allowed = ("tanh", "sigmoid", "relu", "linear", "hard_sigmoid", "elu", "selu", "softsign")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)} (got {value!r})")
        return value


class ModelSpec(_Section):
    """A network (recurrent layers + Dense head) and how it is trained."""

    layers: Annotated[list[LayerSpec], Field(min_length=1)]
    loss: Literal["mse", "mae", "huber"] = "mse"
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    learning_rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.001
    epochs: PositiveInt = 60
    batch_size: PositiveInt = 32
    patience: Annotated[int, Field(strict=True, ge=0)] = 8  # 0 = no early stopping (Seed B's plain run)
    head: list[PositiveInt] = []  # hidden Dense(units, relu) layers before the output; [] = linear head

    @model_validator(mode="after")
    def _sequences_feed_recurrent_layers(self) -> ModelSpec:
        for index, layer in enumerate(self.layers[:-1]):
            if not layer.return_sequences:
                raise _KeyedError(
                    f"layers.{index}.return_sequences",
                    f"must be true: layer {index + 1} is recurrent and needs a sequence as input",
                    relative=True,
                )
        if self.layers[-1].return_sequences:
            raise _KeyedError(
                f"layers.{len(self.layers) - 1}.return_sequences",
                "must be false on the last layer: the Dense head takes one vector per window",
                relative=True,
            )
        return self


# host:port or ray://host:port of a running Ray cluster's head
_RAY_ADDRESS = re.compile(r"(ray://)?[A-Za-z0-9_.-]+:\d{1,5}")


class TrainParams(_Section):
    """``backend: ray`` fits each part's network as a Ray task (scope ``per_part``); ``ray_address``
    ``""`` starts Ray on this machine with its CPUs, ``auto`` or ``host:port`` joins a running cluster."""

    seed: StrictInt = 42
    scope: Literal["global", "per_part"] = "global"
    models: Annotated[list[str], Field(min_length=1)] = ["lstm"]
    backend: Literal["local", "ray"] = "local"
    ray_address: str = ""
    target: Literal["level", "residual"] = "level"  # residual: learn the correction to the latest plan
    # the networks' second input beside the window: the plan vintages of each target day, their flags,
    # the consensus of the firm vintages, the part's weekday profile, the target day's calendar
    # (plancast.models.tabular.TabularRows.network_context); [] = window only
    context: list[Literal["vintages", "flags", "consensus", "profile", "calendar"]] = [
        "vintages", "flags", "consensus", "profile", "calendar",
    ]  # fmt: skip
    # the profile's season on a step series, in steps (its phase: step % profile_period); null = no
    # profile there. Calendar days always use the weekday.
    profile_period: PositiveInt | None = None

    @field_validator("ray_address")
    @classmethod
    def _ray_address(cls, value: str) -> str:
        if value not in ("", "auto") and not _RAY_ADDRESS.fullmatch(value):
            raise ValueError(f"must be empty (Ray on this machine), auto or host:port of a Ray head (got {value!r})")
        return value

    @model_validator(mode="after")
    def _ray_trains_parts(self) -> TrainParams:
        if self.backend == "ray" and self.scope != "per_part":
            raise _KeyedError(
                "backend",
                "ray runs one task per part's network and needs train.scope: per_part (global is one network)",
                relative=True,
            )
        return self


class EvaluateParams(_Section):
    season_period: PositiveInt = 5
    ridge_alpha: Annotated[float, Field(ge=0.0)] = 1.0
    tabular: list[Literal[TABULAR]] = list(TABULAR)  # fed the plan vintages
    folds: Annotated[int, Field(strict=True, ge=1, le=52)] = 3  # test origins, each refits the tabular models


class ForecastParams(_Section):
    engine: Literal["keras", "onnx"] = "onnx"  # what runs the trained networks in evaluate and forecast
    recursive_steps: Annotated[int, Field(strict=True, ge=0, le=10000)] = 0


class Params(_Section):
    sample: SampleParams = SampleParams()
    ingest: IngestParams = IngestParams()
    daily: DailyParams = DailyParams()
    correlate: CorrelateParams = CorrelateParams()
    select_features: SelectFeaturesParams = SelectFeaturesParams()
    window: WindowParams = WindowParams()
    split_scale: SplitScaleParams = SplitScaleParams()
    train: TrainParams = TrainParams()
    models: dict[str, ModelSpec] = {"lstm": ModelSpec(layers=[LayerSpec(type="lstm", units=30)])}
    evaluate: EvaluateParams = EvaluateParams()
    forecast: ForecastParams = ForecastParams()

    @model_validator(mode="after")
    def _cross_checks(self) -> Params:
        for name in self.train.models:
            if name not in self.models:
                known = ", ".join(sorted(self.models)) or "none"
                raise _KeyedError("train.models", f"names {name!r}, which is not under models (known: {known})")
        for name in self.models:
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                raise _KeyedError(f"models.{name}", "model names may use letters, digits, '_' and '-' only")
        if self.forecast.recursive_steps and self.train.target == "residual" and self.ingest.max_horizon > 0:
            raise _KeyedError(
                "train.target",
                "residual networks add their output to the latest plan, which a recursive forecast does not "
                "have for its later steps; use train.target: level with forecast.recursive_steps (a series "
                "without plans, ingest.max_horizon: 0, corrects its season profile or last value instead)",
            )
        if self.forecast.recursive_steps and self.window.delays != [1]:
            raise _KeyedError(
                "forecast.recursive_steps",
                "the recursive forecast feeds each prediction back as the next input, so it needs window.delays: [1]",
            )
        return self


class _KeyedError(ValueError):
    """A cross-field error that knows which dotted key it is about."""

    def __init__(self, key: str, message: str, relative: bool = False) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.relative = relative  # key continues the location pydantic reports


_TYPE_NAMES = {"date", "datetime", "int", "str", "float", "bool"}


def _format_validation_error(source: str, error: ValidationError) -> str:
    first = error.errors()[0]
    ctx_error = first.get("ctx", {}).get("error")
    # a union (a date or a step) adds the tried type to the location: the key is the part before it
    loc = [part for part in first["loc"] if part not in _TYPE_NAMES]
    key = ".".join(str(part) for part in loc) or "(top level)"
    if isinstance(ctx_error, _KeyedError):
        full_key = f"{key}.{ctx_error.key}" if ctx_error.relative and first["loc"] else ctx_error.key
        return f"{source}: {full_key}: {ctx_error.message}"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "is not a known parameter"
    elif first["type"] == "missing":
        message = "is required"
    elif "input" in first and not isinstance(first["input"], dict | list):
        message = f"{message} (got {first['input']!r})"
    return f"{source}: {key}: {message}"


def parse_params(raw: object, source: str = PARAMS_FILE) -> Params:
    """Validate an already-loaded mapping; errors name ``source`` and the dotted key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: the top level must be a mapping of sections")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(_format_validation_error(source, exc)) from None


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any], source: str = "overrides") -> dict:
    """A copy of the params mapping ``raw`` with each ``{"window.lookback": 5}`` override set in place.

    Only the sections an override walks through must exist (as ``dvc exp run -S`` wants them): one that
    does not is one line naming ``source`` and the dotted key. Leaf keys are checked by the schema.
    """
    merged = copy.deepcopy(dict(raw))
    for dotted, value in overrides.items():
        node = merged
        *parents, leaf = dotted.split(".")
        for depth, key in enumerate(parents):
            if not isinstance(node.get(key), dict):
                raise ParamsError(f"{source}: {'.'.join(parents[: depth + 1])}: is not a section of params.yaml")
            node = node[key]
        node[leaf] = copy.deepcopy(value)
    return merged


def with_overrides(params: Params, overrides: Mapping[str, Any], source: str = "overrides") -> Params:
    """``params`` with dotted-key overrides applied, validated again and frozen like :func:`load_params`'s.

    A bad key or value is one :class:`ParamsError` line naming ``source`` and the dotted key.
    """
    return parse_params(apply_overrides(params.model_dump(), overrides, source), source)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML safe loading that refuses a key given twice in one mapping.

    Plain YAML loaders keep the last value silently, so a second ``lookback:`` further down a section
    would override the one the user is editing without a word.
    """

    def construct_document(self, node: yaml.Node) -> object:
        _refuse_repeated_keys(node, [])
        return super().construct_document(node)


class _RepeatedKey(ValueError):
    def __init__(self, key: str, first: int, second: int) -> None:
        super().__init__(f"{key}: given twice (lines {first} and {second}); keep one")


def _refuse_repeated_keys(node: yaml.Node, path: list[str]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else None
            if name is not None and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if name in seen:
                    raise _RepeatedKey(".".join([*path, name]), seen[name], line)
                seen[name] = line
            _refuse_repeated_keys(value, [*path, name or "?"])
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_repeated_keys(item, [*path, str(index)])


def _utf8_text(path: Path, data: bytes) -> str:
    """``data`` decoded as UTF-8 (a BOM allowed); else one line naming the first byte that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise ParamsError(
            f"{path}: byte {exc.start} (line {line}, column {column}) is not UTF-8 (0x{data[exc.start]:02x}); "
            "save it as UTF-8"
        ) from None


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read ``params.yaml`` (UTF-8) with YAML safe loading, refusing repeated keys, and validate it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found") from None
    except OSError as exc:
        raise ParamsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    text = _utf8_text(path, data)
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no tags that build objects
    except _RepeatedKey as exc:
        raise ParamsError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ParamsError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_params(raw, str(path))


def main(argv: list[str] | None = None) -> int:
    """``python -m plancast.params [FILE]``: check a params file and say so, or print its first bad key."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else PARAMS_FILE
    try:
        load_params(path)
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path} is valid")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
