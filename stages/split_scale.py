"""Stage split_scale: split windows in time order per part and scale them by their training windows."""

from __future__ import annotations

from pathlib import Path

from plancast.artifacts import load_npz, save_npz, write_json
from plancast.params import Params
from plancast.scaling import split_and_scale
from plancast.stage import require_inputs, run_stage

WINDOWS = Path("data/windows/windows.npz")
SPLITS = Path("data/prepared/splits.npz")
SCALERS = Path("data/prepared/scalers.json")
METRICS = Path("metrics/split_scale.json")
PART_DETAIL = Path("data/reports/split_scale_parts.json")  # per part, out of metrics: keeps `dvc exp show` short


def main(params: Params) -> None:
    require_inputs({WINDOWS: "window"})
    windows = load_npz(WINDOWS)
    arrays, scalers, report = split_and_scale(windows, params.split_scale.fractions, params.split_scale.scaler)
    save_npz(SPLITS, **arrays)
    write_json(SCALERS, scalers, digits=17)
    write_json(PART_DETAIL, {"parts": report["parts"]})
    write_json(METRICS, {key: value for key, value in report.items() if key != "parts"})
    totals = report["totals"]
    print(
        f"split_scale: train {totals['train']} / val {totals['val']} / test {totals['test']} windows, "
        f"{scalers['kind']} scalers for {len(scalers['parts'])} parts; {len(report['skipped'])} parts skipped"
    )


if __name__ == "__main__":
    run_stage(main)
