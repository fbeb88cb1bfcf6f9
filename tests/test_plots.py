"""The correlation heatmap and the shared figure helpers: content, fixed colour range, stable bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plancast.reporting.plots import correlation_heatmap, save_figure


def correlation_table(parts: int, horizons: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    records = [
        (part, k, f"D+{k}", float(rng.uniform(-1, 1)), 30)
        for part in [*(f"Part {p}" for p in range(1, parts + 1)), "pooled"]
        for k in range(1, horizons + 1)
    ]
    table = pd.DataFrame(records, columns=["part", "horizon", "label", "correlation", "pairs"])
    table.loc[3, "correlation"] = np.nan
    return table


def cross_matrix(horizons: int) -> pd.DataFrame:
    names = ["D", *(f"D+{k}" for k in range(1, horizons + 1))]
    return pd.DataFrame(np.eye(len(names)), index=names, columns=names)


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_heatmap_rows_are_parts_in_natural_order_then_pooled_with_fixed_colour_range() -> None:
    fig = correlation_heatmap(correlation_table(12, 5), cross_matrix(5))
    heat, cross, colorbar = fig.axes
    labels = [t.get_text() for t in heat.get_yticklabels()]
    assert labels[:3] == ["Part 1", "Part 2", "Part 3"]  # natural order: Part 2 before Part 10
    assert labels[-1] == "pooled (all parts)"
    assert [t.get_text() for t in heat.get_xticklabels()] == ["D+1", "D+2", "D+3", "D+4", "D+5"]
    image = heat.get_images()[0]
    assert image.get_clim() == (-1.0, 1.0)
    assert image.get_array().shape == (13, 5)
    assert colorbar.get_ylabel() == "Pearson r (actual vs plan for the same day)"
    assert "n/a" in texts(fig)  # the undefined cell says so instead of showing a colour
    assert heat.get_xlabel() and heat.get_ylabel() and heat.get_title()
    assert cross.get_images()[0].get_array().shape == (6, 6)


def test_values_are_written_in_cells_only_while_readable() -> None:
    few = correlation_heatmap(correlation_table(30, 12))
    assert len([t for t in texts(few) if t]) == 31 * 12
    many = correlation_heatmap(correlation_table(31, 12))
    assert texts(many) == []


def test_no_horizons_gives_a_figure_that_says_so() -> None:
    empty = pd.DataFrame(columns=["part", "horizon", "label", "correlation", "pairs"])
    fig = correlation_heatmap(empty)
    assert any("no plan horizons" in text for text in texts(fig))


def test_saved_png_is_byte_stable_and_carries_no_software_stamp(tmp_path) -> None:
    save_figure(correlation_heatmap(correlation_table(4, 3), cross_matrix(3)), tmp_path / "a.png")
    save_figure(correlation_heatmap(correlation_table(4, 3), cross_matrix(3)), tmp_path / "b.png")
    data = (tmp_path / "a.png").read_bytes()
    assert data.startswith(b"\x89PNG")
    assert data == (tmp_path / "b.png").read_bytes()
    assert b"Software" not in data and b"matplotlib" not in data
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temporary left


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
    from plancast.reporting.plots import prediction_panels

    fig = prediction_panels(_predictions(), "Part 1", delay=1)
    labels = _titles_and_labels(fig)
    assert "gru  (MAE 1)" in labels and "plan (baseline)  (MAE 2)" in labels
    assert any("Part 1: test period, forecast 1 day(s) ahead vs actual" in label for label in labels)
    assert "quantity" in labels and "target day" in labels


def test_error_by_model_sorts_lowest_error_to_the_top_and_marks_the_plan() -> None:
    from plancast.reporting.plots import error_by_model

    table = pd.DataFrame({"model": ["gru", "baseline_plan", "baseline_last"], "test_mae": [2.0, 3.0, 5.0]})
    fig = error_by_model(table)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["last (baseline)", "plan (baseline)", "gru"]
    assert "the planner's own number" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_xlabel() == "test MAE (quantity)"


def test_loss_curves_name_each_models_loss_and_forecast_figure_has_one_panel_per_part(tmp_path) -> None:
    from plancast.reporting.plots import forecast_figure, loss_curves

    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6]})
    fig = loss_curves({"gru": history}, {"gru": "mse"})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["gru train (MSE)", "gru validation (MSE)"]

    daily = pd.DataFrame(
        {"part": ["A"] * 5 + ["B"] * 5, "day": list(pd.bdate_range("2025-03-03", periods=5)) * 2, "target": range(10)}
    )
    forecasts = pd.DataFrame(
        {
            "method": "direct", "part": ["A", "A", "B", "B"], "model": "gru", "step_ahead": [1, 2, 1, 2],
            "day": ["2025-03-10", "2025-03-11"] * 2, "forecast": [4.0, 5.0, 9.0, 8.0], "plan": [4.0, None, 10.0, 7.0],
        }
    )  # fmt: skip
    fig = forecast_figure(daily, forecasts, ["A", "B"])
    assert [ax.get_title() for ax in fig.axes] == [
        "A: last 5 days and the forecast",
        "B: last 5 days and the forecast",
    ]
    save_figure(fig, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
