"""Pull-request report pieces, checked against hand-made DVC output shaped like `dvc ... diff --json/--md`."""

from pathlib import Path

import pytest
import yaml

from plancast.reporting import pr_report
from plancast.reporting.pr_report import ImagePair, ModelScores, Report

ROOT = Path(__file__).resolve().parents[1]

COLUMNS = ["model", "kind", *(f"{split}_{m}" for split in ("val", "test") for m in ("mae", "rmse", "bias", "skill"))]


def by_model(*rows: dict[str, object]) -> list[dict[str, str]]:
    """error_by_model.csv's rows as csv.DictReader gives them: every column, a string, empty where no value."""
    return [{column: str(row.get(column, "")) for column in COLUMNS} for row in rows]


BASE = pr_report.evaluation_side(
    {"best_by": "val.mae", "best_network": "lstm", "best_model": "baseline_plan", "recommended": {"test_mae": 19.5}},
    by_model(
        {"model": "lstm", "kind": "network", "val_mae": 19.0, "test_mae": 20.0, "test_skill": 0.2},
        {"model": "gru", "kind": "network", "test_mae": 22.0, "test_skill": 0.12},
        {"model": "hand_lstm", "kind": "network", "test_mae": 25.5},
        {"model": "baseline_plan", "kind": "baseline", "test_mae": 25.0, "test_rmse": 40.0, "test_skill": 0.0},
    ),
)
HEAD = pr_report.evaluation_side(
    {"best_by": "val.mae", "best_network": "gru", "best_model": "gru", "recommended": {"test_mae": 18.0}},
    by_model(
        {"model": "lstm", "kind": "network", "val_mae": 19.0, "test_mae": 21.5, "test_skill": 0.14},
        {"model": "gru", "kind": "network", "test_mae": 18.0},  # no skill at head; hand_lstm gone
        {"model": "baseline_plan", "kind": "baseline", "test_mae": 25.0, "test_rmse": 40.0, "test_skill": 0.0},
    ),
)


def test_format_value_and_delta():
    assert [pr_report.format_value(v) for v in (24.1849, 0.2, 12345.6, None, float("nan"), "lstm")] == [
        "24.18", "0.2", "12346", "—", "—", "lstm",
    ]  # fmt: skip
    assert pr_report.format_delta(25.29, 24.39) == "-0.9"
    assert pr_report.format_delta(0.1, 0.25) == "+0.15"
    assert pr_report.format_delta(14.52, 14.52) == "0"
    assert pr_report.format_delta(10_000.0, 22_000.4) == "+12000"
    assert pr_report.format_delta(None, 1.0) == "—"


def test_evaluation_side_flattens_the_summary_and_names_each_models_scores_by_split():
    assert BASE["test.hand_lstm.mae"] == 25.5 and "test.hand_lstm.mae" not in HEAD
    assert "test.hand_lstm.skill" not in BASE  # an empty cell is no value
    assert (BASE["best_network"], HEAD["best_network"]) == ("lstm", "gru")
    assert BASE["recommended.test_mae"] == 19.5 and BASE["val.lstm.mae"] == 19.0
    assert "test.lstm.kind" not in BASE and "model" not in BASE
    assert pr_report.evaluation_side({}, []) == {}


def test_model_scores_sorted_by_head_mae_gone_models_last():
    rows = pr_report.model_scores(BASE, HEAD)
    assert rows == [
        ModelScores("gru", 22.0, 18.0, 0.12, None),
        ModelScores("lstm", 20.0, 21.5, 0.2, 0.14),
        ModelScores("baseline_plan", 25.0, 25.0, 0.0, 0.0),
        ModelScores("hand_lstm", 25.5, None, None, None),
    ]
    assert pr_report.model_scores(BASE, HEAD, split="val") == [ModelScores("lstm", 19.0, 19.0)]


def test_scores_table_has_base_head_and_delta_of_mae_and_skill():
    rows = [ModelScores("gru", 22.0, 18.0, 0.12, None), ModelScores("hand_lstm", 25.5)]
    assert pr_report.scores_table(rows) == [
        "| model | test MAE base | head | Δ | skill base | head | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|",
        "| `gru` | 22 | 18 | -4 | 0.12 | — | — |",
        "| `hand_lstm` | 25.5 | — | — | — | — | — |",
    ]


def test_best_lines_name_each_sides_best_with_its_test_mae():
    assert pr_report.best_lines(BASE, HEAD) == [
        "- **Best network**: `lstm` (test MAE 20) → `gru` (test MAE 18)",
        "- **Best model, baselines included**: `baseline_plan` (test MAE 25) → `gru` (test MAE 18)",
    ]


def test_best_lines_find_a_nested_key_and_skip_what_no_side_names():
    base = {"summary.best_network": "lstm", "test.lstm.mae": 20.0}
    head = {"summary.best_network": "gru"}  # a compact layout without per-model metrics
    assert pr_report.best_lines(base, head) == ["- **Best network**: `lstm` (test MAE 20) → `gru` (test MAE —)"]
    assert pr_report.best_lines({"test.lstm.mae": 20.0}, {}) == []
    assert pr_report.best_lines({}, {"best_model": "lstm"}) == [
        "- **Best model, baselines included**: — → `lstm` (test MAE —)"
    ]


def vega(*points: dict) -> list[dict]:
    """A data-series plot as `dvc plots diff --json` gives it: its points, each tagged with its revision."""
    return [{"type": "vega", "revisions": ["main", "workspace"], "content": {"data": {"values": list(points)}}}]


def image(rev: str, name: str) -> dict:
    return {"type": "image", "revisions": [rev], "url": f"/out/static/{rev}_plots_{name}"}


# `dvc plots diff main --json -o out/static`: images per revision (url: the file DVC wrote), vega plots' points
PLOTS_DIFF = {
    "data": {
        "plots/forecast.png": [image("main", "forecast.png"), image("workspace", "forecast.png")],
        "plots/new.png": [image("workspace", "new.png")],
        "Validation loss": vega(
            {"step": "0", "loss": "2.0", "rev": "main"},
            {"step": "1", "loss": "1.5", "rev": "main"},
            {"step": "1", "loss": "1.5", "rev": "workspace"},  # the same points in another order
            {"step": "0", "loss": "2.0", "rev": "workspace"},
        ),
        "Test MAE": vega(
            {"model": "lstm", "test_mae": "20", "rev": "main"},
            {"model": "lstm", "test_mae": "21.5", "rev": "workspace"},
        ),
    }
}


def test_image_pairs_give_each_sides_file_by_plot_path():
    assert pr_report.image_pairs(PLOTS_DIFF, "main") == [
        ImagePair(
            "plots/forecast.png", "/out/static/main_plots_forecast.png", "/out/static/workspace_plots_forecast.png"
        ),
        ImagePair("plots/new.png", None, "/out/static/workspace_plots_new.png"),
    ]


def test_series_changed_compares_points_in_any_order_without_rev():
    assert pr_report.series_changed(PLOTS_DIFF, "main") == {"Test MAE": True, "Validation loss": False}


PARAMS_MD = """| Path        | Param           | main   | workspace   |
|-------------|-----------------|--------|-------------|
| params.yaml | window.lookback | 10     | 4           |
"""
EMPTY_MD = """| Path   | Metric   | main   | workspace   | Change   |
|--------|----------|--------|-------------|----------|
"""


def test_dvc_table_sorts_rows_cuts_long_tables_and_says_when_empty():
    assert pr_report.dvc_table(EMPTY_MD, "No metric changed.", "dvc metrics diff") == ["No metric changed."]
    text = "| a | b |\n|---|---|\n| 3 | z |\n| 1 | x |\n| 2 | y |\n"
    assert pr_report.dvc_table(text, "-", "dvc metrics diff", max_rows=2) == [
        "| a | b |", "|---|---|", "| 1 | x |", "| 2 | y |", "", "… and 1 more rows: `dvc metrics diff` shows them all.",
    ]  # fmt: skip


def test_report_markdown_puts_the_planners_figures_first_then_dvcs_diffs_then_images():
    text = pr_report.report_markdown(
        Report(
            "`main` (1a2b3c4)",
            "workspace (on 5d6e7f8)",
            params_md=PARAMS_MD,
            metrics_md=EMPTY_MD,
            base_scores={"best_network": "lstm", "test.lstm.mae": 20.0, "test.lstm.skill": 0.2},
            head_scores={"best_network": "lstm", "test.lstm.mae": 19.0, "test.lstm.skill": 0.24},
            images=[ImagePair("plots/new.png", None, "plots/static/workspace_plots_new.png")],
            series={"Test MAE": True, "Validation loss": False},
            unchanged_images=["plots/forecast.png"],
        )
    )
    assert text == "\n".join([
        "## plancast report",
        "",
        "**base** `main` (1a2b3c4) → **head** workspace (on 5d6e7f8)",
        "",
        "### Test MAE and skill vs the plan",
        "",
        "- **Best network**: `lstm` (test MAE 20) → `lstm` (test MAE 19)",
        "",
        "| model | test MAE base | head | Δ | skill base | head | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|",
        "| `lstm` | 20 | 19 | -1 | 0.2 | 0.24 | +0.04 |",
        "",
        "Lower MAE is better (quantity units); skill = 1 − MAE / MAE of `baseline_plan`, above 0 beats the planner. "
        "Δ = head − base.",
        "",
        "### Params",
        "",
        "| Path        | Param           | main   | workspace   |",
        "|-------------|-----------------|--------|-------------|",
        "| params.yaml | window.lookback | 10     | 4           |",
        "",
        "<details><summary>All metrics that changed (<code>dvc metrics diff</code>)</summary>",
        "",
        "No metric changed.",
        "",
        "</details>",
        "",
        "### Plots",
        "",
        "#### `plots/new.png`",
        "",
        "| base | head |",
        "|---|---|",
        "| — | ![head plots/new.png](plots/static/workspace_plots_new.png) |",
        "",
        "Data series that changed, base and head overlaid by DVC in `plots/index.html` (in CI: the `pr-report` "
        "artifact): Test MAE.",
        "",
        "Unchanged: `Validation loss`, `plots/forecast.png`.",
        "",
    ])  # fmt: skip


def test_report_markdown_with_nothing_changed_and_no_evaluation():
    text = pr_report.report_markdown(Report("`main` (1a2b3c4)", "workspace (on 1a2b3c4)", EMPTY_MD, EMPTY_MD))
    for line in ("No best network in the evaluation.", "No param changed.", "No metric changed.", "No plot changed."):
        assert f"\n{line}\n" in text
    assert "| model |" not in text


@pytest.mark.parametrize("layout", [{"best_network": "lstm"}, {"test": 1}, {}])
def test_report_markdown_survives_other_metric_layouts(layout):
    assert pr_report.report_markdown(Report("a", "b", "", "", base_scores=layout, head_scores=layout))


def test_pull_request_workflow_reproduces_builds_and_posts_the_report():
    workflow = yaml.safe_load((ROOT / ".github/workflows/pr-report.yml").read_text(encoding="utf-8"))
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"]["pull-requests"] == "write"
    steps = workflow["jobs"]["report"]["steps"]
    actions = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert actions["actions/checkout"]["with"]["fetch-depth"] == 0  # the base branch's history
    assert actions["actions/setup-python"]["with"]["python-version"] == "3.11"
    commands = [step["run"] for step in steps if "run" in step]
    order = [next(i for i, run in enumerate(commands) if text in run)
             for text in ("./dev.sh setup", "dvc repro", "scripts/pr_report.py", "cml comment create")]  # fmt: skip
    assert order == sorted(order)
    assert 'python scripts/pr_report.py --base "origin/$BASE_REF" --out report' in commands[order[2]]
    post = next(step for step in steps if "cml comment create" in step.get("run", ""))
    assert post["env"]["REPO_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "--publish" in post["run"] and post["run"].endswith(" report/report.md")
    assert steps.index(actions["iterative/setup-cml"]) < steps.index(post)
    assert actions["actions/upload-artifact"]["with"]["path"] == "report/"  # with DVC's plots/index.html


def test_the_test_workflow_runs_ci_on_every_push_and_pull_request():
    workflow = yaml.safe_load((ROOT / ".github/workflows/tests.yml").read_text(encoding="utf-8"))
    assert {"push", "pull_request"} <= set(workflow[True])  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["test"]["steps"]
    actions = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    python = actions["actions/setup-python"]["with"]
    assert python["python-version"] == "3.11" and python["cache"] == "pip"
    assert python["cache-dependency-path"] == "requirements.lock"
    assert [step["run"] for step in steps if "run" in step] == ["bash .ci/run"]
    assert steps.index(actions["actions/checkout"]) < steps.index(actions["actions/setup-python"])
