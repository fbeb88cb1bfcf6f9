"""Choosing plan horizons from the correlation table: top_k, threshold, explicit; pooled or per part."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plancast.errors import ParamsError
from plancast.features.selection import rank_horizons, select_horizons

# Seed B's printed correlations (Part 94 and Part 95, D+1 .. D+12) and a made-up pooled row.
SEED_B_R = {
    "Part 94": [0.65, 0.41, 0.39, 0.14, 0.39, 0.02, 0.13, 0.25, 0.02, 0.22, 0.10, 0.08],
    "Part 95": [0.11, 0.28, 0.46, 0.59, 0.52, 0.27, 0.39, -0.14, -0.31, 0.11, 0.10, 0.18],
    "pooled": [0.40, 0.35, 0.42, 0.37, 0.45, 0.15, 0.26, 0.05, -0.45, 0.16, np.nan, 0.13],
}


def correlation_table(rows: dict[str, list[float]]) -> pd.DataFrame:
    records = [(part, k, f"D+{k}", r, 40) for part, values in rows.items() for k, r in enumerate(values, start=1)]
    return pd.DataFrame(records, columns=["part", "horizon", "label", "correlation", "pairs"])


def choose(method: str, basis: str = "pooled", top_k: int = 3, threshold: float = 0.3, horizons=(3, 4, 5), **kw):
    return select_horizons(correlation_table(SEED_B_R), method, basis, top_k, threshold, list(horizons), **kw)


def test_explicit_3_4_5_reproduces_seed_b() -> None:
    features = choose("explicit", horizons=[5, 3, 4])
    assert features == {
        "method": "explicit",
        "basis": "pooled",
        "horizons": {"Part 94": [3, 4, 5], "Part 95": [3, 4, 5]},
        "columns": {"Part 94": ["target", "h3", "h4", "h5"], "Part 95": ["target", "h3", "h4", "h5"]},
    }


def test_top_k_pooled_takes_largest_absolute_r_and_lists_them_in_increasing_k() -> None:
    # pooled |r|: D+5 0.45 and D+9 |-0.45| tie (smaller k first), then D+3 0.42
    assert rank_horizons(correlation_table({"pooled": SEED_B_R["pooled"]}))[:4] == [5, 9, 3, 1]
    features = choose("top_k", top_k=3)
    assert features["horizons"] == {"Part 94": [3, 5, 9], "Part 95": [3, 5, 9]}
    assert features["columns"]["Part 95"] == ["target", "h3", "h5", "h9"]
    assert choose("top_k", top_k=2)["horizons"]["Part 94"] == [5, 9]
    assert choose("top_k", top_k=0)["columns"]["Part 94"] == ["target"]
    assert len(choose("top_k", top_k=50)["horizons"]["Part 94"]) == 11  # the NaN horizon is never chosen


def test_top_k_per_part_ranks_each_part_by_its_own_r() -> None:
    features = choose("top_k", basis="per_part", top_k=3)
    assert features["horizons"] == {"Part 94": [1, 2, 3], "Part 95": [3, 4, 5]}  # 94: D+3 and D+5 tie at 0.39
    assert features["basis"] == "per_part"


def test_threshold_keeps_absolute_r_at_or_above() -> None:
    assert choose("threshold", threshold=0.42)["horizons"]["Part 94"] == [3, 5, 9]
    assert choose("threshold", basis="per_part", threshold=0.39)["horizons"] == {
        "Part 94": [1, 2, 3, 5],
        "Part 95": [3, 4, 5, 7],
    }
    assert choose("threshold", threshold=0.99)["columns"]["Part 94"] == ["target"]


def test_explicit_horizon_missing_from_the_data_names_the_param() -> None:
    with pytest.raises(ParamsError, match=r"^select_features\.horizons: D\+13 is not in the data"):
        choose("explicit", horizons=[3, 13])


def test_a_series_without_horizons_gets_only_the_target() -> None:
    empty = correlation_table({})
    for method in ("top_k", "threshold"):
        for basis in ("pooled", "per_part"):
            features = select_horizons(empty, method, basis, 3, 0.3, [3, 4, 5], parts=["series"])
            assert features["columns"] == {"series": ["target"]}
            assert features["horizons"] == {"series": []}
    assert select_horizons(empty, "explicit", "pooled", 3, 0.3, [], parts=["series"])["columns"] == {
        "series": ["target"]
    }
    with pytest.raises(ParamsError, match=r"select_features\.horizons: D\+3 is not in the data .*none"):
        select_horizons(empty, "explicit", "pooled", 3, 0.3, [3], parts=["series"])


def test_parts_argument_adds_parts_missing_from_the_table() -> None:
    features = choose("top_k", basis="per_part", parts=["Part 94", "Part 96"])
    assert features["columns"]["Part 96"] == ["target"]
    assert sorted(features["columns"]) == ["Part 94", "Part 95", "Part 96"]
