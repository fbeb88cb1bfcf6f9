"""Stage ingest: read the planning export(s) into the canonical snapshot table."""

from __future__ import annotations

from plancast.artifacts import write_csv, write_json, write_parquet
from plancast.data.ingest import ingest
from plancast.params import Params
from plancast.stage import run_stage

SNAPSHOTS_PATH = "data/interim/snapshots.parquet"
REJECTS_PATH = "data/interim/rejects.csv"
CONFLICTS_PATH = "data/interim/conflicts.csv"
METRICS_PATH = "metrics/ingest.json"


def main(params: Params) -> None:
    result = ingest(params.ingest, params.daily)
    write_parquet(SNAPSHOTS_PATH, result.snapshots)
    write_csv(REJECTS_PATH, result.rejects)
    write_csv(CONFLICTS_PATH, result.conflicts)
    write_json(METRICS_PATH, result.metrics)
    m = result.metrics
    print(
        f"ingest: {m['rows_kept']:,} snapshots of {m['parts']} parts ({m['horizons']} horizons) "
        f"from {m['files']} file(s); {m['rows_rejected']:,} rejected, {m['rows_merged']:,} repeats merged, "
        f"{m['rows_superseded']:,} superseded by a later file"
    )


if __name__ == "__main__":
    run_stage(main)
