"""Stage make_sample: write the bundled synthetic plan export (Seed B's schema) and Seed A's wave.

``sample.layout`` picks where the export's rows go: ``one_file`` -> ``data/raw/plan_sample.xls``,
``daily_files`` -> one file per working day in ``data/raw/plan_exports/``. Both outputs always exist so
that dvc.yaml names the same outs in either layout; the one not chosen holds no rows (a header-only
``.xls``, a folder with only a hidden note that says why).
"""

from __future__ import annotations

from plancast import catalog
from plancast.data.sample import PART_HEADER, daily_exports, plan_snapshots, seed_a_series
from plancast.data.sample_files import write_daily_exports, write_plan_xls, write_seed_a_csv
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    sample = unwrap(params.sample)
    plan = plan_snapshots(sample)
    one_file = sample.layout == "one_file"
    write_plan_xls(plan if one_file else plan.iloc[:0], io.write(catalog.PLAN_SAMPLE))
    files = [] if one_file else daily_exports(plan, sample)
    write_daily_exports(files, io.write(catalog.PLAN_EXPORTS), sample.daily_format)
    wave = seed_a_series(sample.seed_a_points, sample.seed_a_seed)
    write_seed_a_csv(wave, io.write(catalog.SEED_A_SAMPLE))
    where = catalog.PLAN_SAMPLE.path if one_file else f"{catalog.PLAN_EXPORTS.path}/ ({len(files)} daily files)"
    print(
        f"make_sample: {where}: {len(plan):,} snapshot rows of {plan[PART_HEADER].nunique()} parts over "
        f"{sample.days} working days ({sample.planner} planner); {catalog.SEED_A_SAMPLE.path}: {len(wave)} points"
    )


if __name__ == "__main__":
    run_stage("make_sample", main)
