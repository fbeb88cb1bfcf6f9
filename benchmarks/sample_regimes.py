"""The bundled sample's regimes, measured: horizon-aligned correlation per planner, and generation time.

    python benchmarks/sample_regimes.py correlation [--parts 200 --days 250 --knobs]
    python benchmarks/sample_regimes.py timing [--sizes 24x250 200x260 2000x260 --formats csv xlsx]

``correlation`` prints, for each planner (noisy, sharp), the pooled Pearson r of the actual with the plan
made k working days earlier (k = 1..12), after z-scoring within each part. The pairing is by working-day
index, so a day a part did not export is a gap, never bridged; ``--knobs`` switches on the hardness knobs
of ``params.yaml``'s ``sample:`` section. ``timing`` prints wall seconds to generate and write the
``daily_files`` layout (and ``one_file`` .xls where it fits in one workbook) into a temporary folder.
Timings go to the terminal only, never into pipeline outputs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from plancast.data.sample import HORIZONS, PART_HEADER, QUANTITY_HEADERS, TIME_HEADER, plan_snapshots, write_export
from plancast.params import SampleParams, load_params


def calendar_correlations(frame: pd.DataFrame, params: SampleParams) -> dict[int, float]:
    """Pooled r of the actual with the D+k plan, k = 1..12, paired by working-day index."""
    from plancast.data.sample import _working_days, _yyyymmdd

    calendar = _yyyymmdd(_working_days(params.start, params.days, params.holidays))
    position = pd.Series(np.arange(calendar.size), index=calendar)
    daily = frame.assign(day=frame[TIME_HEADER] // 10_000).sort_values([PART_HEADER, TIME_HEADER], kind="stable")
    daily = daily.drop_duplicates([PART_HEADER, "day"], keep="last")
    daily = daily.assign(t=position.loc[daily["day"]].to_numpy())
    pairs: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in range(1, HORIZONS + 1)}
    for _, part in daily.groupby(PART_HEADER):
        grid = np.full((calendar.size, HORIZONS + 1), np.nan)
        grid[part["t"].to_numpy()] = part[QUANTITY_HEADERS].to_numpy(dtype=float)
        for k in range(1, HORIZONS + 1):
            actual, plan = grid[k:, 0], grid[:-k, k]
            keep = np.isfinite(actual) & np.isfinite(plan)
            a, p = actual[keep], plan[keep]
            if a.size > 10 and a.std() > 0 and p.std() > 0:
                pairs[k].append(((a - a.mean()) / a.std(), (p - p.mean()) / p.std()))
    return {k: float(np.mean(np.concatenate([a * p for a, p in z]))) for k, z in pairs.items()}


def _correlation(args: argparse.Namespace) -> None:
    base = load_params("params.yaml").sample if args.knobs else SampleParams()
    rows = {}
    for planner in ("noisy", "sharp"):
        params = base.model_copy(update={"parts": args.parts, "days": args.days, "planner": planner})
        rows[planner] = calendar_correlations(plan_snapshots(params), params)
    table = pd.DataFrame(rows).T
    table.columns = [f"D+{k}" for k in table.columns]
    print(f"pooled horizon-aligned r, {args.parts} parts x {args.days} days, knobs {'on' if args.knobs else 'off'}")
    print(table.round(2).to_string())


def _timing(args: argparse.Namespace) -> None:
    base = load_params("params.yaml").sample if args.knobs else SampleParams()
    for size in args.sizes:
        parts, days = (int(n) for n in size.split("x"))
        for layout, fmt in [("daily_files", f) for f in args.formats] + [("one_file", "xls")]:
            params = base.model_copy(update={"parts": parts, "days": days, "layout": layout, "daily_format": fmt})
            with tempfile.TemporaryDirectory() as folder:
                started = time.perf_counter()
                frame = plan_snapshots(params)
                generated = time.perf_counter() - started
                if layout == "one_file" and len(frame) > 20 * 65_535:
                    print(f"{size:>9} {layout:>11} {fmt:>4}: {len(frame):,} rows, skipped (too big for .xls)")
                    continue
                target = Path(folder) / ("plan_exports" if layout == "daily_files" else "plan_sample.xls")
                files = write_export(frame, params, target)
                total = time.perf_counter() - started
                print(
                    f"{size:>9} {layout:>11} {fmt:>4}: {len(frame):>9,} rows, {files:>4} files, "
                    f"generate {generated:6.2f} s, generate+write {total:7.2f} s"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    corr = sub.add_parser("correlation")
    corr.add_argument("--parts", type=int, default=200)
    corr.add_argument("--days", type=int, default=250)
    corr.add_argument("--knobs", action="store_true")
    timing = sub.add_parser("timing")
    timing.add_argument("--sizes", nargs="+", default=["24x250", "200x260", "2000x260"])
    timing.add_argument("--formats", nargs="+", default=["csv"], choices=["csv", "xlsx"])
    timing.add_argument("--knobs", action="store_true")
    args = parser.parse_args()
    _correlation(args) if args.command == "correlation" else _timing(args)


if __name__ == "__main__":
    main()
