"""Pull-request report pieces, checked against hand-made DVC JSON (shaped like `dvc ... diff --json`)."""

from pathlib import Path

import pytest
import yaml
from matplotlib.figure import Figure

from plancast import report
from plancast.report import (
    BASE,
    HEAD,
    Change,
    ImagePair,
    PlotSpec,
    SeriesImage,
    format_delta,
    format_value,
)

ROOT = Path(__file__).resolve().parents[1]


def evaluate(test: dict, best_network: str | None, best_model: str | None) -> dict:
    return {"best_by": "val.mae", "best_network": best_network, "best_model": best_model, "test": test}


BASE_EVAL = evaluate(
    {
        "lstm": {"mae": 20.0, "rmse": 30.0, "skill": 0.2},
        "gru": {"mae": 22.0, "rmse": 31.0, "skill": 0.12},
        "hand_lstm": {"mae": 25.0, "rmse": 35.0, "skill": 0.0},
        "baseline_plan": {"mae": 25.0, "rmse": 40.0, "skill": 0.0},
        "baseline_last": {"mae": 30.0, "rmse": 45.0, "skill": -0.2},
    },
    best_network="lstm",
    best_model="lstm",
)
HEAD_EVAL = evaluate(
    {
        "lstm": {"mae": 21.0, "rmse": 30.0, "skill": 0.16},
        "gru": {"mae": 18.0, "rmse": 27.0},  # skill missing at head
        "lstm_gru": {"mae": 19.0, "rmse": 28.0, "skill": 0.24},  # new at head; hand_lstm is gone
        "baseline_plan": {"mae": 25.0, "rmse": 40.0, "skill": 0.0},
        "baseline_last": {"mae": 30.0, "rmse": 45.0, "skill": -0.2},
    },
    best_network="gru",
    best_model="gru",
)


def flat_diff(base: dict, head: dict, prefix: str = "") -> dict:
    """What `dvc metrics diff --json --all` prints for one file: dotted keys, old/new, None where absent."""
    keys = set(base) | set(head)
    flat = {}
    for key in keys:
        old, new = base.get(key), head.get(key)
        if isinstance(old, dict) or isinstance(new, dict):
            flat.update(flat_diff(old or {}, new or {}, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = {"old": old, "new": new}
    return flat


# --- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (3, "3"), (22.8076, "22.81"), (0.258499, "0.2585"), (12345.6, "12346"), (float("nan"), "—"),
     (True, "true"), ("lstm", "lstm")],
)  # fmt: skip
def test_format_value(value, text):
    assert format_value(value) == text


def test_format_delta_signs_percent_and_missing_sides():
    assert format_delta(25.36, 25.67) == "+0.31 (+1.2%)"
    assert format_delta(20.0, 18.0) == "-2 (-10.0%)"
    assert format_delta(-0.5, -0.25) == "+0.25 (+50.0%)"  # relative to |old|
    assert format_delta(0.2, 0.16, percent=False) == "-0.04"
    assert format_delta(0, 3) == "+3"  # no % of zero
    assert format_delta(4, 4) == "0"
    assert format_delta(None, 3) == "—"
    assert format_delta(2, "lstm") == "—"


# --- params ---------------------------------------------------------------------------------------


def test_param_changes_reach_the_changed_leaf_as_exp_run_names_it():
    diff = {
        "params.yaml": {
            "window.lookback": {"old": 10, "new": 4, "diff": -6},
            # DVC prints list values as Python reprs
            "models.lstm.layers": {"old": "[{'type': 'lstm', 'units': 30}]", "new": "[{'type': 'lstm', 'units': 8}]"},
            "train.models": {"old": "['lstm', 'gru']", "new": "['lstm']"},
            "ingest.part_column": {"old": "Part Number", "new": None},
            "models.gru.layers": {"old": None, "new": "[{'type': 'gru', 'units': 4}]"},
        },
        "configs/other.yaml": {"x": {"old": 1, "new": 2}},
    }
    assert report.param_changes(diff) == [
        Change("configs/other.yaml:x", 1, 2),
        Change("ingest.part_column", "Part Number", None),
        Change("models.gru.layers", None, [{"type": "gru", "units": 4}]),
        Change("models.lstm.layers.0.units", 30, 8),
        Change("train.models", ["lstm", "gru"], ["lstm"]),  # a list of plain values stays whole
        Change("window.lookback", 10, 4),
    ]


def test_param_changes_list_of_layers_growing():
    diff = {"params.yaml": {"models.m.layers": {"old": "[{'units': 4}]", "new": "[{'units': 4}, {'units': 2}]"}}}
    assert report.param_changes(diff) == [Change("models.m.layers.1", None, {"units": 2})]


def test_params_section_table_and_nothing_changed():
    lines = report.params_section([Change("window.delays", [1, 2, 3], [1]), Change("ingest.part_column", "P|N", None)])
    assert lines == [
        "### Params",
        "",
        "| param | base | head |",
        "|---|---|---|",
        "| `window.delays` | `[1, 2, 3]` | `[1]` |",
        "| `ingest.part_column` | `P\\|N` | `null` |",
    ]
    assert report.params_section([])[-1] == "No param changed."


# --- metrics --------------------------------------------------------------------------------------


def test_unflatten_and_metric_sides_leave_out_what_one_side_lacks():
    metrics = {report.EVALUATE_METRICS: flat_diff(BASE_EVAL, HEAD_EVAL), "metrics/other.json": {}}
    base, head = report.metric_sides(metrics)
    assert base == BASE_EVAL
    assert head == HEAD_EVAL
    assert "hand_lstm" not in head["test"] and "skill" not in head["test"]["gru"]
    assert report.metric_sides({}) == ({}, {})


def test_other_metric_changes_only_changed_and_not_evaluate():
    metrics = {
        report.EVALUATE_METRICS: {"test.lstm.mae": {"old": 1.0, "new": 2.0}},
        "metrics/train/lstm.json": {
            "epochs_run": {"old": 5, "new": 5, "diff": 0},
            "train_seconds": {"old": 10.0, "new": 12.5, "diff": 2.5},
            "model": {"old": "lstm", "new": "lstm"},
        },
        "metrics/window.json": {"lookback": {"old": None, "new": 4}},
    }
    assert report.other_metric_changes(metrics) == [
        Change("metrics/train/lstm.json:train_seconds", 10.0, 12.5),
        Change("metrics/window.json:lookback", None, 4),
    ]


def test_model_rows_split_networks_from_baselines_sorted_by_head_test_mae():
    networks, baselines = report.model_rows(BASE_EVAL, HEAD_EVAL)
    # head MAE: gru 18, lstm_gru 19, lstm 21; hand_lstm has no head value so it goes last
    assert [row.model for row in networks] == ["gru", "lstm_gru", "lstm", "hand_lstm"]
    assert [row.model for row in baselines] == ["baseline_plan", "baseline_last"]
    assert networks[1].base == {} and networks[3].head == {}


def test_models_table_cells():
    networks, _ = report.model_rows(BASE_EVAL, HEAD_EVAL)
    lines = report.models_table(networks, best="gru")
    assert lines[0] == (
        "| model | MAE base | MAE head | Δ MAE | RMSE base | RMSE head | Δ RMSE | skill base | skill head | Δ skill |"
    )
    assert lines[1] == "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    assert lines[2] == "| **`gru`** ★ | 22 | 18 | -4 (-18.2%) | 31 | 27 | -4 (-12.9%) | 0.12 | — | — |"
    assert lines[3] == "| `lstm_gru` (new) | — | 19 | — | — | 28 | — | — | 0.24 | — |"
    assert lines[4] == "| `lstm` | 20 | 21 | +1 (+5.0%) | 30 | 30 | 0 | 0.2 | 0.16 | -0.04 |"
    assert lines[5] == "| `hand_lstm` (gone) | 25 | — | — | 35 | — | — | 0 | — | — |"


def test_best_lines_name_both_sides_and_the_best_networks_mae():
    assert report.best_lines(BASE_EVAL, HEAD_EVAL) == [
        "- **Best network** (lowest val.mae): `lstm` → `gru`; its test MAE 20 → 18, Δ -2 (-10.0%), better",
        "- **Best model**, baselines included: `lstm` → `gru`",
        "- The planner's own number (`baseline_plan`), test MAE: 25 → 25",
    ]


def test_best_lines_with_no_base_metrics():
    lines = report.best_lines({}, HEAD_EVAL)
    assert lines[0] == "- **Best network** (lowest val.mae): — → `gru`; its test MAE — → 18, Δ —"
    assert lines[1] == "- **Best model**, baselines included: — → `gru`"


def test_metrics_section_when_neither_side_has_metrics():
    assert report.metrics_section({}, {})[-1] == "No `metrics/evaluate.json` on either side."


def test_other_metrics_section_is_folded():
    lines = report.other_metrics_section([Change("metrics/window.json:windows", 117, 120)])
    assert lines[0].startswith("<details><summary>Other metrics that changed (1;")
    assert "| `metrics/window.json:windows` | 117 | 120 | +3 (+2.6%) |" in lines
    assert lines[-1] == "</details>"
    assert report.other_metrics_section([]) == []


# --- plots ----------------------------------------------------------------------------------------

HEAD_REV, BASE_REV = "workspace", "origin/main"  # as `dvc plots diff origin/main --json` names them


def vega(rows: list[dict]) -> list[dict]:
    return [{"type": "vega", "revisions": [HEAD_REV, BASE_REV], "content": {"data": {"values": rows}}}]


def loss(rev: str, model: str, step: int, value: float) -> dict:
    return {"step": str(step), "loss": str(value), "rev": rev, "filename": f"{model}/plots/metrics/val/loss.tsv"}


def mae(rev: str, model: str, value: float) -> dict:
    return {"model": model, "test_mae": str(value), "rev": rev}


def image(rev: str, url: str) -> dict:
    return {"type": "image", "revisions": [rev], "url": url}


PLOTS_DIFF = {
    "data": {
        "Validation loss": vega(
            [
                loss(HEAD_REV, "lstm", 1, 0.5),
                loss(HEAD_REV, "lstm", 0, 0.9),
                loss(HEAD_REV, "gru", 0, 0.8),
                loss(BASE_REV, "lstm", 0, 0.9),
                loss(BASE_REV, "lstm", 1, 0.6),
            ]
        ),
        "Test MAE by model": vega(
            [mae(BASE_REV, "lstm", 20), mae(BASE_REV, "gru", 22), mae(HEAD_REV, "gru", 22), mae(HEAD_REV, "lstm", 20)]
        ),
        "plots/forecast.png": [image(HEAD_REV, "/x/workspace_forecast.png"), image(BASE_REV, "/x/main_forecast.png")],
        "plots/new.png": [image(HEAD_REV, "/x/workspace_new.png")],
    },
    "errors": [{"name": "Validation loss", "rev": HEAD_REV, "type": "FileNotFoundError"}],
}


def test_image_plots_map_each_revision_to_its_side():
    assert report.image_plots(PLOTS_DIFF, base_rev=BASE_REV) == {
        "plots/forecast.png": {HEAD: "/x/workspace_forecast.png", BASE: "/x/main_forecast.png"},
        "plots/new.png": {HEAD: "/x/workspace_new.png"},
    }


def test_series_rows_and_change_detection():
    rows = report.series_rows(PLOTS_DIFF, "Validation loss", base_rev=BASE_REV)
    assert len(rows[BASE]) == 2 and len(rows[HEAD]) == 3
    assert report.rows_differ(rows[BASE], rows[HEAD])
    same = report.series_rows(PLOTS_DIFF, "Test MAE by model", base_rev=BASE_REV)
    assert not report.rows_differ(same[BASE], same[HEAD])  # same points, other order and rev
    assert report.series_rows(PLOTS_DIFF, "no such plot", base_rev=BASE_REV) == {BASE: [], HEAD: []}


def test_line_series_group_by_run_and_sort_by_x():
    rows = report.series_rows(PLOTS_DIFF, "Validation loss", base_rev=BASE_REV)
    assert report.line_series(rows[HEAD], "step", "loss") == {"gru": ([0.0], [0.8]), "lstm": ([0.0, 1.0], [0.9, 0.5])}


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("lstm/plots/metrics/val/loss.tsv", "lstm"),
        ("dvclive/train/hand_lstm/plots/metrics/train/loss.tsv", "hand_lstm"),
        ("data/reports/correlation.csv", "data/reports/correlation.csv"),
    ],
)
def test_series_label(filename, label):
    assert report.series_label(filename) == label


def test_bar_values_read_numbers():
    rows = [{"model": "lstm", "test_mae": "20.5"}, {"model": "gru", "test_mae": "n/a"}]
    values = report.bar_values(rows, "model", "test_mae")
    assert values["lstm"] == 20.5 and values["gru"] != values["gru"]  # NaN for a non-number


def test_plot_specs_of_the_projects_dvc_yaml():
    specs = report.plot_specs(yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8")))
    loss = specs["Validation loss by model (scaled units)"]
    assert (loss.template, loss.x, loss.y, loss.x_label) == ("linear", "step", "loss", "epoch")
    bars = specs["Test MAE by model and baseline (units)"]
    assert (bars.template, bars.x, bars.y) == ("bar_horizontal_sorted", "test_mae", "model")
    assert not any(title.endswith(".png") for title in specs)  # image plots are not data series


def test_plot_specs_several_y_fields_use_dvcs_merged_field():
    specs = report.plot_specs(
        {"plots": ["plots/a.png", {"Both": {"x": "step", "y": {"a.tsv": ["loss", "acc"]}}}, {"f.csv": None}]}
    )
    assert specs == {"Both": PlotSpec("Both", "linear", "step", "dvc_inferred_y_value", "step", "dvc_inferred_y_value")}


def test_series_figure_lines_dash_base_and_draw_head_solid():
    spec = PlotSpec("Validation loss", "linear", "step", "loss", "epoch", "loss")
    figure = report.series_figure(spec, report.series_rows(PLOTS_DIFF, "Validation loss", BASE_REV))
    assert isinstance(figure, Figure)
    lines = figure.axes[0].get_lines()
    # gru at head only, lstm at base and head
    assert [(line.get_linestyle(), list(line.get_ydata())) for line in lines] == [
        ("-", [0.8]),
        ("--", [0.9, 0.6]),
        ("-", [0.9, 0.5]),
    ]


def test_series_figure_bars_pair_base_and_head():
    spec = PlotSpec("Test MAE by model", "bar_horizontal_sorted", "test_mae", "model", "MAE", "model")
    rows = {BASE: [{"model": "lstm", "test_mae": "20"}, {"model": "gru", "test_mae": "22"}],
            HEAD: [{"model": "lstm", "test_mae": "25"}, {"model": "gru", "test_mae": "19"}]}  # fmt: skip
    ax = report.series_figure(spec, rows).axes[0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["gru", "lstm"]  # smallest head on top
    assert sorted(patch.get_width() for patch in ax.patches) == [19.0, 20.0, 22.0, 25.0]


def test_series_figure_unknown_template_is_skipped():
    assert report.series_figure(PlotSpec("c", "confusion", "a", "b", "a", "b"), {BASE: [], HEAD: []}) is None


def test_slug():
    assert report.slug("Test MAE by model and baseline (units)") == "test-mae-by-model-and-baseline-units"
    assert report.slug("!!") == "plot"


# --- the whole report -----------------------------------------------------------------------------


def test_report_markdown_sections_and_relative_image_links():
    text = report.report_markdown(
        "`origin/main` (1a2b3c4)",
        "workspace (on 5d6e7f8)",
        [Change("window.lookback", 10, 4)],
        BASE_EVAL,
        HEAD_EVAL,
        [Change("metrics/window.json:windows", 117, 120)],
        images=[
            ImagePair("plots/forecast.png", "base/plots/forecast.png", "head/plots/forecast.png"),
            ImagePair("plots/new.png", None, "head/plots/new.png"),
        ],
        series=[SeriesImage("Validation loss", "series/validation-loss.png")],
        unchanged_plots=["plots/correlation_heatmap.png"],
    )
    assert text.endswith("</details>\n\n### Plots\n\n#### `plots/forecast.png`\n\n| base | head |\n|---|---|\n"
                         "| ![base plots/forecast.png](base/plots/forecast.png) "
                         "| ![head plots/forecast.png](head/plots/forecast.png) |\n\n"
                         "#### `plots/new.png`\n\n| base | head |\n|---|---|\n"
                         "| — | ![head plots/new.png](head/plots/new.png) |\n\n"
                         "#### Validation loss\n\n![Validation loss: base vs head](series/validation-loss.png)\n\n"
                         "Unchanged: `plots/correlation_heatmap.png`.\n")  # fmt: skip
    assert text.startswith("## plancast report\n\n**base** `origin/main` (1a2b3c4) → **head** workspace (on 5d6e7f8)\n")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[:3] == ["## plancast report", "### Params", "### Metrics"]
    assert "| `window.lookback` | `10` | `4` |" in text


def test_report_markdown_with_nothing_changed():
    text = report.report_markdown("`main` (1a2b3c4)", "workspace (on 1a2b3c4)", [], BASE_EVAL, BASE_EVAL, [])
    assert "No param changed." in text and "No plot changed." in text and "<details>" not in text


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
