"""The correlation heatmap and the shared figure helpers: content, fixed colour range, stable bytes."""

from __future__ import annotations

from pathlib import Path

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

    planless = _predictions()
    planless.loc[planless["model"] == "baseline_plan", "prediction"] = np.nan  # a series without plans
    labels = _titles_and_labels(prediction_panels(planless, "Part 1", delay=1))
    assert "gru  (MAE 1)" in labels and not [label for label in labels if "plan" in label]


def test_error_by_model_sorts_lowest_error_to_the_top_and_marks_the_plan() -> None:
    from plancast.reporting.plots import error_by_model

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
    from plancast.reporting.plots import error_by_model

    # the longest bar is drawn at the bottom: where the old legend (lower right) sat over it
    table = pd.DataFrame({"model": [f"m{i}" for i in range(8)] + ["baseline_last"], "test_mae": [*range(1, 9), 50.0]})
    fig = error_by_model(table)
    bars = fig.axes[0].patches
    assert len(bars) == 9
    assert _overlaps(fig, fig.legends[0], bars) == []


def test_loss_curves_name_each_models_loss_in_a_legend_beside_the_curves() -> None:
    from plancast.reporting.plots import loss_curves

    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6]})
    fig = loss_curves({"gru": history}, {"gru": "mse"})
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["gru train (MSE)", "gru validation (MSE)"]
    assert _overlaps(fig, legend, [fig.axes[0]]) == []


def test_error_by_part_draws_at_most_forty_parts_the_largest_errors_and_says_so() -> None:
    from plancast.reporting.plots import error_by_part

    table = pd.DataFrame({"part": [f"P{i}" for i in range(1, 2001)], "test_mae": np.arange(1.0, 2001.0)})
    table["plan_mae"] = 10.0
    fig = error_by_part(table, "lstm")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "P2000" and labels[-1] == "P1961"  # natural order, top to bottom: P1961 .. P2000
    assert len(labels) == 40
    assert "40 of 2,000 parts: those with the largest test MAE" in ax.get_title()
    assert fig.get_size_inches()[1] < 16


def test_largest_parts_ranks_by_volume_of_the_recent_days_then_natural_order() -> None:
    from plancast.reporting.plots import largest_parts

    days = list(pd.bdate_range("2025-03-03", periods=4))
    history = pd.DataFrame(
        {
            "part": ["A"] * 4 + ["B"] * 4 + ["Part 10"] * 4 + ["Part 2"] * 4,
            "day": days * 4,
            # last 2 days: A 2, B 10, Part 10 5, Part 2 5 (A's big early days are out of the window)
            "target": [100, 100, 1, 1, 0, 0, 5, 5, 0, 0, 2, 3, 9, 9, 2, 3],
        }
    )
    assert largest_parts(history, ["A", "B", "Part 10", "Part 2", "C"], 4, recent_days=2) == [
        "B", "Part 2", "Part 10", "A",
    ]  # fmt: skip
    assert largest_parts(history, ["C", "A"], 5, recent_days=2) == ["A", "C"]  # no history counts as 0


def _forecast_inputs(parts: int, steps: int = 3, models: tuple[str, ...] = ("gru", "lstm", "hand_lstm")):
    days = pd.bdate_range("2025-03-03", periods=30)
    history = pd.DataFrame(
        [(f"Part {p}", day, float(p * 10 + i % 3)) for p in range(1, parts + 1) for i, day in enumerate(days)],
        columns=["part", "day", "target"],
    )
    ahead = pd.bdate_range(days[-1] + pd.Timedelta(days=1), periods=steps)
    forecasts = pd.DataFrame(
        [
            ("direct", f"Part {p}", model, k + 1, ahead[k].date().isoformat(), p * 10.0, p * 10.0 + 1)
            for p in range(1, parts + 1)
            for model in models
            for k in range(steps)
        ],
        columns=["method", "part", "model", "step_ahead", "day", "forecast", "plan"],
    )
    return history, forecasts


def test_forecast_figure_shows_the_largest_parts_and_says_how_many_of_how_many() -> None:
    from plancast.reporting.plots import forecast_figure

    history, forecasts = _forecast_inputs(parts=30)
    fig = forecast_figure(history, forecasts, max_parts=12, history_days=10)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == [f"Part {p}" for p in range(30, 18, -1)]  # volume grows with p
    assert "the 12 of 30 parts with the largest volume over the last 10 days" in fig._suptitle.get_text()


def test_forecast_days_get_their_share_of_the_axis_and_models_stay_apart_with_the_legend_outside() -> None:
    from plancast.reporting.plots import forecast_figure

    history, forecasts = _forecast_inputs(parts=2)  # every model forecasts the same number
    fig = forecast_figure(history, forecasts, history_days=10)
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    assert (high - 0.5) / (high - low) >= 0.2  # 3 forecast days of 13: not squeezed into the edge
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 3]
    assert len(lines) == 3
    assert len({line.get_color() for line in lines}) == 3 and len({line.get_marker() for line in lines}) == 3
    first_day = sorted(float(line.get_xdata()[0]) for line in lines)
    assert first_day[0] < 1 < first_day[-1]  # equal forecasts nudged apart within the day
    assert all(axes.get_legend() is None for axes in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "actual",
        "gru",
        "hand_lstm",
        "lstm",
        "plan (latest snapshot)",
    ]
    assert _overlaps(fig, legend, [a for a in fig.axes if a.axison]) == []


def test_forecast_figure_saves_and_says_when_there_is_nothing(tmp_path) -> None:
    from plancast.reporting.plots import forecast_figure

    history, forecasts = _forecast_inputs(parts=1)
    save_figure(forecast_figure(history, forecasts), tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("nothing to forecast" in t for t in texts(forecast_figure(history, forecasts.iloc[:0])))


def test_hangul_part_names_draw_with_the_bundled_font_not_as_empty_boxes() -> None:
    import warnings

    from matplotlib import font_manager

    from plancast.reporting import plots

    assert plots.HANGUL_FONT == "NanumGothic", "koreanize-matplotlib (requirements.lock) bundles the font"
    assert Path(font_manager.findfont(font_manager.FontProperties(family=plots.HANGUL_FONT))).name == "NanumGothic.ttf"
    history, forecasts = _forecast_inputs(parts=2)
    names = {"Part 1": "부품 1", "Part 2": "엔진 커버"}
    history["part"], forecasts["part"] = history["part"].map(names), forecasts["part"].map(names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plots.forecast_figure(history, forecasts)
        fig.canvas.draw()
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert {ax.get_title() for ax in fig.axes if ax.axison} == {"부품 1", "엔진 커버"}
