"""Stage make_sample: write the bundled synthetic plan export (Seed B's schema) and Seed A's wave."""

from __future__ import annotations

from plancast.params import Params
from plancast.sample import PART_HEADER, plan_snapshots, seed_a_series, write_plan_xls, write_seed_a_csv
from plancast.stage import run_stage

PLAN_PATH = "data/raw/plan_sample.xls"
SEED_A_PATH = "data/raw/seed_a.csv"


def main(params: Params) -> None:
    plan = plan_snapshots(params.sample)
    write_plan_xls(plan, PLAN_PATH)
    wave = seed_a_series(params.sample.seed_a_points, params.sample.seed_a_seed)
    write_seed_a_csv(wave, SEED_A_PATH)
    print(
        f"make_sample: {PLAN_PATH}: {len(plan):,} snapshot rows of {plan[PART_HEADER].nunique()} parts "
        f"over {params.sample.days} working days; {SEED_A_PATH}: {len(wave)} points"
    )


if __name__ == "__main__":
    run_stage(main)
