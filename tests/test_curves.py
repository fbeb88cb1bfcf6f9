"""Loss curves on disk: DVCLive's files as train writes them, and evaluate's reading of them back."""

from __future__ import annotations

import json
import math
import subprocess

import pandas as pd

from plancast.models.curves import log_curves, loss_table, read_history


def test_log_curves_writes_dvclive_tsvs_without_timestamps(tmp_path, monkeypatch):
    # Inside a Git repo without commits, where DVCLive's own repo discovery fails (and would dvc-init).
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    log_curves(tmp_path / "live", {"train/loss": [0.5, 0.25], "val/loss": [1.0, 0.75]})
    assert not (tmp_path / ".dvc").exists()
    plots = tmp_path / "live" / "plots" / "metrics"
    assert (plots / "train" / "loss.tsv").read_text() == "step\tloss\n0\t0.5\n1\t0.25\n"
    assert (plots / "val" / "loss.tsv").read_text() == "step\tloss\n0\t1.0\n1\t0.75\n"
    summary = json.loads((tmp_path / "live" / "metrics.json").read_text())
    assert summary == {"train": {"loss": 0.25}, "val": {"loss": 0.75}, "step": 1}


def test_read_history_reads_back_what_log_curves_wrote_epochs_from_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log_curves(tmp_path / "a", {"train/loss": [0.5, 0.25, 0.125], "val/loss": [1.0, 0.75]})
    log_curves(tmp_path / "b", {"train/loss": [2.0]})  # no validation windows: no val curve
    a, b = read_history(tmp_path / "a"), read_history(tmp_path / "b")
    assert a["epoch"].tolist() == [1, 2, 3] and a["train_loss"].tolist() == [0.5, 0.25, 0.125]
    assert a["val_loss"].tolist()[:2] == [1.0, 0.75] and math.isnan(a["val_loss"].iloc[2])
    assert list(b.columns) == ["epoch", "train_loss", "val_loss"] and b["val_loss"].isna().all()
    assert read_history(tmp_path / "none").empty  # a model folder without curves

    table = loss_table({"a": a, "b": b})
    assert list(table.columns) == ["model", "epoch", "split", "loss"]
    assert table.groupby(["model", "split"]).size().to_dict() == {
        ("a", "training"): 3,
        ("a", "validation"): 2,
        ("b", "training"): 1,
    }
    assert table.query("model == 'a' and split == 'validation'")["loss"].tolist() == [1.0, 0.75]
    assert loss_table({}).equals(pd.DataFrame(columns=["model", "epoch", "split", "loss"]))
