"""Stage train_tabular: the tabular models (``evaluate.tabular``) fitted once on every training window.

Writes ``data/tabular/``: each model's files (boosted trees as ONNX per delay, linear fits as JSON) and
``tabular.json``. Stage forecast and the served model run these files, so a new day's export forecasts
without refitting; they move only when the training data (``train.until``) does.
"""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import read_json
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows
from plancast.models.tabular_export import save_tabular_models
from plancast.pipeline.split_scale import Inputs, Prepared
from plancast.pipeline.train_tabular import train_tabular
from plancast.stage import StageIO, run_stage


def main(params, io: StageIO) -> None:
    daily, windows = pd.read_parquet(io.read(catalog.TRAINING_DAILY)), Windows.load(io.read(catalog.WINDOWS))
    scalers = Scalers.from_json(read_json(io.read(catalog.SCALERS)))
    models = train_tabular(params, Inputs(daily, windows, Prepared(None, scalers)))
    save_tabular_models(models, io.write(catalog.TABULAR), [int(delay) for delay in windows.delays])
    names = ", ".join(sorted(models)) or "none"
    print(f"train_tabular: {names} fitted on the training windows -> {catalog.TABULAR.path}/")


if __name__ == "__main__":
    run_stage("train_tabular", main)
