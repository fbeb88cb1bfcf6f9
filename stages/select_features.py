"""Stage select_features: choose the plan horizons that become model inputs."""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import write_json
from plancast.pipeline.select_features import select_features
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    table = pd.read_csv(io.read(catalog.CORRELATION), dtype={"part": str})
    # A series without horizons has no correlation rows, so the part names come from the daily table.
    daily = pd.read_parquet(io.read(catalog.TRAINING_DAILY), columns=["part"])
    parts = sorted(str(part) for part in daily["part"].unique())
    choice = unwrap(params.select_features)
    features = select_features(choice, table, parts)
    write_json(io.write(catalog.FEATURES), features)
    distinct = sorted({tuple(columns) for columns in features["columns"].values()})
    shown = "; ".join(", ".join(columns) for columns in distinct[:3]) + (" ..." if len(distinct) > 3 else "")
    print(f"select_features: {choice.method} ({features['basis']}) -> {shown} for {len(parts)} parts")


if __name__ == "__main__":
    run_stage("select_features", main)
