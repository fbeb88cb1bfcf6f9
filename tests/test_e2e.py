"""End to end: the real `dvc` on a temporary git repo holding a copy of this project (tiny params).

One module-scoped run of the whole pipeline, then checks that lean on it: up-to-date status, a
param change reruns only its stage and those downstream, a forced retrain leaves dvc.lock
byte-identical, metrics and plots are readable through DVC, and a bad param stops with one line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from e2e_project import Project

from plancast.catalog import STAGES

pytestmark = pytest.mark.e2e

DATA_STAGES = {"make_sample", "ingest", "daily_last", "correlate", "select_features", "window", "split_scale"}
MODEL_STAGES = {"train@lstm", "train@hand_lstm", "train_tabular", "evaluate", "forecast", "monitor"}


@pytest.fixture(scope="module")
def project(first_run, tmp_path_factory) -> Project:
    return first_run[0].copy_to(tmp_path_factory.mktemp("plancast") / "project")


def test_first_run_runs_every_stage_and_leaves_pipeline_up_to_date(first_run, project):
    assert first_run[1] == DATA_STAGES | MODEL_STAGES
    assert "up to date" in project.dvc("status").stdout
    for path in [
        "data/interim/snapshots.parquet",
        "data/windows/windows.npz",
        "models/lstm/manifest.json",
        "models/hand_lstm/manifest.json",
        "models/lstm/global.onnx",
        "serving/recommended/recommended.json",
        "metrics/summary.json",
        "data/reports/evaluation.json",
        "models/lstm/training.json",
        "data/reports/loss_curves.csv",
        "data/reports/forecast.csv",
        "plots/forecast.png",
        "plots/evaluate/error_by_model.png",
        "plots/correlation_heatmap.png",
    ]:
        assert (project.path / path).is_file(), path


SERVE = """
import sys
import pandas as pd
from plancast.serving import load_recommended
rows = load_recommended(sys.argv[1]).forecast(pd.read_parquet(sys.argv[2]))
rows.to_csv(sys.argv[3], index=False)
print("tensorflow imported" if "tensorflow" in sys.modules else "no tensorflow")
"""


def test_dvc_artifacts_get_fetches_the_recommended_model_which_forecasts_as_the_stage_did(project, tmp_path):
    # a registered version (the tag `gto register` writes), fetched the way a server would fetch it
    tag = "plancast-recommended@v0.1.0"
    project.run("git", "tag", "-a", tag, "-m", "Registering artifact plancast-recommended version v0.1.0")
    try:
        served = tmp_path / "served"
        project.dvc("artifacts", "get", str(project.path), "plancast-recommended", "-o", str(served))
    finally:
        project.run("git", "tag", "-d", tag)
    folder = project.path / "serving/recommended"
    listed = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert sorted(p.relative_to(served).as_posix() for p in served.rglob("*") if p.is_file()) == listed
    # the tiny sample's route may be the plan itself (then no model file beside these two)
    assert {"recommended.json", "scalers.json"} <= set(listed)

    rows = tmp_path / "rows.csv"
    ran = project.run(sys.executable, "-c", SERVE, str(served), "data/interim/daily.parquet", str(rows))
    assert ran.stdout.strip() == "no tensorflow"
    import pandas as pd

    got = pd.read_csv(rows, dtype={"part": str})
    stage = pd.read_csv(project.path / "data/reports/forecast.csv", dtype={"part": str})
    expected = stage[stage["model"] == "recommended"].reset_index(drop=True)
    assert len(got) == len(expected) > 0
    assert got[["part", "step_ahead", "day"]].equals(expected[["part", "step_ahead", "day"]])
    for column in ("forecast", "plan", "lower_80", "upper_80", "lower_95", "upper_95"):
        # forecast.csv keeps 6 significant digits; ONNX's float32 trees agree with scikit-learn to ~1e-7
        np.testing.assert_allclose(got[column].to_numpy(float), expected[column].to_numpy(float), 2e-5, 1e-4)

    # `plancast forecast` on the project's own export with the fetched folder: the rows as forecast.csv
    # writes them, and the stage's very workbook
    for out in ("cli.csv", "cli.xlsx"):
        project.run(sys.executable, "-c", "from plancast.cli import main; main()", "forecast",
                    "data/raw/plan_sample.xls", "--model", str(served), "--out", str(tmp_path / out))  # fmt: skip
    cli = pd.read_csv(tmp_path / "cli.csv", dtype={"part": str})
    numbers = ["forecast", "plan", "lower_80", "upper_80", "lower_95", "upper_95"]
    pd.testing.assert_frame_equal(cli.drop(columns=numbers), expected.drop(columns=numbers))
    np.testing.assert_allclose(cli[numbers].to_numpy(float), expected[numbers].to_numpy(float), 2e-5, 1e-4)
    assert (tmp_path / "cli.xlsx").read_bytes() == (project.path / "data/reports/forecast.xlsx").read_bytes()


def _leaves(data: dict, prefix: str = "") -> list[str]:
    """The dotted keys `dvc exp show` gives a column each: every value that is not a dict, lists included."""
    keys = []
    for key, value in data.items():
        if isinstance(value, dict):
            keys += _leaves(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def test_metrics_name_the_best_model_and_compare_with_the_plan(project):
    import pandas as pd

    evaluation = json.loads((project.path / "data/reports/evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["best_network"] in {"lstm", "hand_lstm"}
    scores = pd.read_csv(project.path / "data/reports/error_by_model.csv").set_index("model")
    assert {"lstm", "hand_lstm", "baseline_plan", "baseline_last", "baseline_ridge", "recommended"} <= set(scores.index)
    assert {f"{split}_{m}" for split in ("val", "test") for m in ("mae", "rmse", "bias", "skill")} <= set(scores)
    assert scores.loc["baseline_plan", "test_skill"] == 0.0
    assert evaluation["plan"]["test_mae"] == pytest.approx(scores.loc["baseline_plan", "test_mae"], rel=1e-3)
    recommended = evaluation["recommended"]
    assert set(recommended["route"]) == {"d1", "d2"} and recommended["folds"] >= 1
    assert 0.0 <= recommended["coverage_80"] <= recommended["coverage_95"] <= 1.0
    forecast = (project.path / "data/reports/forecast.csv").read_text(encoding="utf-8")
    assert ",recommended," in forecast and "lower_95" in forecast.splitlines()[0]

    direct = pd.read_csv(project.path / "data/reports/forecast.csv").query("method == 'direct'")
    assert {"lstm", "hand_lstm", "recommended"} <= set(direct["model"])
    # every model's forecast has its own intervals (the tiny run's few validation windows calibrate 80%,
    # too few for 95%: left empty for every model alike), nested: 95% around 80%
    assert direct[["lower_80", "upper_80"]].notna().all().all() and (direct["lower_80"] <= direct["upper_80"]).all()
    both = direct.dropna(subset=["lower_95"])
    assert (both["lower_95"] <= both["lower_80"]).all() and (both["upper_80"] <= both["upper_95"]).all()
    assert direct.groupby("model")["lower_95"].apply(lambda column: column.isna().all()).nunique() == 1
    assert (project.path / "data/reports/forecast.xlsx").read_bytes()[:2] == b"PK"  # the planner's workbook
    assert "D+1" in (project.path / "data/reports/horizon_trust.csv").read_text(encoding="utf-8")
    shown = project.dvc("metrics", "show", "--json").stdout
    assert "network_skill" in shown and "seconds" not in shown and "_ms" not in shown
    # DVC's metrics hold summaries: no key names a part or a model, so `dvc exp show` has as many columns
    # at 2,000 parts and ten models as here (per part and per model: data/reports/)
    (workspace,) = json.loads(shown).values()
    files = workspace["data"]
    keys = [f"{path}:{key}" for path, file in sorted(files.items()) for key in _leaves(file["data"])]
    named = set(scores.index) | set(direct["part"].astype(str)) | set(direct["model"])
    assert not [key for key in keys if named & set(key.replace(":", ".").split("."))], keys
    assert len(keys) <= 60, keys
    assert not [key for key in keys if key.rsplit(":", 1)[1] in {"lookback", "delays", "fractions", "kind"}], (
        keys
    )  # params


def test_plots_render_without_a_browser(project):
    out = project.path / "plots_html"
    project.dvc("plots", "show", "-o", str(out))
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Loss per epoch" in html and "correlation_heatmap.png" in html


def test_param_change_reruns_only_its_stage_and_downstream(project):
    project.set_params({"window.lookback": 4})
    ran = project.repro()
    assert ran == {"window", "split_scale"} | MODEL_STAGES
    assert "up to date" in project.dvc("status").stdout
    project.commit("lookback 4")
    # a change to one model's params reruns that model alone: tests/test_experiments_e2e.py (branch report)


def test_every_stage_reads_and_writes_exactly_what_the_catalog_declares(project):
    traces = {path.stem: json.loads(path.read_text()) for path in sorted(project.trace.glob("*.json"))}
    assert {name.split("@")[0] for name in traces} == set(STAGES)
    for name, trace in traces.items():
        spec = STAGES[trace["stage"]]
        assert trace["reads"] == sorted(a.path for a in spec.reads), name
        assert trace["writes"] == sorted(a.path for a in spec.writes), name
        declared = [key.replace("${item}", trace["item"] or "") for key in spec.params]
        unread = [d for d in declared if not any(k == d or k.startswith(f"{d}.") for k in trace["params"])]
        assert not unread, f"{name} declares params it never reads: {unread}"


def test_forced_rerun_changes_no_tracked_file(project):
    project.commit("before the forced rerun")
    project.repro("-f")
    assert project.run("git", "status", "--porcelain").stdout == ""
    assert "up to date" in project.dvc("status").stdout


def test_bad_param_stops_with_one_line_and_keeps_outputs(project):
    project.set_params({"select_features.horizons": [13], "select_features.method": "explicit"})
    result = project.dvc("repro", check=False)
    assert result.returncode != 0
    assert "error: select_features.horizons: D+13 is not in the data" in result.stdout + result.stderr
    # DVC clears a stage's outputs before running it; everything produced earlier is in the cache
    project.run("git", "checkout", "params.yaml")
    project.dvc("checkout")
    assert (project.path / "data/features/features.json").is_file()
    assert "up to date" in project.dvc("status").stdout


def test_a_run_killed_mid_training_is_restored_by_one_command(project):
    project.commit("before the killed run")
    expected = {path: (project.path / path).read_bytes() for path in ("dvc.lock", "metrics/summary.json")}
    project.set_params({"models.hand_lstm.epochs": 500, "models.hand_lstm.patience": 0})
    run = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro"], cwd=project.path, env=project.env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    seen = ""
    while time.monotonic() < deadline and "hand_lstm global epoch   5/500" not in seen:
        seen += run.stdout.readline()
    assert "epoch   5/500" in seen, seen[-2000:]
    os.killpg(run.pid, signal.SIGKILL)  # as a power cut or `kill -9` would
    run.wait(timeout=30)
    assert not (project.path / "models/hand_lstm/manifest.json").exists()  # DVC cleared it before training

    project.run("git", "checkout", "params.yaml")  # the user gives up on the change
    restored = project.run(sys.executable, "-m", "plancast.recovery")
    assert "restored the cached outputs" in restored.stdout
    assert "up to date" in project.dvc("status").stdout
    assert project.run("git", "status", "--porcelain").stdout == ""
    for path, content in expected.items():
        assert (project.path / path).read_bytes() == content
    assert (project.path / "models/hand_lstm/manifest.json").is_file()
