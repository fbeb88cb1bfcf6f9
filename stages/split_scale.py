"""Stage split_scale: split windows in time order per part and scale them by their training windows."""

from __future__ import annotations

from plancast import catalog
from plancast.artifacts import save_npz, write_json
from plancast.features.scaling import split_and_scale
from plancast.features.windows import Windows
from plancast.stage import StageIO, run_stage


def main(params, io: StageIO) -> None:
    windows = Windows.load(io.read(catalog.WINDOWS))
    choice = params.split_scale
    splits, scalers, report = split_and_scale(
        windows, choice.fractions, choice.scaler, choice.validation_start, choice.test_start
    )
    save_npz(io.write(catalog.SPLITS), **splits.to_arrays())
    write_json(io.write(catalog.SCALERS), scalers.to_json(), digits=17)
    write_json(io.write(catalog.SPLIT_PARTS), {"parts": report["parts"]})
    write_json(io.write(catalog.SPLIT_METRICS), {key: value for key, value in report.items() if key != "parts"})
    totals = report["totals"]
    print(
        f"split_scale: validation from {report['cut']['validation_start']}, test from {report['cut']['test_start']} "
        f"for every part: train {totals['train']} / val {totals['val']} / test {totals['test']} windows, "
        f"{scalers.kind} scalers for {len(scalers.parts)} parts; {len(report['skipped'])} parts skipped"
    )


if __name__ == "__main__":
    run_stage("split_scale", main)
