"""End to end: experiments and the pull-request report, with the real git and dvc in a temporary repo.

The session's tiny first run (two networks, tests/conftest.py) is the baseline on main. Then (a) a branch changes a
param, reruns, commits, and `scripts/pr_report.py --base main` writes a report that shows the param
change, the metric deltas and embeds plot images that exist (with PLANCAST_SAMPLE_REPORT=1 in the
environment it also rewrites docs/sample-report.md and docs/sample-report/ from that run); (b) a
two-point sweep queued with `dvc exp run --queue -S` runs to the end under `dvc queue start -j 2`, and
`dvc exp show` lists it; (c) `dvc exp apply` of a three-param experiment changes three lines of
params.yaml; (d) `scripts/run_config.py` refuses uncommitted params, and stopped with SIGTERM mid-training
leaves no changed file, ref or temporary copy, then runs again under the same name.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import yaml
from e2e_project import BIN, ROOT, Project

from plancast.reporting.pr_report import format_delta, format_value

pytestmark = pytest.mark.e2e

WIDER_LSTM = [{"type": "lstm", "units": 8}]  # TINY_OVERRIDES has 4 units
SWEEP = (1, 2)  # models.lstm.epochs values; the baseline has 3, so only train@lstm and what follows rerun
QUEUE_TIMEOUT_S = 420
TEST_MAE = "metrics/summary.json:mae"  # the recommended forecast's
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def project(first_run, tmp_path_factory) -> Project:
    return first_run[0].copy_to(tmp_path_factory.mktemp("plancast_exp") / "project")


def evaluate_at(project: Project, rev: str) -> dict:
    """The evaluation at ``rev``: evaluation.json's keys, and ``test``: model -> error_by_model.csv's row."""
    evaluation = json.loads(project.run("git", "show", f"{rev}:data/reports/evaluation.json").stdout)
    rows = csv.DictReader(io.StringIO(project.run("git", "show", f"{rev}:data/reports/error_by_model.csv").stdout))
    return evaluation | {"test": {row["model"]: {"mae": float(row["test_mae"])} for row in rows}}


def git_show_bytes(project: Project, spec: str) -> bytes:
    return subprocess.run(["git", "show", spec], cwd=project.path, capture_output=True, check=True).stdout


def build_report(project: Project, *args: str) -> str:
    result = project.run(sys.executable, "scripts/pr_report.py", "--base", "main", *args)
    return result.stdout


def section(text: str, heading: str) -> str:
    return text.split(f"### {heading}\n")[1].split("\n### ")[0]


def test_branch_report_shows_param_change_metric_deltas_and_plots(project):
    project.run("git", "checkout", "-q", "-b", "wider-lstm")
    project.set_params({"models.lstm.layers": WIDER_LSTM})
    assert project.repro() == {"train@lstm", "evaluate", "forecast", "monitor"}  # not train@hand_lstm, its sibling
    project.commit("lstm with 8 units")

    printed = build_report(project, "--out", "report")
    assert printed.startswith("report/report.md: ")
    out = project.path / "report"
    text = (out / "report.md").read_text(encoding="utf-8")

    # the param change, as `dvc params diff --md` prints it
    row = next(line for line in section(text, "Params").splitlines() if "models.lstm.layers" in line)
    assert "'units': 4" in row.split("|")[3] and "'units': 8" in row.split("|")[4]
    # the planner's figures: each model's test MAE base, head and the change
    base, head = evaluate_at(project, "main"), evaluate_at(project, "HEAD")
    old, new = base["test"]["lstm"]["mae"], head["test"]["lstm"]["mae"]
    assert old != new
    scores = section(text, "Test MAE and skill vs the plan")
    assert f"| `lstm` | {format_value(old)} | {format_value(new)} | {format_delta(old, new)} |" in scores
    plan = base["test"]["baseline_plan"]["mae"]
    assert f"| `baseline_plan` | {format_value(plan)} | {format_value(plan)} | 0 | 0 | 0 | 0 |" in scores
    best = [base["best_network"], head["best_network"]]
    maes = [format_value(side["test"][name]["mae"]) for side, name in zip((base, head), best, strict=True)]
    assert f"`{best[0]}` (test MAE {maes[0]}) → `{best[1]}` (test MAE {maes[1]})" in scores
    summaries = [project.run("git", "show", f"{rev}:metrics/summary.json").stdout for rev in ("main", "HEAD")]
    details = text.split("<details>")[1]  # DVC's own metrics diff, folded
    assert ("metrics/summary.json" in details) == (summaries[0] != summaries[1])

    # images side by side: main's committed file and the branch's, as DVC rendered them
    links = IMAGE_LINK.findall(text)
    image = "plots/evaluate/error_by_model.png"
    pair = IMAGE_LINK.findall(section(text, "Plots").split(f"#### `{image}`")[1].split("####")[0])
    assert len(pair) == 2 and set(pair) <= set(links)
    assert (out / pair[0]).read_bytes() == git_show_bytes(project, f"main:{image}")
    assert (out / pair[1]).read_bytes() == (project.path / image).read_bytes()
    for link in links:
        assert (out / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link
    assert "Loss per epoch, every model and split" in text.split("Data series that changed")[1].split("\n")[0]
    assert (out / "plots" / "index.html").is_file()  # DVC's rendering of every plot
    assert "`plots/correlation_heatmap.png`" in text.split("Unchanged: ")[1]  # the data did not change

    # the same comparison by revision: the same figures
    build_report(project, "--head", "HEAD", "--out", "report_rev")
    again = (project.path / "report_rev" / "report.md").read_text(encoding="utf-8")
    assert section(again, "Test MAE and skill vs the plan") == scores
    shutil.rmtree(project.path / "report_rev")  # the tests after this one expect a clean work tree

    if os.environ.get("PLANCAST_SAMPLE_REPORT"):  # docs/sample-report.md and the images it links, from this run
        build_report(project, "--out", "docs/sample-report", "--markdown", "docs/sample-report.md")
        sample = (project.path / "docs" / "sample-report.md").read_text(encoding="utf-8")
        shutil.rmtree(ROOT / "docs" / "sample-report", ignore_errors=True)
        for link in IMAGE_LINK.findall(sample):
            (ROOT / "docs" / link).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project.path / "docs" / link, ROOT / "docs" / link)
        (ROOT / "docs" / "sample-report.md").write_text(sample, encoding="utf-8")


def start_queue(project: Project, jobs: int) -> str:
    """`dvc queue start -j jobs`; what it printed."""
    # the workers it spawns inherit its stdout: reading that through a pipe would wait until they exit
    with tempfile.TemporaryFile("w+") as output:
        subprocess.run(
            [str(BIN / "dvc"), "queue", "start", "-j", str(jobs)],
            cwd=project.path, env=project.env, stdout=output, stderr=subprocess.STDOUT, check=True, timeout=120,
        )  # fmt: skip
        output.seek(0)
        return output.read()


def queue_tasks(project: Project) -> tuple[dict[str, str], str]:
    """Task name -> status, and the worker line, of `dvc queue status`."""
    # a table "Task  Name  Created  Status" (no table when the queue is empty), a blank line, "Worker status: ..."
    tasks, workers = {}, ""
    for line in project.dvc("queue", "status").stdout.splitlines():
        words = line.split()
        if line.startswith("Worker status"):
            workers = line
        elif len(words) >= 4 and words[0] != "Task":
            tasks[words[1]] = words[-1]
    return tasks, workers


def fail_with_logs(project: Project, message: str, names: set[str]) -> None:
    project.dvc("queue", "stop", "--kill", check=False)
    logs = "\n".join(project.dvc("queue", "logs", name, check=False).stdout[-2000:] for name in sorted(names))
    pytest.fail(f"{message}\n{logs}")


def wait_for_queue(project: Project, names: set[str]) -> dict[str, str]:
    """Wait until every named experiment has finished and the workers have exited; the tasks' final status.

    A finished experiment is a git ref under refs/exps (cheap to poll; `dvc queue status` costs seconds
    of CPU that the workers need); the queue itself is asked now and then, to stop early on a failure.
    """
    deadline = time.monotonic() + QUEUE_TIMEOUT_S
    polls = 0
    while True:
        refs = project.run("git", "for-each-ref", "--format=%(refname:lstrip=-1)", "refs/exps").stdout.split()
        if names <= set(refs):
            break
        polls += 1
        if polls % 10 == 0:
            tasks, workers = queue_tasks(project)
            if any(tasks.get(name) == "Failed" for name in names):
                fail_with_logs(project, f"a queued experiment failed: {tasks}", names)
        if time.monotonic() > deadline:
            fail_with_logs(project, f"queue not done after {QUEUE_TIMEOUT_S}s: {queue_tasks(project)}", names)
        time.sleep(3)
    while True:  # idle workers exit on their own once the queue stays empty (about 10 s)
        tasks, workers = queue_tasks(project)
        if workers.endswith("0 active, 0 idle"):
            return tasks
        if time.monotonic() > deadline:
            fail_with_logs(project, f"queue workers still running after {QUEUE_TIMEOUT_S}s: {workers}", names)
        time.sleep(5)


def experiments(project: Project) -> dict[str, dict]:
    """`dvc exp show --json`: experiment name -> {"state", "params", "metrics"} (params.yaml, summary.json)."""
    found = {}
    for commit in json.loads(project.dvc("exp", "show", "--json").stdout):
        for experiment in commit.get("experiments") or []:
            for rev in experiment["revs"]:
                data = rev["data"]
                found[rev["name"]] = {
                    "state": (experiment.get("executor") or {}).get("state"),
                    "params": data["params"]["params.yaml"]["data"],
                    "metrics": data.get("metrics", {}).get("metrics/summary.json", {}).get("data"),
                }
    return found


def test_queued_sweep_runs_to_the_end_and_exp_show_lists_it(project):
    project.run("git", "checkout", "-q", "main")
    project.dvc("checkout")
    names = {f"epochs-{epochs}" for epochs in SWEEP}
    for epochs in SWEEP:
        project.dvc("exp", "run", "--queue", "--name", f"epochs-{epochs}", "-S", f"models.lstm.epochs={epochs}")
    assert set(queue_tasks(project)[0].values()) == {"Queued"}
    assert "Started '2' new" in start_queue(project, jobs=2)

    tasks = wait_for_queue(project, names)
    assert {name: tasks[name] for name in names} == dict.fromkeys(names, "Success")

    shown = experiments(project)
    for epochs in SWEEP:
        result = shown[f"epochs-{epochs}"]
        assert result["state"] == "success"
        assert result["params"]["models"]["lstm"]["epochs"] == epochs
        assert result["params"]["models"]["lstm"]["layers"] == [{"type": "lstm", "units": 4}]
        assert result["metrics"]["mae"] > 0
        assert result["metrics"]["network"] in {"lstm", "hand_lstm"}

    # the README's view: sorted by test MAE, only the columns that vary (and the MAE, which may not)
    table = project.dvc(
        "exp", "show", "--csv", "--only-changed", "--keep", "^mae$", "--sort-by", TEST_MAE, "--sort-order", "asc"
    ).stdout  # fmt: skip
    rows = [row for row in csv.DictReader(io.StringIO(table)) if row["Experiment"] in names]
    maes = [float(row["mae"]) for row in rows]
    assert len(rows) == 2 and maes == sorted(maes)
    column = next(name for name in rows[0] if name.split(".")[-1] == "epochs")  # DVC shortens unique names
    assert {row[column] for row in rows} == {str(epochs) for epochs in SWEEP}
    wait_for_idle_workers(project)  # a worker still tidying up would take the next test's queued run


def wait_for_idle_workers(project: Project, timeout: float = 120.0) -> None:
    """Wait until `dvc queue status` reports no active worker (they exit once the queue is empty)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, workers = queue_tasks(project)
        if workers.startswith("Worker status: 0 active"):
            return
        time.sleep(1.0)
    raise AssertionError(f"queue workers still active after {timeout:.0f} s: {workers}")


def test_exp_run_set_reaches_any_param(project):
    """Units inside a model's layer list, the feature method and its horizons, the training scope."""
    wait_for_idle_workers(project)
    project.dvc(
        "exp", "run", "--queue", "--name", "overrides",
        "-S", "models.lstm.layers.0.units=6",
        "-S", "select_features.method=explicit", "-S", "select_features.horizons=[1,2]",
        "-S", "train.scope=per_part",
    )  # fmt: skip
    try:
        params = experiments(project)["overrides"]["params"]
    finally:
        project.dvc("queue", "remove", "overrides")
    assert params["models"]["lstm"]["layers"] == [{"type": "lstm", "units": 6}]
    assert params["select_features"]["method"] == "explicit"
    assert params["select_features"]["horizons"] == [1, 2]
    assert params["train"]["scope"] == "per_part"
    assert "overrides" not in queue_tasks(project)[0]


def on_clean_main(project: Project) -> None:
    project.run("git", "checkout", "-q", "-f", "main")
    project.dvc("checkout", "--force")
    assert not project.run("git", "status", "--porcelain").stdout


def test_exp_apply_of_three_params_diffs_three_lines(project):
    on_clean_main(project)
    project.dvc(
        "exp", "run", "--temp", "--name", "three-params",
        "-S", "evaluate.ridge_alpha=0.5", "-S", "evaluate.season_period=3", "-S", "evaluate.folds=2",
    )  # fmt: skip
    project.dvc("exp", "apply", "three-params")
    try:
        # DVC rewrote the whole params.yaml in the experiment; it was already in that form
        assert project.run("git", "diff", "--numstat", "params.yaml").stdout.split() == ["3", "3", "params.yaml"]
    finally:
        on_clean_main(project)


KILL_CONFIG = {
    "name": "stopped",
    # far more epochs than a stopped run can reach (~0.2 s each): with 30, a fast machine finished the
    # training before the stop came through (the committed run has 3; the rerun below sets 3 again)
    "set": {"models.lstm.epochs": 2000, "models.lstm.patience": 0},
}


def run_config(project: Project, config, *extra: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "scripts/run_config.py", str(config), *extra],
        cwd=project.path, env=project.env, text=True, **kwargs,
    )  # fmt: skip


def residue(project: Project) -> dict:
    """What a config run can leave behind: changed files, exec/temp refs, DVC's temporary copies."""
    refs = project.run("git", "for-each-ref", "--format=%(refname)", "refs/exps").stdout.split()
    standalone = project.path / ".dvc" / "tmp" / "exps" / "standalone"
    return {
        "changed": project.run("git", "status", "--porcelain").stdout.split("\n")[:-1],
        "refs": [ref for ref in refs if ref.startswith(("refs/exps/exec", "refs/exps/temp", "refs/exps/stash"))],
        "copies": sorted(path.name for path in standalone.glob("tmp*")),
    }


def processes_in(folder) -> list[str]:
    import psutil

    found = []
    for process in psutil.process_iter(["cwd", "cmdline"]):
        if (process.info["cwd"] or "").startswith(str(folder)):
            found.append(" ".join(process.info["cmdline"] or []))
    return found


def test_config_run_refuses_uncommitted_params(project, tmp_path):
    on_clean_main(project)
    config = tmp_path / "stopped.yaml"
    config.write_text(yaml.safe_dump(KILL_CONFIG), encoding="utf-8")
    params = project.path / "params.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("ridge_alpha: 1.0", "ridge_alpha: 2.0"), encoding="utf-8")
    try:
        process = run_config(project, config, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate(timeout=60)
    finally:
        params.write_text(text, encoding="utf-8")
    assert process.returncode == 1 and out == ""
    assert err.splitlines() == [
        "error: params.yaml: has uncommitted changes, and a config starts from the committed one: "
        "commit them, or `git checkout params.yaml` to drop them"
    ]


def test_killed_config_run_leaves_nothing_and_runs_again(project, tmp_path):
    on_clean_main(project)
    config = tmp_path / "stopped.yaml"
    config.write_text(yaml.safe_dump(KILL_CONFIG), encoding="utf-8")
    before = residue(project)

    # started as a shell starts a background job (`nohup ... &`, a CI step): SIGINT inherited ignored,
    # which dvc and the stage would keep unless run_config resets it for them
    process = run_config(project, config, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # fmt: skip
    seen = []
    for line in process.stdout:  # wait until training is under way, then stop it as `kill` does
        seen.append(line)
        if re.search(r"epoch +1/2000 ", line):
            process.send_signal(signal.SIGTERM)
            break
    seen.append(process.communicate(timeout=120)[0])
    output = "".join(seen)
    assert process.returncode == 128 + signal.SIGTERM, output
    assert "epoch 2000/2000" not in output
    assert residue(project) == before
    assert before["changed"] == [] and before["copies"] == []
    assert "stopped" not in experiments(project)  # no result, and no ghost "running" row in `dvc exp show`
    assert not processes_in(project.path / ".dvc"), "a stage is still running in DVC's temporary copy"

    # the same config runs again under its name (an extra -S, passed on to `dvc exp run`, keeps it short)
    again = run_config(project, config, "-S", "models.lstm.epochs=3", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = again.communicate(timeout=QUEUE_TIMEOUT_S)[0]
    assert again.returncode == 0, output
    result = experiments(project)["stopped"]
    assert result["params"]["models"]["lstm"]["epochs"] == 3 and result["params"]["models"]["lstm"]["patience"] == 0
    # everything else is the committed params.yaml, and the workspace is untouched
    assert result["params"]["evaluate"] == project.params()["evaluate"]
    assert residue(project) == before
