"""The house style of every figure: fonts, sizes, colours, and PNGs whose bytes depend on the inputs only.

Every figure is made by :func:`subplots` (or :func:`message_figure`), labelled by :func:`style_axes`
(title, axis labels with units, legend) and saved by :func:`save_figure` (fixed dpi, no software/date
metadata, atomic write), so that two runs on the same inputs give the same bytes and every plot reads
the same way.

Nothing here changes matplotlib's global settings, so a notebook or a test that imports the library keeps
its own: :data:`STYLE` is in force only while a function decorated with :func:`house_style` draws or
saves a figure, and a figure gets its own Agg canvas instead of going through pyplot (no backend is
chosen, no figure is kept open by pyplot's registry). The one lasting effect of importing this module is
that matplotlib's font manager knows the bundled Hangul font's files.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from plancast.artifacts import atomic_path

DPI = 110
_PNG_METADATA = {"Software": None}

# Part names in the planning system's exports are often Hangul, which DejaVu Sans (matplotlib's font)
# lacks: they drew as empty boxes. NanumGothic comes from the koreanize-matplotlib wheel (a pinned
# dependency: pip installs it on any machine, no system font needed). Its file is registered, never its
# module: importing koreanize_matplotlib rewrites rcParams.
HANGUL_FONT_PACKAGE = "koreanize_matplotlib"
HANGUL_FONT_FILES = "fonts/NanumGothic*.ttf"  # regular and the weights of bold titles
LATIN_FONT = "DejaVu Sans"

NETWORK_COLOUR = "#1f77b4"
BASELINE_COLOUR = "#9e9e9e"
PLAN_COLOUR = "#d62728"
ACTUAL_COLOUR = "black"


def register_hangul_font() -> str | None:
    """Register the bundled Hangul font with matplotlib; its family name, or None if it is not installed."""
    spec = importlib.util.find_spec(HANGUL_FONT_PACKAGE)  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(spec.submodule_search_locations[0]).glob(HANGUL_FONT_FILES))
    for path in files:
        font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=files[0]).get_name() if files else None


HANGUL_FONT = register_hangul_font()
# An explicit list, not the generic "sans-serif": matplotlib falls back glyph by glyph only along
# font.family. Latin text keeps DejaVu Sans; a glyph it lacks comes from the Hangul font.
STYLE: dict[str, Any] = {"font.family": [LATIN_FONT, *([HANGUL_FONT] if HANGUL_FONT else [])]}

_P = ParamSpec("_P")
_R = TypeVar("_R")


def house_style(draw: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``draw`` with :data:`STYLE` in force; matplotlib's settings are as before once it returns.

    Text takes its font when it is made and tick labels may be made when the figure is drawn, so both
    the function that builds a figure and the one that saves it carry this decorator.
    """

    @functools.wraps(draw)
    def styled(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return styled


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **grid: Any) -> tuple[Figure, Any]:
    """A figure with constrained layout on its own Agg canvas, and its axes (``grid``: as ``Figure.subplots``)."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # files only, no display: the same output on a headless CI machine
    return fig, fig.subplots(nrows, ncols, **grid)


def style_axes(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = False, grid: bool = False) -> None:
    """Give an axes the house look: title, axis labels (with units in the label), optional legend/grid."""
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if grid:
        ax.grid(True, alpha=0.3, linewidth=0.6)
    if legend:
        ax.legend(loc="best", fontsize=8, frameon=False)


@house_style
def save_figure(fig: Figure, path: str | Path) -> None:
    """Save ``fig`` as a PNG at the house dpi without run-dependent metadata, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata=_PNG_METADATA)


@house_style
def message_figure(title: str, message: str) -> Figure:
    """A small figure that only says ``message``: the honest plot when there is nothing to draw."""
    fig, ax = subplots(figsize=(6, 2.5))
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    return fig


def natural_key(name: str) -> list[object]:
    """Sort key that puts 'Part 2' before 'Part 10': the order of parts in figures and the workbook."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name)]
