"""The params file: :class:`Params`, every section of ``params.yaml``, read and validated once.

``load_params(path)`` reads the file with YAML safe loading, validates it once and returns a frozen
:class:`Params` (the sections' own schemas: :mod:`plancast.params_sections`, :mod:`plancast.params_ingest`).
A bad value ends in :class:`~plancast.errors.ParamsError` whose message names the dotted key, what is
allowed and what was given, e.g. ``params.yaml: window.lookback: must be >= 1 (got 0)``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError, model_validator

from plancast.errors import ParamsError
from plancast.params_ingest import IngestParams
from plancast.params_sections import (
    CorrelateParams,
    DailyParams,
    EvaluateParams,
    ForecastParams,
    KeyedError,
    LayerSpec,
    ModelSpec,
    MonitorParams,
    ReportParams,
    SampleParams,
    Section,
    SelectFeaturesParams,
    SplitScaleParams,
    TrainParams,
    WindowParams,
)

PARAMS_FILE = "params.yaml"


class Params(Section):
    """Every section of ``params.yaml``, checked across sections (the networks ``train.models`` names exist)."""

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
    report: ReportParams = ReportParams()
    monitor: MonitorParams = MonitorParams()

    @model_validator(mode="after")
    def _cross_checks(self) -> Params:
        for name in self.train.models:
            if name not in self.models:
                known = ", ".join(sorted(self.models)) or "none"
                raise KeyedError("train.models", f"names {name!r}, which is not under models (known: {known})")
        for name in self.models:
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                raise KeyedError(f"models.{name}", "model names may use letters, digits, '_' and '-' only")
        if self.forecast.recursive_steps and self.train.target == "residual" and self.ingest.max_horizon > 0:
            raise KeyedError(
                "train.target",
                "residual networks add their output to the latest plan, which a recursive forecast does not "
                "have for its later steps; use train.target: level with forecast.recursive_steps (a series "
                "without plans, ingest.max_horizon: 0, corrects its season profile or last value instead)",
            )
        horizon = self.ingest.max_horizon
        if horizon and self.window.delays[-1] > horizon:
            raise KeyedError(
                "window.delays",
                f"delay {self.window.delays[-1]} is beyond ingest.max_horizon = {horizon}: the plan has no number "
                f"that far ahead to compare with; use delays up to {horizon} (or raise ingest.max_horizon)",
            )
        if self.forecast.recursive_steps and self.window.delays != [1]:
            raise KeyedError(
                "forecast.recursive_steps",
                "the recursive forecast feeds each prediction back as the next input, so it needs window.delays: [1]",
            )
        return self


_TYPE_NAMES = {"date", "datetime", "int", "str", "float", "bool"}


def _format_validation_error(source: str, error: ValidationError) -> str:
    first = error.errors()[0]
    ctx_error = first.get("ctx", {}).get("error")
    # a union (a date or a step) adds the tried type to the location: the key is the part before it
    loc = [part for part in first["loc"] if part not in _TYPE_NAMES]
    key = ".".join(str(part) for part in loc) or "(top level)"
    if isinstance(ctx_error, KeyedError):
        full_key = f"{key}.{ctx_error.key}" if ctx_error.relative and first["loc"] else ctx_error.key
        return f"{source}: {full_key}: {ctx_error.message}"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "is not a known parameter"
    elif first["type"] == "missing":
        message = "is required"
    elif "input" in first and not isinstance(first["input"], dict | list) and "(got " not in message:
        message = f"{message} (got {first['input']!r})"  # a check of ours names what it got itself
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
