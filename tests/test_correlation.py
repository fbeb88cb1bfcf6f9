"""Seed B's horizon alignment and the per-part / pooled correlations, on examples with known answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from plancast.artifacts import write_csv, write_json
from plancast.errors import InputDataError
from plancast.features.correlation import (
    align_horizons,
    best_horizon,
    correlation_summary,
    horizon_correlations,
    horizon_cross_correlation,
)

# Seed B's first printed daily rows of Part 94: D, D+1 .. D+12
PART_94 = [
    [42, 32, 30, 30, 30, 38, 0, 30, 30, 30, 30, 30, 0],
    [40, 30, 30, 30, 50, 45, 30, 30, 30, 30, 30, 0, 0],
    [40, 30, 30, 47, 43, 51, 0, 0, 0, 30, 30, 0, 30],
    [47, 30, 0, 53, 42, 39, 0, 0, 30, 30, 0, 30, 30],
    [46, 30, 30, 44, 37, 51, 0, 30, 30, 0, 30, 30, 30],
]


def daily_frame(part_columns: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """A daily table from {part: {column: values}}; days are consecutive from 2024-01-01."""
    frames = []
    for part, columns in part_columns.items():
        n = len(columns["target"])
        frame = pd.DataFrame({"part": part, "day": pd.date_range("2024-01-01", periods=n)} | columns)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def plans_for(actual: list[float], k: int, transform=lambda v: v) -> list[float]:
    """h{k} made on day t for day t + k: transform(actual[t + k]); NaN where that day is past the data."""
    return [transform(actual[t + k]) if t + k < len(actual) else np.nan for t in range(len(actual))]


def test_seed_b_alignment_of_the_printed_rows() -> None:
    daily = pd.DataFrame(PART_94, columns=["target", *(f"h{k}" for k in range(1, 13))], dtype=float)
    aligned = align_horizons(daily, [1, 2, 3, 4, 5])

    assert list(aligned.columns) == ["target", "h1", "h2", "h3", "h4", "h5"]
    # row 3 (09-16, actual 47): D+1 made on 09-15 = 30, D+2 on 09-14 = 30, D+3 on 09-13 = 30, no D+4 yet
    assert aligned.loc[3, ["target", "h1", "h2", "h3"]].tolist() == [47, 30, 30, 30]
    assert np.isnan(aligned.loc[3, "h4"])
    # row 4 (09-17, actual 46): D+1 from 09-16, D+2 from 09-15, D+3 from 09-14, D+4 from 09-13, all 30
    assert aligned.loc[4, ["target", "h1", "h2", "h3", "h4"]].tolist() == [46, 30, 30, 30, 30]
    # row 2: D+1 made on 09-14 is 30, D+2 made on 09-13 is 30
    assert aligned.loc[2, ["h1", "h2"]].tolist() == [30, 30]
    assert aligned["h5"].isna().all()
    assert aligned["h1"].isna().tolist() == [True, False, False, False, False]


def test_exact_plans_correlate_one_minus_one_and_constant_is_nan() -> None:
    actual = [5.0, 9.0, 2.0, 7.0, 4.0, 8.0, 1.0, 6.0, 3.0, 10.0, 0.0, 12.0]
    daily = daily_frame(
        {
            "A": {
                "target": actual,
                "h1": plans_for(actual, 1),  # the plan was exactly right
                "h2": plans_for(actual, 2, lambda v: 2 * v + 5),  # right up to a linear map
                "h3": plans_for(actual, 3, lambda v: 100 - v),  # exactly backwards
                "h4": plans_for(actual, 4, lambda v: 30.0),  # a placeholder lot size
            }
        }
    )
    table = horizon_correlations(daily, min_pairs=3)

    assert list(table.columns) == ["part", "horizon", "label", "correlation", "pairs"]
    part = table[table["part"] == "A"].set_index("horizon")
    assert part.loc[1, "correlation"] == pytest.approx(1.0)
    assert part.loc[2, "correlation"] == pytest.approx(1.0)
    assert part.loc[3, "correlation"] == pytest.approx(-1.0)
    assert np.isnan(part.loc[4, "correlation"])
    assert part["pairs"].tolist() == [11, 10, 9, 8]
    assert part["label"].tolist() == ["D+1", "D+2", "D+3", "D+4"]
    assert best_horizon(table) == "D+1"  # |r| = 1 for D+1, D+2 and D+3: the tie goes to the smallest k


def test_hand_computed_r_min_pairs_and_pooling_by_z_scores() -> None:
    # A's aligned pairs (actual of rows 1..4, plan made the row before): x = 1 2 3 4, y = 1 3 2 4;
    # sum dx*dy = 4, sum dx^2 = sum dy^2 = 5, so r = 0.8 on 4 pairs (row 0's actual has no D+1 plan).
    # B is 100 times bigger and exact: r = 1 on 6 pairs.
    b_actual = [100.0 * v for v in (3, 1, 4, 1, 5, 9, 2)]
    daily = daily_frame(
        {
            "A": {"target": [9.0, 1.0, 2.0, 3.0, 4.0], "h1": [1.0, 3.0, 2.0, 4.0, np.nan]},
            "B": {"target": b_actual, "h1": plans_for(b_actual, 1)},
        }
    )

    table = horizon_correlations(daily, min_pairs=3).set_index("part")
    assert table.loc["A", "correlation"] == pytest.approx(0.8)
    assert table.loc["A", "pairs"] == 4
    assert table.loc["B", "correlation"] == pytest.approx(1.0)
    # z-scoring within each part makes the pooled r the pairs-weighted mean: (4 * 0.8 + 6 * 1) / 10
    assert table.loc["pooled", "correlation"] == pytest.approx(0.92)
    assert table.loc["pooled", "pairs"] == 10

    strict = horizon_correlations(daily, min_pairs=5).set_index("part")
    assert np.isnan(strict.loc["A", "correlation"]) and strict.loc["A", "pairs"] == 4
    assert strict.loc["pooled", "correlation"] == pytest.approx(1.0)  # only B qualifies
    assert strict.loc["pooled", "pairs"] == 6


def test_undefined_correlations_stay_nan_in_csv_and_null_in_json(tmp_path) -> None:
    daily = daily_frame({"A": {"target": [1.0, 1.0, 1.0, 1.0], "h1": [1.0, 2.0, 3.0, np.nan]}})
    table = horizon_correlations(daily, min_pairs=3)
    assert table["correlation"].isna().all()
    assert table["part"].tolist() == ["A", "pooled"]

    write_csv(tmp_path / "correlation.csv", table)
    assert (tmp_path / "correlation.csv").read_text().splitlines() == [
        "part,horizon,label,correlation,pairs",
        "A,1,D+1,,3",
        "pooled,1,D+1,,0",
    ]
    summary = correlation_summary(table, ["A"])
    write_json(tmp_path / "correlate.json", summary)
    assert json.loads((tmp_path / "correlate.json").read_text()) == {
        "best_horizon": None,
        "parts": {"A": {"D+1": None}},
        "pooled": {"D+1": None},
    }


def test_a_series_without_horizons_gives_an_empty_table_and_valid_summary() -> None:
    daily = daily_frame({"series": {"target": [1.0, 2.0, 3.0]}})
    table = horizon_correlations(daily, min_pairs=3)
    assert table.empty
    assert list(table.columns) == ["part", "horizon", "label", "correlation", "pairs"]
    summary = correlation_summary(table, ["series"])
    assert summary == {"pooled": {}, "parts": {"series": {}}, "best_horizon": None}
    assert horizon_cross_correlation(daily, min_pairs=3).shape == (1, 1)


def test_summary_lists_parts_and_pooled_by_label() -> None:
    actual = [5.0, 9.0, 2.0, 7.0, 4.0, 8.0, 1.0, 6.0]
    daily = daily_frame({"A": {"target": actual, "h1": plans_for(actual, 1, lambda v: -v), "h2": plans_for(actual, 2)}})
    summary = correlation_summary(horizon_correlations(daily, min_pairs=3), ["A"])
    assert summary["parts"]["A"] == pytest.approx({"D+1": -1.0, "D+2": 1.0})
    assert summary["pooled"] == pytest.approx({"D+1": -1.0, "D+2": 1.0})
    assert summary["best_horizon"] == "D+1"


def test_cross_correlation_between_horizons_for_the_same_day() -> None:
    actual = [5.0, 9.0, 2.0, 7.0, 4.0, 8.0, 1.0, 6.0, 3.0, 10.0]
    daily = daily_frame({"A": {"target": actual, "h1": plans_for(actual, 1), "h2": plans_for(actual, 2, lambda v: -v)}})
    cross = horizon_cross_correlation(daily, min_pairs=3)
    assert list(cross.columns) == ["D", "D+1", "D+2"]
    np.testing.assert_allclose(cross.to_numpy(), [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)


def test_a_part_named_pooled_is_refused() -> None:
    daily = daily_frame({"pooled": {"target": [1.0, 2.0, 3.0], "h1": [2.0, 3.0, np.nan]}})
    with pytest.raises(InputDataError, match="'pooled' is reserved"):
        horizon_correlations(daily, min_pairs=3)
