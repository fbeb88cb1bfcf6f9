"""How well does each plan horizon predict what really went in? Seed B's alignment and correlation.

Row t of a part's daily table holds the actual ``target`` of day t and the plans ``h{k}`` made that day
for day t+k. Shifting ``h{k}`` down by k rows puts the plan for day t beside day t's actual; the Pearson
correlation of the two columns says how much the k-days-ahead plan is worth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.daily import horizon_columns
from plancast.errors import InputDataError

POOLED = "pooled"
CORRELATION_COLUMNS = ("part", "horizon", "label", "correlation", "pairs")


def label(horizon: int) -> str:
    """The human name of horizon k: ``D+k`` (``D`` for the actual, k = 0)."""
    return f"D+{horizon}" if horizon else "D"


def align_horizons(daily_of_one_part: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
    """Seed B's alignment: ``h{k}`` shifted down k rows, so each row is one day's actual and its plans.

    ``daily_of_one_part``: one part's daily rows in day order. Returns a frame with the same row count:
    ``target`` and ``h{k}`` for each k, where ``h{k}`` in row t is the plan made in row t-k (NaN in the
    first k rows).
    """
    aligned = {"target": daily_of_one_part["target"].to_numpy(dtype=np.float64)}
    for k in horizons:
        aligned[f"h{k}"] = daily_of_one_part[f"h{k}"].shift(k).to_numpy(dtype=np.float64)
    return pd.DataFrame(aligned)


def _zscore(values: np.ndarray) -> np.ndarray | None:
    # Exact min == max rather than std == 0: the float mean of a constant column can leave a 1e-15 std.
    if values.size < 2 or values.min() == values.max():
        return None
    return (values - values.mean()) / values.std()


def _pearson_from_z(z_pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    actual = np.concatenate([a for a, _ in z_pairs])
    plan = np.concatenate([p for _, p in z_pairs])
    return float(np.clip(np.mean(actual * plan), -1.0, 1.0))


def _both_present(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(first) & np.isfinite(second)
    return first[keep], second[keep]


def _standardised_pairs(
    first: np.ndarray, second: np.ndarray, min_pairs: int
) -> tuple[int, tuple[np.ndarray, np.ndarray] | None]:
    """Pairs where both are present, and both z-scored when a correlation is defined on them."""
    first, second = _both_present(first, second)
    if first.size < min_pairs:
        return first.size, None
    z_first, z_second = _zscore(first), _zscore(second)
    if z_first is None or z_second is None:
        return first.size, None
    return first.size, (z_first, z_second)


def _aligned_by_part(daily: pd.DataFrame, horizons: Sequence[int]) -> dict[str, pd.DataFrame]:
    parts = sorted(str(part) for part in daily["part"].unique())
    if POOLED in parts:
        raise InputDataError(f"daily table: column 'part': the part name {POOLED!r} is reserved for the pooled row")
    ordered = daily.sort_values(["part", "day"], kind="stable")
    return {str(part): align_horizons(rows, horizons) for part, rows in ordered.groupby("part", sort=True)}


def horizon_correlations(daily: pd.DataFrame, min_pairs: int) -> pd.DataFrame:
    """Pearson r of the actual with each aligned horizon, per part and pooled (correlation.csv, long form).

    ``daily``: the daily table of all parts. Returns rows ``part, horizon, label, correlation, pairs``
    sorted by part then horizon, followed by one ``pooled`` row per horizon. A part's r is NaN with fewer
    than ``min_pairs`` pairs or a constant column. The pooled r is the Pearson correlation over the pairs
    of every part with a defined r, after z-scoring actual and plan within each part (equal to the
    pairs-weighted mean of those parts' r); its ``pairs`` counts those pairs.
    """
    horizons = horizon_columns(daily)
    rows: list[tuple[str, int, str, float, int]] = []
    pooled: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in horizons}
    for part, aligned in _aligned_by_part(daily, horizons).items():
        actual = aligned["target"].to_numpy()
        for k in horizons:
            pairs, z = _standardised_pairs(actual, aligned[f"h{k}"].to_numpy(), min_pairs)
            r = np.nan if z is None else _pearson_from_z([z])
            if z is not None:
                pooled[k].append(z)
            rows.append((part, k, label(k), r, pairs))
    for k in horizons:
        pooled_pairs = sum(a.size for a, _ in pooled[k])
        r = _pearson_from_z(pooled[k]) if pooled[k] else np.nan
        rows.append((POOLED, k, label(k), r, pooled_pairs))
    table = pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))
    return table.astype({"part": str, "horizon": np.int64, "label": str, "correlation": np.float64, "pairs": np.int64})


def horizon_cross_correlation(daily: pd.DataFrame, min_pairs: int) -> pd.DataFrame:
    """Pooled Pearson r between every two of actual and aligned horizons (plans for the same day).

    Returns a symmetric ``(K + 1, K + 1)`` frame indexed and labelled ``D, D+1 .. D+K``; each entry
    pools the parts whose pair is defined (``min_pairs`` pairs, no constant column), z-scored within
    the part, as in :func:`horizon_correlations`. NaN where no part qualifies.
    """
    horizons = horizon_columns(daily)
    columns = ["target", *(f"h{k}" for k in horizons)]
    names = [label(k) for k in (0, *horizons)]
    matrix = np.full((len(columns), len(columns)), np.nan)
    # One (days, K + 1) array per part: a pandas column lookup per part and pair costs more than the
    # arithmetic at thousands of parts (91 pairs x 2,000 parts).
    aligned_parts = [aligned[columns].to_numpy(np.float64) for aligned in _aligned_by_part(daily, horizons).values()]
    for i in range(len(columns)):
        for j in range(i, len(columns)):
            pooled = []
            for aligned in aligned_parts:
                _, z = _standardised_pairs(aligned[:, i], aligned[:, j], min_pairs)
                if z is not None:
                    pooled.append(z)
            if pooled:
                matrix[i, j] = matrix[j, i] = _pearson_from_z(pooled)
    return pd.DataFrame(matrix, index=names, columns=names)


def best_horizon(table: pd.DataFrame) -> str | None:
    """The pooled horizon with the largest |r| (ties: smaller k), as ``D+k``; None if none is defined."""
    pooled = table[(table["part"] == POOLED) & table["correlation"].notna()]
    if pooled.empty:
        return None
    ranked = sorted(zip(pooled["correlation"], pooled["horizon"], strict=True), key=lambda rk: (-abs(rk[0]), rk[1]))
    return label(int(ranked[0][1]))


def correlation_summary(table: pd.DataFrame, parts: Sequence[str]) -> dict[str, Any]:
    """``{"pooled": {"D+k": r}, "parts": {part: {"D+k": r}}, "best_horizon"}``: the best horizon and its
    pooled r are metrics/correlate.json, ``parts`` data/reports/correlate_parts.json (``pooled`` is
    correlation.csv's ``pooled`` rows; one per horizon, so not a metric).

    ``parts`` lists every part, so one without horizons still appears (with an empty mapping).
    """
    by_part: dict[str, dict[str, float]] = {str(part): {} for part in parts}
    pooled: dict[str, float] = {}
    for part, name, r in zip(table["part"], table["label"], table["correlation"], strict=True):
        (pooled if part == POOLED else by_part.setdefault(str(part), {}))[str(name)] = float(r)
    return {"pooled": pooled, "parts": by_part, "best_horizon": best_horizon(table)}
