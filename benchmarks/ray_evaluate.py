"""Stage evaluate's tabular refits (the backtest) on the sample: local against Ray tasks on a running cluster.

The refits are ~96% of evaluate's time on the sample (4 origins x 12 delays of boosted trees). Start a
cluster first, e.g. two nodes of one CPU on this machine as tests/test_ray_cluster_e2e.py does (with
``RAY_AUTH_MODE=token`` and one ``RAY_AUTH_TOKEN`` in the environment of all three commands)::

    ray start --head --port=6380 --num-cpus=1 --include-dashboard=false
    ray start --address=127.0.0.1:6380 --num-cpus=1
    python benchmarks/ray_evaluate.py --address 127.0.0.1:6380 [--parts 24] [--days 250] [--runs 2]

Prints first what two CPUs can gain here at most: one boosted fit (the validation origin, delay 1) alone
and two at once in two processes, as two one-CPU nodes run them. Then, ``--runs`` times in turn, the
seconds of :func:`plancast.evaluation.backtest.tabular_backtest` run locally and on the cluster
(connecting, shipping the rows and starting the workers included, as a stage pays them), the ratio, on
how many nodes the fits ran, and whether every prediction is the same bits as local's.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
from harness import parser, prepare

from plancast.data.daily import horizon_columns
from plancast.evaluation.backtest import tabular_backtest, test_folds
from plancast.models.tabular import Boosted, TabularRows, tabular_rows
from plancast.params import load_params, with_overrides


def one_fit(rows: TabularRows) -> float:
    """Seconds of one boosted fit of ``rows`` at their first delay."""
    start = time.perf_counter()
    Boosted().fit(rows.at_delays([0]))
    return time.perf_counter() - start


def two_at_once(rows: TabularRows) -> None:
    """Prints one fit's seconds alone and two fits' at once, in two processes: the most two CPUs gain here."""
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(one_fit, [rows, rows]))  # both processes up, scikit-learn imported
        alone = [pool.submit(one_fit, rows).result() for _ in range(2)]
        together = list(pool.map(one_fit, [rows, rows]))
    gain = 2 * np.mean(alone) / np.mean(together)
    print(
        f"one boosted fit alone {np.mean(alone):.2f} s, two at once {np.mean(together):.2f} s each: "
        f"two processes do {gain:.2f}x the work of one here",
        flush=True,
    )


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--address", required=True, help="host:port of the running cluster's head")
    arguments.add_argument("--parts", type=int, default=24)
    arguments.add_argument("--days", type=int, default=250)
    arguments.add_argument("--runs", type=int, default=1, help="local and ray in turn, this many times each")
    args = arguments.parse_args()
    params = with_overrides(load_params(), {"sample.parts": args.parts, "sample.days": args.days})
    made = prepare(params, params.sample)
    windows, splits, daily = made.windowed.windows, made.prepared.splits, made.daily.training
    period = params.train.profile_period
    rows = tabular_rows(windows, daily, made.prepared.scalers, len(horizon_columns(daily)), profile_period=period)
    folds = test_folds(windows, splits, params.evaluate.folds)
    names = list(params.evaluate.tabular)
    print(f"{len(windows.part)} windows, {len(windows.delays)} delays, models {', '.join(names)}", flush=True)
    two_at_once(replace(rows.take(splits.train.window), targets=splits.actual("train", windows)))
    for _ in range(args.runs):
        results, seconds = {}, {}
        for backend in ("local", "ray"):
            lines: list[str] = []
            start = time.perf_counter()
            results[backend] = tabular_backtest(
                rows, windows, splits, folds, names, 0, lines.append, backend, args.address
            )
            seconds[backend] = time.perf_counter() - start
            where = f" ({lines[-1]})" if backend == "ray" else ""
            print(f"{backend}: {seconds[backend]:.1f} s{where}", flush=True)
        same = all(results["ray"][name].tobytes() == results["local"][name].tobytes() for name in names)
        print(f"ray / local: {seconds['ray'] / seconds['local']:.2f}; predictions the same bits: {same}", flush=True)


if __name__ == "__main__":
    main()
