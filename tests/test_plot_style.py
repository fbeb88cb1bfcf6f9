"""The house style: in force while a figure is drawn and saved, and nowhere else."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib

from plancast.reporting.plot_style import STYLE, house_style, message_figure, save_figure

# every module that draws: importing any of them, or drawing and saving a figure, leaves rcParams alone
_CHECK = """
import json, sys
import matplotlib

def settings():
    return {key: repr(value) for key, value in dict.items(matplotlib.rcParams)}  # no backend resolution

def changed(before):
    after = settings()
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))

before = settings()
from plancast.reporting import evaluation_plots, plot_style, plots
imported = changed(before)
plot_style.save_figure(plots.correlation_heatmap(__import__("pandas").DataFrame()), sys.argv[1])
print(json.dumps({"import": imported, "draw": changed(before)}))
"""


def test_importing_the_figure_modules_or_saving_a_figure_leaves_matplotlib_settings_unchanged(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _CHECK, str(tmp_path / "empty.png")], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == {"import": [], "draw": []}
    assert (tmp_path / "empty.png").read_bytes().startswith(b"\x89PNG")


def test_house_style_is_in_force_only_inside_the_decorated_function() -> None:
    family = list(matplotlib.rcParams["font.family"])

    @house_style
    def seen() -> list[str]:
        return list(matplotlib.rcParams["font.family"])

    assert seen() == STYLE["font.family"] and STYLE["font.family"][0] == "DejaVu Sans"
    assert list(matplotlib.rcParams["font.family"]) == family


def test_a_figure_carries_the_house_fonts_and_no_pyplot_manager(tmp_path) -> None:
    fig = message_figure("Loss curves", "no trained models")
    assert fig.axes[0].title.get_fontfamily() == STYLE["font.family"]
    save_figure(fig, tmp_path / "m.png")
    assert (tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")
    assert fig.canvas.manager is None  # not pyplot's: nothing keeps it open once it is saved
