"""Stage ingest: read the planning export(s) into the canonical snapshot table."""

from __future__ import annotations

from plancast import catalog
from plancast.artifacts import write_csv, write_json, write_parquet
from plancast.pipeline.ingest import ingest
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    result = ingest(unwrap(params.ingest), unwrap(params.daily), cache_dir=io.write(catalog.INGEST_CACHE))
    write_parquet(io.write(catalog.SNAPSHOTS), result.snapshots)
    write_csv(io.write(catalog.REJECTS), result.rejects)
    write_csv(io.write(catalog.CONFLICTS), result.conflicts)
    write_json(io.write(catalog.INGEST_METRICS), result.metrics)
    write_json(io.write(catalog.INGEST_SOURCES), result.sources)
    m = result.metrics
    print(
        f"ingest: {m['rows_kept']:,} snapshots of {m['parts']} parts ({m['horizons']} horizons) "
        f"from {m['files']} file(s); {m['rows_rejected']:,} rejected, {m['rows_merged']:,} repeats merged, "
        f"{m['rows_superseded']:,} superseded by a later file; "
        f"{result.cache.parsed} file(s) parsed, {result.cache.cached} from the cache"
    )


if __name__ == "__main__":
    run_stage("ingest", main)
