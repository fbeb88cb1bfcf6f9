"""The correlation heatmap and the shared figure helpers: content, fixed colour range, stable bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plancast.plots import correlation_heatmap, save_figure


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
