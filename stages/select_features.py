"""Stage select_features: choose the plan horizons that become model inputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plancast.artifacts import write_json
from plancast.features import select_horizons
from plancast.params import Params
from plancast.stage import require_inputs, run_stage

TABLE = Path("data/reports/correlation.csv")
DAILY = Path("data/interim/daily.parquet")
FEATURES = Path("data/features/features.json")


def main(params: Params) -> None:
    require_inputs({TABLE: "correlate", DAILY: "daily_last"})
    table = pd.read_csv(TABLE, dtype={"part": str})
    # A series without horizons has no correlation rows, so the part names come from the daily table.
    parts = sorted(str(part) for part in pd.read_parquet(DAILY, columns=["part"])["part"].unique())
    choice = params.select_features
    features = select_horizons(
        table, choice.method, choice.basis, choice.top_k, choice.threshold, choice.horizons, parts=parts
    )
    write_json(FEATURES, features)
    distinct = sorted({tuple(columns) for columns in features["columns"].values()})
    shown = "; ".join(", ".join(columns) for columns in distinct[:3]) + (" ..." if len(distinct) > 3 else "")
    print(f"select_features: {choice.method} ({choice.basis}) -> {shown} for {len(parts)} parts")


if __name__ == "__main__":
    run_stage(main)
