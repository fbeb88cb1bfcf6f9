"""A network's loss curves on disk: DVCLive's files in its model folder, written by train, read by evaluate.

``<model folder>/live/`` (:data:`LIVE`): ``metrics.json`` (the last values) and
``plots/metrics/{train,val}/loss.tsv`` (``step``, ``loss``; one step per epoch, counted from 0).
:func:`log_curves` writes them, :func:`read_history` reads one model's back and :func:`loss_table` joins
every model's into the long table of ``data/reports/loss_curves.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

LIVE = "live"  # DVCLive's folder inside a model folder
SPLITS = ("train", "val")


def log_curves(log_dir: str | Path, curves: Mapping[str, list[float]]) -> None:
    """Write ``curves`` (name -> value per epoch) with DVCLive into ``log_dir``, one step per epoch.

    Files: ``metrics.json`` (last values) and ``plots/metrics/<name>.tsv`` (``step``, value; no
    timestamps), the same bytes for the same curves.
    """
    from dvclive import Live

    class FilesOnlyLive(Live):
        # DVCLive's DVC/Git discovery brings nothing here (no experiment, no dvc.yaml: DVC runs this
        # stage), and in a Git repo without commits it raises "Empty git repo" (dvclive 3.49), or
        # runs `dvc init` where no DVC repo exists. Skipping it leaves DVCLive a file writer.
        def _init_dvc(self) -> None:
            self._dvc_file = None

    with FilesOnlyLive(dir=str(log_dir), dvcyaml=False, save_dvc_exp=False, report=None) as live:
        for epoch in range(max(len(values) for values in curves.values())):
            for metric, values in sorted(curves.items()):
                if epoch < len(values):
                    live.log_metric(metric, values[epoch])
            live.next_step()


def read_history(live: Path) -> pd.DataFrame:
    """Loss per epoch as :func:`log_curves` wrote it for one model: epoch, train_loss, val_loss (NaN if none)."""
    frames = []
    for split in SPLITS:
        path = live / "plots" / "metrics" / split / "loss.tsv"
        if path.is_file():
            frame = pd.read_csv(path, sep="\t").rename(columns={"step": "epoch", "loss": f"{split}_loss"})
            frames.append(frame.set_index("epoch"))
    history = pd.concat(frames, axis=1) if frames else pd.DataFrame(columns=["train_loss", "val_loss"])
    history = history.reindex(columns=["train_loss", "val_loss"]).reset_index(names="epoch")
    history["epoch"] += 1  # DVCLive counts steps from 0; people count epochs from 1
    return history


def loss_table(histories: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One long table of every model's curves (model, epoch, split, loss): one file, the model a column."""
    frames = [
        pd.DataFrame({"model": name, "epoch": history["epoch"], "split": split, "loss": history[f"{split}_loss"]})
        for name, history in histories.items()
        for split in SPLITS
    ]
    table = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["model", "epoch", "split", "loss"])
    )
    return table.dropna(subset=["loss"]).replace({"split": {"val": "validation", "train": "training"}})
