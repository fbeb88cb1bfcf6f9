"""Stage make_sample: write the bundled synthetic plan export (Seed B's schema) and Seed A's wave."""

from __future__ import annotations

from plancast import catalog
from plancast.data.sample import PART_HEADER, plan_snapshots, seed_a_series, write_plan_xls, write_seed_a_csv
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    sample = unwrap(params.sample)
    plan = plan_snapshots(sample)
    write_plan_xls(plan, io.write(catalog.PLAN_SAMPLE))
    wave = seed_a_series(sample.seed_a_points, sample.seed_a_seed)
    write_seed_a_csv(wave, io.write(catalog.SEED_A_SAMPLE))
    print(
        f"make_sample: {catalog.PLAN_SAMPLE.path}: {len(plan):,} snapshot rows of {plan[PART_HEADER].nunique()} "
        f"parts over {sample.days} working days; {catalog.SEED_A_SAMPLE.path}: {len(wave)} points"
    )


if __name__ == "__main__":
    run_stage("make_sample", main)
