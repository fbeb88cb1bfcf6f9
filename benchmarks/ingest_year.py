"""Time ingest on a year of overlapping daily exports (one file per working day), as a planner gets them.

Run from the repo root::

    python benchmarks/ingest_year.py --parts 200 --days 260 --format csv --workdir /tmp/plancast_year

It writes ``<workdir>/data/raw/year/<day>.<format>``: each working day's file holds that day's 1-2
snapshots of every part (times like 06:30, 17:30) and repeats the previous day's snapshots, ~1% of them
revised, the way daily exports overlap. Then it runs ingest from ``<workdir>`` (the project root for the
run: ingest reads only files inside it) with ``on_bad_rows: quarantine`` and prints rows and seconds.
The files are reused when they are already there (generation is not what is timed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

PART = "Part Number"
TARGET = "D일 투입예정 수량(D일계획)"
TIME = "CRET_TIME"
HORIZONS = [f"D+{k}일 투입예정 수량(Total)" if k <= 4 else f"D+{k}일 투입예정 수량" for k in range(1, 13)]


def day_frame(rng: np.random.Generator, parts: int, day: np.datetime64) -> pd.DataFrame:
    """One working day's snapshots: ``(parts * snapshots, 14)`` in the export's columns."""
    stamp = pd.Timestamp(day)
    frames = []
    for hour in ("0630", "1730")[: int(rng.integers(1, 3))]:
        values = rng.integers(0, 2000, size=(parts, 13))
        frame = pd.DataFrame(values, columns=[TARGET, *HORIZONS])
        frame.insert(0, PART, [f"Part {p + 1}" for p in range(parts)])
        frame[TIME] = int(stamp.strftime("%Y%m%d") + hour)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def generate(folder: Path, parts: int, days: int, fmt: str, seed: int = 7) -> list[Path]:
    """Write ``days`` daily files into ``folder`` (skipped if they are all there); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    working = np.busday_offset(np.datetime64("2022-01-03"), np.arange(days), roll="forward")
    paths = [folder / f"{np.datetime_as_string(day)}.{fmt}" for day in working]
    if all(path.is_file() for path in paths):
        return paths
    previous = None
    for day, path in zip(working, paths, strict=True):
        today = day_frame(rng, parts, day)
        frame = today
        if previous is not None:
            repeat = previous.copy()
            revised = rng.random(len(repeat)) < 0.01
            repeat.loc[revised, TARGET] = repeat.loc[revised, TARGET] + 1
            frame = pd.concat([repeat, today], ignore_index=True)
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_excel(path, index=False, engine="openpyxl")
        previous = today
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=200)
    parser.add_argument("--days", type=int, default=260)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--workdir", default="/tmp/plancast_year")
    args = parser.parse_args()

    workdir = Path(args.workdir)
    paths = generate(workdir / "data/raw/year", args.parts, args.days, args.format)
    os.chdir(workdir)
    from plancast.data.ingest import ingest
    from plancast.params import IngestParams

    params = IngestParams(source="data/raw/year", pattern=f"*.{args.format}", on_bad_rows="quarantine")
    start = time.perf_counter()
    result = ingest(params)
    seconds = time.perf_counter() - start
    m = result.metrics
    print(
        f"{len(paths)} files, {m['rows_read']:,} rows read, {m['rows_kept']:,} kept, {m['rows_merged']:,} merged, "
        f"{m['rows_superseded']:,} superseded, {m['rows_rejected']:,} rejected: {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
