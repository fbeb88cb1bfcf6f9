"""Which plan horizons become model inputs: ranked by their correlation with the actual.

Seed B picked D+3, D+4 and D+5 by eye; here the choice is a rule (``top_k``, ``threshold``) or that
explicit list, applied to the pooled ranking (one list for all parts) or to each part's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from plancast.errors import ParamsError
from plancast.features.correlation import POOLED

Method = Literal["top_k", "threshold", "explicit"]
Basis = Literal["pooled", "per_part"]


def rank_horizons(correlations: pd.DataFrame) -> list[int]:
    """Horizons with a defined r, by decreasing |r|, ties broken by the smaller k."""
    defined = correlations[correlations["correlation"].notna()]
    pairs = zip(defined["correlation"].to_numpy(dtype=np.float64), defined["horizon"], strict=True)
    return [int(k) for _, k in sorted(pairs, key=lambda rk: (-abs(rk[0]), int(rk[1])))]


def _choose(correlations: pd.DataFrame, method: Method, top_k: int, threshold: float) -> list[int]:
    """The horizons one ranking (rows of a single part, or the pooled rows) selects, in increasing k."""
    if method == "top_k":
        return sorted(rank_horizons(correlations)[:top_k])
    defined = correlations[correlations["correlation"].notna()]
    keep = defined["correlation"].abs().to_numpy() >= threshold
    return sorted(int(k) for k in defined["horizon"].to_numpy()[keep])


def _explicit(correlations: pd.DataFrame, horizons: Sequence[int]) -> list[int]:
    available = sorted(int(k) for k in correlations["horizon"].unique())
    for k in sorted(set(horizons)):
        if k not in available:
            found = f"D+{available[0]} .. D+{available[-1]}" if available else "none, a series without plan columns"
            raise ParamsError(f"select_features.horizons: D+{k} is not in the data (horizons found: {found})")
    return sorted(set(int(k) for k in horizons))


def select_horizons(
    correlations: pd.DataFrame,
    method: Method,
    basis: Basis,
    top_k: int,
    threshold: float,
    horizons: Sequence[int],
    parts: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The chosen horizons and input columns of every part (features.json).

    ``correlations``: correlation.csv's long form. ``method``: ``top_k`` (largest |r|, ties to the
    smaller k), ``threshold`` (|r| >= threshold) or ``explicit`` (``horizons``). ``basis``: ``pooled``
    ranks by the pooled rows and gives every part the same list; ``per_part`` ranks each part by its own
    rows. ``parts``: every part to cover (default: those in the table; pass them so that a series without
    horizons, which has no rows, still gets ``["target"]``). Returns ``{"method", "basis", "horizons":
    {part: [k, ...]}, "columns": {part: ["target", "h{k}", ...]}}``, horizons in increasing k.
    """
    table_parts = sorted(str(p) for p in correlations["part"].unique() if p != POOLED)
    all_parts = sorted({*table_parts, *(str(p) for p in (parts or []))})
    chosen: dict[str, list[int]] = {}
    if method == "explicit":
        explicit = _explicit(correlations, horizons)
        chosen = {part: explicit for part in all_parts}
    elif basis == "pooled":
        pooled = _choose(correlations[correlations["part"] == POOLED], method, top_k, threshold)
        chosen = {part: pooled for part in all_parts}
    else:
        for part in all_parts:
            chosen[part] = _choose(correlations[correlations["part"] == part], method, top_k, threshold)
    return {
        "method": method,
        "basis": basis,
        "horizons": {part: list(ks) for part, ks in chosen.items()},
        "columns": {part: ["target", *(f"h{k}" for k in ks)] for part, ks in chosen.items()},
    }
