"""Any params file the checker accepts runs the data stages, or stops them with one line naming a key.

Hypothesis draws the keys that shape ingest -> daily_last -> correlate -> select_features -> window ->
split_scale (column names, time format, horizons, calendar, the training cut, gaps, feature choice,
lookback, delays, split cuts and fractions), edge values included, validates them with the one schema and runs the six
stage scripts in-process on a tiny export (``plancast.data.sample``). A run ends in one of three ways:
the checker refuses the params, a stage refuses them (or the data they select) with a
:class:`~plancast.errors.PlancastError` of one line naming the dotted key, or every stage succeeds and
leaves what stage train takes for granted (training and validation windows, finite scalers). Any other
exception, or a train that would fail, is a bug in the schema or a stage.

40 examples take ~25 s on a 2-core machine (marked ``slow``); ``PLANCAST_PROPERTY_EXAMPLES=300`` searches
longer.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from plancast import catalog
from plancast.artifacts import load_npz
from plancast.data.sample import (
    PART_HEADER,
    TARGET_HEADER,
    TIME_HEADER,
    horizon_header,
    plan_snapshots,
    seed_a_series,
)
from plancast.errors import InputDataError, ParamsError, PlancastError
from plancast.params import parse_params
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams, SampleParams
from plancast.stage import invoke

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["ingest", "daily_last", "correlate", "select_features", "window", "split_scale"]
SOURCE = "data/raw/plan.csv"
SECTIONS = ("ingest", "daily", "train", "correlate", "select_features", "window", "split_scale")
KEY = re.compile(rf"\b(?:{'|'.join(SECTIONS)})\.[a-z_]+")


def _stage(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"property_stage_{name}", ROOT / "stages" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _exports() -> dict[str, bytes]:
    """Two tiny exports as CSV: plan snapshots (3 parts, 30 working days 2025-01-06 .. 2025-02-14, a few
    days missing) and a step series without plans (Seed A's wave, 90 steps). Made once, outside
    Hypothesis' arguments, so that a failing example prints the params alone."""
    plan = plan_snapshots(SampleParams(parts=3, days=30, missing_days=0.05, seed=7))
    wave = seed_a_series(90, 2022)
    return {"plan": plan.to_csv(index=False).encode(), "wave": wave.to_csv(index=False).encode()}


@functools.cache
def _shipped() -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped params.yaml and the stage scripts' modules."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    return raw, {name: _stage(name) for name in STAGES}


DAYS = st.dates(min_value=date(2024, 12, 1), max_value=date(2025, 3, 31))
CUT = st.one_of(DAYS, st.integers(-5, 100))
CUTS = st.one_of(  # (validation_start, test_start): mostly from the fractions, else either or both
    st.just((None, None)),
    st.just((None, None)),
    st.tuples(CUT, st.none()),
    st.tuples(st.none(), CUT),
    st.tuples(CUT, CUT),
)
COLUMN = st.sampled_from(
    [PART_HEADER, TIME_HEADER, TARGET_HEADER, horizon_header(1), "Line", "Unit", "x", "time_cos", "nope", ""]
)

EDGE_FRACTIONS = ([0.98, 0.01, 0.01], [0.5, 0.5, 0.0], [0.34, 0.33, 0.33], [0.1, 0.1, 0.8], [1, 0, 0])


def usually(value: Any, *others: Any) -> st.SearchStrategy[Any]:
    """``value`` about nine times in ten, else one of ``others``: most examples get past ingest."""
    return st.sampled_from([value] * 9 * len(others) + list(others))


def _columns(draw: st.DrawFn, export: str) -> dict[str, Any]:
    """The export's own column mapping, or now and then another column (or none) in one of its keys."""
    if export == "plan":
        own = {"part_column": PART_HEADER, "time_column": TIME_HEADER, "target_column": TARGET_HEADER}
        own |= {"time_format": "%Y%m%d%H%M", "max_horizon": draw(st.integers(0, 14))}
    else:  # configs/seed_a.yaml
        own = {"part_column": None, "time_column": "x", "target_column": "time_cos", "time_format": "step"}
        own |= {
            "part_name": "time_cos",
            "max_horizon": draw(usually(0, 3)),
            "allow_negative": draw(usually(True, False)),
        }
    if draw(st.integers(0, 5)) == 0:
        key = draw(st.sampled_from(["part_column", "time_column", "target_column", "time_format"]))
        own[key] = draw(
            st.sampled_from(["step", "%Y-%m-%d", "%Y%m%d", "%Y%m%d%H%M"]) if key == "time_format" else COLUMN
        )
    return own


# keys of issue 22's ingest work, drawn where this version of the schema has them
NEWER_INGEST = {
    "max_quantity": usually(1e9, 1.0, 500.0),
    "part_digits": usually(None, "distinct", 4),
    "timezone": usually(None, "Asia/Seoul", "UTC"),
}


@st.composite
def data_params(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An export and overrides of the data stages' keys: mostly plausible values, with edges and
    collisions among them."""
    export = draw(usually("plan", "wave"))
    ingest = {
        "source": SOURCE,
        **_columns(draw, export),
        "horizon_pattern": draw(usually(r"^D\+(\d+)일", r"^D\+(\d+)", r"(\d+)", r"^X(\d+)", r"D\+(\w+)")),
        "parts": draw(usually([], ["Part 1"], ["Part 2", "Part 3"], ["Part 9"])),
        "on_bad_rows": draw(st.sampled_from(["error", "quarantine"])),
        "header_row": draw(usually("auto", 1, 2)),
        "on_conflict": draw(usually("latest_file", "error")),
        "thousands": draw(usually(",", "", "_")),
        "sheets": draw(usually([], ["nope"])),
    }
    ingest |= {key: draw(values) for key, values in NEWER_INGEST.items() if key in IngestParams.model_fields}
    daily = {
        "calendar": draw(st.sampled_from(["business", "every_day"])),
        "holidays": draw(usually([], ["2025-01-28"], ["2024-12-25", "2025-03-03"], ["2025-02-14"])),
        "country": None,
        "max_gap_days": draw(usually(60, 1, 3, 10, 30)),
    }
    if "stray_share" in DailyParams.model_fields:
        daily["stray_share"] = draw(usually(0.5, 0.0, 1.0))
    delays = sorted(set(draw(st.lists(st.integers(1, 12), min_size=1, max_size=4))))
    validation_start, test_start = draw(CUTS)
    split = {
        "fractions": draw(usually([0.7, 0.1, 0.2], *EDGE_FRACTIONS)),
        "validation_start": validation_start,
        "test_start": test_start,
        "scaler": draw(st.sampled_from(["standard", "minmax"])),
    }
    return export, {
        "ingest": ingest,
        "daily": daily,
        "correlate": {"min_pairs": draw(st.integers(3, 40))},
        "select_features": {
            "method": draw(st.sampled_from(["top_k", "threshold", "explicit"])),
            "basis": draw(st.sampled_from(["pooled", "per_part"])),
            "top_k": draw(st.integers(0, 14)),
            "threshold": draw(st.sampled_from([0.0, 0.3, 0.9, 1.0])),
            "horizons": sorted(set(draw(st.lists(st.integers(1, 14), min_size=0, max_size=3)))),
        },
        "window": {"lookback": draw(st.one_of(st.integers(1, 12), st.integers(13, 40))), "delays": delays},
        # the plan's days run 2025-01-06 .. 2025-02-14, the wave's steps 0 .. 89
        "train": {"until": draw(usually(None, "weekly", "2025-01-31", "2025-02-14", "2026-01-12", 45, 89, 120))},
        "split_scale": {key: value.isoformat() if isinstance(value, date) else value for key, value in split.items()},
    }


def _one_line_naming_a_key(exc: PlancastError, stage: str) -> None:
    """One line naming the dotted key; a problem in the export itself (a cell the params cannot read) may
    name the file, row and column instead."""
    message = str(exc)
    assert "\n" not in message, f"{stage}: a message of several lines: {message!r}"
    names_the_file = isinstance(exc, InputDataError) and message.startswith(SOURCE)
    assert KEY.search(message) or names_the_file, f"{stage}: a message that names no params key: {message!r}"


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("PLANCAST_PROPERTY_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(drawn=data_params())
def test_accepted_params_run_the_data_stages_or_stop_with_one_line(drawn) -> None:
    export, overrides = drawn
    shipped, stages = _shipped()
    raw = {**shipped, **{section: {**shipped[section], **values} for section, values in overrides.items()}}
    try:
        params = parse_params(raw)
    except ParamsError as exc:
        _one_line_naming_a_key(exc, "the checker")
        event("refused by the checker", str(exc).split(":")[1].strip())
        return
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path(SOURCE).parent.mkdir(parents=True)
        Path(SOURCE).write_bytes(_exports()[export])
        for name in STAGES:
            try:
                invoke(name, stages[name].main, params)
            except PlancastError as exc:
                _one_line_naming_a_key(exc, name)
                event(f"stopped by {name}: {type(exc).__name__}", re.sub(r"\d+", "N", str(exc))[:90])
                return
        _train_can_start()
    event("ran every data stage", export)


def _train_can_start() -> None:
    """What stage train takes for granted of split_scale's outputs: training and validation windows (the
    epoch is chosen on validation) and a finite number in every scaler."""
    splits = load_npz(catalog.SPLITS.path)
    assert len(splits["window_train"]) and len(splits["window_val"]), "split_scale wrote an empty train or val split"
    scalers = json.loads(Path(catalog.SCALERS.path).read_text(encoding="utf-8"))
    assert "null" not in json.dumps(scalers), "split_scale wrote a null scaler"
