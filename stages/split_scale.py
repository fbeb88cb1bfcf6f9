"""Stage split_scale: split windows in time order per part and scale them by their training windows."""

from __future__ import annotations

from plancast import catalog
from plancast.artifacts import save_npz, write_json
from plancast.features.windows import Windows
from plancast.pipeline.split_scale import split_scale
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    windows = Windows.load(io.read(catalog.WINDOWS))
    prepared = split_scale(unwrap(params.split_scale), windows, params.window.gaps)
    splits, scalers, report = prepared.splits, prepared.scalers, prepared.report
    save_npz(io.write(catalog.SPLITS), **splits.to_arrays())
    write_json(io.write(catalog.SCALERS), scalers.to_json(), digits=17)
    write_json(io.write(catalog.SPLIT_PARTS), report["parts"])
    write_json(io.write(catalog.SPLIT_METRICS), {key: value for key, value in report.items() if key != "parts"})
    totals = report["totals"]
    print(
        f"split_scale: validation from {report['cut']['validation_start']}, test from {report['cut']['test_start']} "
        f"for every part: train {totals['train']} / val {totals['val']} / test {totals['test']} windows, "
        f"{scalers.kind} scalers for {len(scalers.parts)} parts; {report['parts_skipped']} parts skipped"
    )


if __name__ == "__main__":
    run_stage("split_scale", main)
