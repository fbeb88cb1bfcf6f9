"""The figures of stage evaluate: what each shows, its labels, and legends that cover nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plancast.reporting.evaluation_plots import error_by_model, error_by_part, loss_curves, prediction_panels


def _predictions() -> pd.DataFrame:
    days = pd.bdate_range("2025-03-03", periods=6)
    rows = []
    for model, offset in (("gru", 1.0), ("baseline_plan", -2.0)):
        for day, actual in zip(days, [10, 12, 0, 14, 9, 11], strict=True):
            rows.append(("test", model, "Part 1", day.date().isoformat(), 1, actual, actual + offset))
    return pd.DataFrame(rows, columns=["split", "model", "part", "target_day", "delay", "actual", "prediction"])


def _titles_and_labels(fig) -> list[str]:
    return [text for ax in fig.axes for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel())] + [
        fig._suptitle.get_text() if fig._suptitle else ""
    ]


def test_prediction_panels_show_each_model_with_its_mae() -> None:
    fig = prediction_panels(_predictions(), "Part 1", delay=1)
    labels = _titles_and_labels(fig)
    assert "gru  (MAE 1)" in labels and "plan (baseline)  (MAE 2)" in labels
    assert any("Part 1: test period, forecast 1 day(s) ahead vs actual" in label for label in labels)
    assert "quantity" in labels and "target day" in labels

    planless = _predictions()
    planless.loc[planless["model"] == "baseline_plan", "prediction"] = np.nan  # a series without plans
    labels = _titles_and_labels(prediction_panels(planless, "Part 1", delay=1))
    assert "gru  (MAE 1)" in labels and not [label for label in labels if "plan" in label]


def test_error_by_model_sorts_lowest_error_to_the_top_and_marks_the_plan() -> None:
    table = pd.DataFrame({"model": ["gru", "baseline_plan", "baseline_last"], "test_mae": [2.0, 3.0, 5.0]})
    fig = error_by_model(table)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["last (baseline)", "plan (baseline)", "gru"]
    assert "the planner's own number" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert ax.get_xlabel() == "test MAE (quantity)"


def _overlaps(fig, legend, artists) -> list:
    fig.canvas.draw()
    box = legend.get_window_extent()
    return [artist for artist in artists if box.overlaps(artist.get_window_extent())]


def test_error_by_model_legend_covers_no_bar_even_when_the_longest_is_last() -> None:
    # the longest bar is drawn at the bottom: where the old legend (lower right) sat over it
    table = pd.DataFrame({"model": [f"m{i}" for i in range(8)] + ["baseline_last"], "test_mae": [*range(1, 9), 50.0]})
    fig = error_by_model(table)
    bars = fig.axes[0].patches
    assert len(bars) == 9
    assert _overlaps(fig, fig.legends[0], bars) == []


def test_loss_curves_name_each_models_loss_in_a_legend_beside_the_curves() -> None:
    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6]})
    fig = loss_curves({"gru": history}, {"gru": "mse"})
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["gru train (MSE)", "gru validation (MSE)"]
    assert _overlaps(fig, legend, [fig.axes[0]]) == []


def test_error_by_part_draws_at_most_forty_parts_the_largest_errors_and_says_so() -> None:
    table = pd.DataFrame({"part": [f"P{i}" for i in range(1, 2001)], "test_mae": np.arange(1.0, 2001.0)})
    table["plan_mae"] = 10.0
    fig = error_by_part(table, "lstm")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "P2000" and labels[-1] == "P1961"  # natural order, top to bottom: P1961 .. P2000
    assert len(labels) == 40
    assert "40 of 2,000 parts: those with the largest test MAE" in ax.get_title()
    assert fig.get_size_inches()[1] < 16
