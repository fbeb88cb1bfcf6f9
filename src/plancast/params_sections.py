"""The sections of ``params.yaml``, each a frozen model with every key's type and allowed values.

:class:`plancast.params.Params` holds one of each and checks them across sections; the ingest section,
the mapping of a user's export, is :class:`plancast.params_ingest.IngestParams`. A validator's
``ValueError`` is about its own key; :class:`KeyedError` names another (a check across fields).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plancast.names import STATISTICAL, TABULAR

StrictInt = Annotated[int, Field(strict=True)]  # `true` is not 1: a YAML boolean is refused where a number goes
PositiveInt = Annotated[int, Field(strict=True, ge=1)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class Section(BaseModel):
    """The base of every section: a key it does not know is an error, and it is frozen once read."""

    # .inf and .nan are YAML floats, but no key means them: a float key that allows one says so itself
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class KeyedError(ValueError):
    """A cross-field error that knows which dotted key it is about."""

    def __init__(self, key: str, message: str, relative: bool = False) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.relative = relative  # key continues the location pydantic reports


def null_or_checked(value: str | None, check: Callable[[str], None]) -> str | None:
    """``value`` of a key that may be null (off): a name must pass ``check``, whose ValueError says what
    the key allows (a time zone, a country code)."""
    if value is not None:
        check(value)
    return value


class SampleParams(Section):
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
    bias_from: date | None = None  # plans made from this day on are biased; None: every plan (a drift to detect)
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


class DailyParams(Section):
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
        return null_or_checked(value, _check_country)


def _check_country(code: str) -> None:
    try:
        import holidays
    except ImportError:
        raise ValueError("needs the Python package `holidays` (pip install holidays), or null") from None
    if code not in holidays.list_supported_countries():
        raise ValueError(f"is not a country code the holidays package knows, e.g. KR, US, DE (got {code!r})")


class CorrelateParams(Section):
    min_pairs: Annotated[int, Field(strict=True, ge=3)] = 10


class SelectFeaturesParams(Section):
    method: Literal["top_k", "threshold", "explicit"] = "top_k"
    basis: Literal["pooled", "per_part"] = "pooled"
    top_k: Annotated[int, Field(strict=True, ge=0)] = 3
    threshold: Fraction = 0.3
    horizons: list[PositiveInt] = [3, 4, 5]


Gaps = Literal["drop", "keep"]


class WindowParams(Section):
    """The lookback windows; ``gaps``: what a window touching a day without a snapshot is.

    ``keep`` (the default) keeps a window with a snapshot in its lookback and a target at one of its
    delays at least: a missing input stays NaN (never filled, never bridged), a missing target is NaN
    for that (window, delay) alone, each target counts in the split of its own day (so twelve delays
    cost the near ones no window at a cut), and the latest window of a part goes into the forecast
    unless its lookback holds no snapshot at all (:mod:`plancast.features.windows`). ``drop`` leaves
    out every window whose days (inputs or targets) include a missing day or hold a missing value, and
    puts a window in a split only with all its targets there.
    """

    lookback: PositiveInt = 10
    delays: list[PositiveInt] = list(range(1, 13))  # every horizon of the planning system's export (D+1 .. D+12)
    gaps: Gaps = "keep"

    @field_validator("delays")
    @classmethod
    def _distinct_sorted(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("needs at least one delay")
        if len(set(value)) != len(value) or sorted(value) != value:
            raise ValueError("must be distinct and increasing, e.g. [1, 2, 3]")
        return value


class SplitScaleParams(Section):
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
            raise KeyedError(
                "test_start",
                f"give split_scale.validation_start and test_start both as days or both as steps (got {start} "
                f"and {end})",
                relative=True,
            )
        if end <= start:
            raise KeyedError(
                "test_start",
                f"must be after split_scale.validation_start, or validation holds no day (got {end}, validation "
                f"from {start})",
                relative=True,
            )
        return self


class LayerSpec(Section):
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


class ModelSpec(Section):
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
                raise KeyedError(
                    f"layers.{index}.return_sequences",
                    f"must be true: layer {index + 1} is recurrent and needs a sequence as input",
                    relative=True,
                )
        if self.layers[-1].return_sequences:
            raise KeyedError(
                f"layers.{len(self.layers) - 1}.return_sequences",
                "must be false on the last layer: the Dense head takes one vector per window",
                relative=True,
            )
        return self


# host:port or ray://host:port of a running Ray cluster's head
_RAY_ADDRESS = re.compile(r"(ray://)?[A-Za-z0-9_.-]+:\d{1,5}")

WEEKLY = "weekly"  # train.until's rule: the first working day of the week of the data's last day
# train.until: the last day the models learn from (plancast.data.training_cut); None = the data's last day
TrainUntil = date | StrictInt | Literal["weekly"] | None
UNTIL_ALLOWED = (
    "must be a day (e.g. '2025-12-29'), a step of a step series (an integer), weekly (the first working day "
    "of the data's last week) or empty (the data's last day)"
)


class TrainParams(Section):
    """``backend: ray`` runs the independent fits as Ray tasks: each part's network (scope ``per_part``;
    a global network is one fit, made here) and evaluate's tabular refits, per origin and delay;
    ``ray_address`` ``""`` starts Ray on this machine with its CPUs, ``auto`` or ``host:port`` joins a
    running cluster."""

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
    # the training cut: correlate .. evaluate see the days up to it only, so a new day's export retrains
    # nothing until the cut moves (plancast.data.training_cut); the forecast reads every day
    until: TrainUntil = None

    @field_validator("until", mode="before")
    @classmethod
    def _day_step_or_rule(cls, value: object) -> object:
        if isinstance(value, str) and value != WEEKLY:
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{UNTIL_ALLOWED} (got {value!r})") from None
        if isinstance(value, bool) or not isinstance(value, str | int | date | None):
            raise ValueError(f"{UNTIL_ALLOWED} (got {value!r})")
        return value

    @field_validator("ray_address")
    @classmethod
    def _ray_address(cls, value: str) -> str:
        if value not in ("", "auto") and not _RAY_ADDRESS.fullmatch(value):
            raise ValueError(f"must be empty (Ray on this machine), auto or host:port of a Ray head (got {value!r})")
        return value


class EvaluateParams(Section):
    season_period: PositiveInt = 5
    ridge_alpha: Annotated[float, Field(ge=0.0)] = 1.0
    tabular: list[Literal[TABULAR]] = list(TABULAR)  # fed the plan vintages
    statistical: list[Literal[STATISTICAL]] = []  # statsforecast's models per part (auto_ets), route candidates
    folds: Annotated[int, Field(strict=True, ge=1, le=52)] = 3  # test origins, each refits the tabular models
    # the boosted trees fit at most this many rows per delay, drawn with the seed (None = all): a plant's
    # scale, chosen on validation (docs/decisions.md); the bundled sample has fewer
    boosted_rows: Annotated[int, Field(strict=True, ge=1000)] | None = 50_000


class ForecastParams(Section):
    engine: Literal["keras", "onnx"] = "onnx"  # what runs the trained networks in evaluate and forecast
    recursive_steps: Annotated[int, Field(strict=True, ge=0, le=10000)] = 0


class ReportParams(Section):
    """What people read: the planner's workbook's language (sheet names, headers, verdicts, weekdays)."""

    language: Literal["en", "ko"] = "en"


class MonitorParams(Section):
    """Does the model still hold? (stage monitor, :mod:`plancast.evaluation.monitor`). Each day of the live
    history is judged on its last ``days`` working days, each without its one most telling day: an alarm
    when the recommended forecast's skill over the plan falls below the backtest's folds (mean − ``band`` ×
    their spread) or when the plan's bias at a horizon moves from the backtest's by more than ``plan_shift``
    × the plan's own relative error there; retrain when ``consecutive`` days in a row raise one. Chosen on
    the sample with a planner turning 15% high (``benchmarks/drift.py``, docs/monitoring.md)."""

    days: Annotated[int, Field(strict=True, ge=1, le=260)] = 7
    consecutive: PositiveInt = 2
    band: Annotated[float, Field(ge=0.0, le=10.0)] = 3.0
    plan_shift: Annotated[float, Field(gt=0.0, le=10.0)] = 0.4
