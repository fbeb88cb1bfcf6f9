"""The correlation heatmap and the forecast figure: content, fixed colour range, stable bytes, Hangul names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plancast.reporting.plot_style import save_figure
from plancast.reporting.plots import correlation_heatmap


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


def _overlapping(artists) -> list[tuple[str, str]]:
    boxes = [(artist.get_text(), artist.get_window_extent()) for artist in artists]
    return [(a, b) for i, (a, box) in enumerate(boxes) for b, other in boxes[i + 1 :] if box.overlaps(other)]


def test_with_few_parts_the_cross_panel_numbers_and_labels_stay_apart() -> None:
    cross = cross_matrix(12)
    cross[:] = np.where(np.eye(13) == 1, 1.0, -0.05)  # the widest two-decimal text
    fig = correlation_heatmap(correlation_table(3, 12), cross)
    fig.canvas.draw()
    heat, panel, _ = fig.axes
    assert len(panel.texts) == 13 * 13
    assert _overlapping(panel.texts) == []
    assert _overlapping(panel.get_xticklabels()) == []
    assert _overlapping(heat.texts) == []


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


def _overlaps(fig, legend, artists) -> list:
    fig.canvas.draw()
    box = legend.get_window_extent()
    return [artist for artist in artists if box.overlaps(artist.get_window_extent())]


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


@pytest.mark.parametrize("parts", [1, 3, 12])
def test_the_forecast_legend_lies_inside_the_figure_however_few_panels(parts: int) -> None:
    from plancast.reporting.plots import forecast_figure

    history, forecasts = _forecast_inputs(parts=parts, models=("recommended",))
    for level in ("80", "95"):
        forecasts[f"lower_{level}"], forecasts[f"upper_{level}"] = forecasts["forecast"] - 5, forecasts["forecast"] + 5
    fig = forecast_figure(history, forecasts)
    fig.canvas.draw()
    (legend,) = fig.legends
    box, page = legend.get_window_extent(), fig.bbox
    assert page.x0 < box.x0 and box.x1 < page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    assert len(legend.get_texts()) == 6  # actual, recommended, plan, two intervals, where the rest is
    assert _overlaps(fig, legend, [a for a in fig.axes if a.axison]) == []


def test_forecast_figure_saves_and_says_when_there_is_nothing(tmp_path) -> None:
    from plancast.reporting.plots import forecast_figure

    history, forecasts = _forecast_inputs(parts=1)
    save_figure(forecast_figure(history, forecasts), tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("nothing to forecast" in t for t in texts(forecast_figure(history, forecasts.iloc[:0])))


def test_hangul_part_names_draw_with_the_bundled_font_not_as_empty_boxes(tmp_path) -> None:
    import warnings

    from matplotlib import font_manager

    from plancast.reporting import plot_style
    from plancast.reporting.plots import forecast_figure

    assert plot_style.HANGUL_FONT == "NanumGothic", "koreanize-matplotlib (requirements.lock) bundles the font"
    font = font_manager.findfont(font_manager.FontProperties(family=plot_style.HANGUL_FONT))
    assert Path(font).name == "NanumGothic.ttf"
    history, forecasts = _forecast_inputs(parts=2)
    names = {"Part 1": "부품 1", "Part 2": "엔진 커버"}
    history["part"], forecasts["part"] = history["part"].map(names), forecasts["part"].map(names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = forecast_figure(history, forecasts)
        save_figure(fig, tmp_path / "hangul.png")  # drawn as the stages draw it: in the house style
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert {ax.get_title() for ax in fig.axes if ax.axison} == {"부품 1", "엔진 커버"}
