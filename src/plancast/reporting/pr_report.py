"""Pull-request report: DVC's own diffs, plus the few things they cannot say.

DVC already prints the params diff and the metrics diff as Markdown (``dvc params diff --md``,
``dvc metrics diff --md``) and renders every plot of both revisions (``dvc plots diff -o DIR``: an HTML
page with the data series overlaid, and each revision's images). This module adds each model's test MAE
and skill against the plan at base and head with the change, and the best network and best model on each
side (from each revision's data/reports/evaluation.json and error_by_model.csv: DVC's metrics hold no
per-model figure), and, from ``dvc plots diff --json``, the images that changed, side by side. "base" is
the revision a pull request merges into, "head" the one it proposes. Running git and dvc and writing
files is the script's job (``scripts/pr_report.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plancast.names import PLAN_BASELINE

SPLIT = "test"
SPLITS = ("val", "test")  # error_by_model.csv's column prefixes
MISSING = "—"
MAX_DVC_ROWS = 60  # a PR comment holds 65,536 characters; cut a long diff rather than fail to post it


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _digits(value: float, sign: str = "") -> str:
    return f"{value:{sign}.0f}" if abs(value) >= 1e4 else f"{value:{sign}.4g}"  # 12345, not 1.234e+04


def format_value(value: Any) -> str:
    """A table cell: numbers to 4 significant digits (whole from 10,000 up), anything missing as a dash."""
    if _is_number(value):
        return _digits(value)
    return MISSING if value is None or isinstance(value, float) else str(value)


def format_delta(old: Any, new: Any) -> str:
    """``new − old`` with its sign, ``0`` if equal, a dash if either is missing."""
    if not (_is_number(old) and _is_number(new)):
        return MISSING
    return "0" if new == old else _digits(new - old, "+")


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def evaluation_side(evaluation: Mapping[str, Any], by_model: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """One revision's figures as one flat dict: evaluation.json's keys dotted (``best_network``,
    ``recommended.test_mae``, …) and, from the rows of error_by_model.csv, ``<split>.<model>.<metric>``
    (``test.lstm.mae``); an empty cell is no value. Empty inputs (a revision without the files) give {}."""
    side = _flat(evaluation)
    for row in by_model:
        for column, cell in row.items():
            split, _, metric = column.partition("_")
            if split in SPLITS and metric and cell not in ("", None):
                side[f"{split}.{row['model']}.{metric}"] = float(cell)
    return side


@dataclass(frozen=True)
class ModelScores:
    """One model's test MAE and skill (1 − MAE / MAE of the plan) at base and head; None where a side lacks it."""

    model: str
    base_mae: float | None = None
    head_mae: float | None = None
    base_skill: float | None = None
    head_skill: float | None = None


def model_scores(base: Mapping[str, Any], head: Mapping[str, Any], split: str = SPLIT) -> list[ModelScores]:
    """Every model with a ``<split>.<model>.mae`` on either side, sorted by head MAE (models gone at head last)."""
    prefix, suffix = f"{split}.", ".mae"
    keys = [key for key in (*base, *head) if key.startswith(prefix) and key.endswith(suffix)]
    models = {key[len(prefix) : -len(suffix)] for key in keys}
    rows = [
        ModelScores(
            model,
            base.get(f"{split}.{model}.mae"),
            head.get(f"{split}.{model}.mae"),
            base.get(f"{split}.{model}.skill"),
            head.get(f"{split}.{model}.skill"),
        )
        for model in models
    ]

    def order(row: ModelScores) -> tuple[int, float, str]:
        for rank, value in enumerate((row.head_mae, row.base_mae)):
            if _is_number(value):
                return rank, float(value), row.model
        return 2, 0.0, row.model

    return sorted(rows, key=order)


def scores_table(rows: Sequence[ModelScores], split: str = SPLIT) -> list[str]:
    """Markdown: each model's MAE and skill at base and head with the change."""
    lines = [
        f"| model | {split} MAE base | head | Δ | skill base | head | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = [f"`{row.model}`"]
        for old, new in ((row.base_mae, row.head_mae), (row.base_skill, row.head_skill)):
            cells += [format_value(old), format_value(new), format_delta(old, new)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _named(flat: Mapping[str, Any], name: str) -> str | None:
    """The value of the key ``name`` (top level, or the last part of a dotted key), if there is one."""
    for key in sorted(flat, key=lambda key: (key.count("."), key)):
        if key == name or key.endswith(f".{name}"):
            return str(flat[key])
    return None


def best_lines(base: Mapping[str, Any], head: Mapping[str, Any], split: str = SPLIT) -> list[str]:
    """The best network and best model on each side with their test MAE; no line where neither side names one."""
    lines = []
    for key, title in (("best_network", "Best network"), ("best_model", "Best model, baselines included")):
        old, new = _named(base, key), _named(head, key)
        if old is None and new is None:
            continue
        sides = [
            f"`{model}` ({split} MAE {format_value(flat.get(f'{split}.{model}.mae'))})" if model else MISSING
            for model, flat in ((old, base), (new, head))
        ]
        lines.append(f"- **{title}**: {sides[0]} → {sides[1]}")
    return lines


@dataclass(frozen=True)
class ImagePair:
    """An image plot of ``dvc plots diff --json``: the file DVC rendered for each side (None where a side has none)."""

    path: str
    base: str | None = None
    head: str | None = None


def image_pairs(plots_diff: Mapping[str, Any], base_rev: str) -> list[ImagePair]:
    """The image plots of ``dvc plots diff --json``, by path; a revision other than ``base_rev`` is head."""
    files: dict[str, dict[str, str]] = {}
    for path, renders in (plots_diff.get("data") or {}).items():
        for render in renders:
            if render.get("type") == "image" and render.get("url"):
                for rev in render.get("revisions", []):
                    files.setdefault(path, {})["base" if rev == base_rev else "head"] = render["url"]
    return [ImagePair(path, sides.get("base"), sides.get("head")) for path, sides in sorted(files.items())]


def series_changed(plots_diff: Mapping[str, Any], base_rev: str) -> dict[str, bool]:
    """Each data-series (vega) plot of ``dvc plots diff --json``: whether its points differ between base and head."""
    changed = {}
    for title, renders in (plots_diff.get("data") or {}).items():
        points: dict[bool, list[str]] = {True: [], False: []}
        vega = [render for render in renders if render.get("type") == "vega"]
        for render in vega:
            for row in ((render.get("content") or {}).get("data") or {}).get("values", []):
                point = sorted((str(key), str(value)) for key, value in row.items() if key != "rev")
                points[row.get("rev") == base_rev].append(repr(point))
        if vega:
            changed[title] = sorted(points[True]) != sorted(points[False])
    return dict(sorted(changed.items()))


@dataclass(frozen=True)
class Report:
    """What the Markdown shows: DVC's diffs as it printed them and the pieces computed here."""

    base_label: str
    head_label: str
    params_md: str
    metrics_md: str
    base_scores: Mapping[str, Any] = field(default_factory=dict)  # evaluation_side of base
    head_scores: Mapping[str, Any] = field(default_factory=dict)
    images: Sequence[ImagePair] = ()  # changed images, as links relative to the Markdown
    series: Mapping[str, bool] = field(default_factory=dict)  # data-series plot -> changed
    unchanged_images: Sequence[str] = ()
    plots_html: str = "plots/index.html"


def dvc_table(text: str, nothing: str, command: str, max_rows: int = MAX_DVC_ROWS) -> list[str]:
    """A Markdown table as DVC printed it, rows sorted and cut after ``max_rows``; ``nothing`` if it has none."""
    lines = text.strip().splitlines()
    header, rows = lines[:2], sorted(lines[2:])  # DVC lists them in no fixed order
    if not rows:  # DVC prints the header alone when nothing differs
        return [nothing]
    more = ["", f"… and {len(rows) - max_rows} more rows: `{command}` shows them all."] if len(rows) > max_rows else []
    return [*header, *rows[:max_rows], *more]


def report_markdown(report: Report) -> str:
    """The whole pull-request report as Markdown (one trailing newline)."""
    lines = ["## plancast report", "", f"**base** {report.base_label} → **head** {report.head_label}", ""]
    lines += ["### Test MAE and skill vs the plan", ""]
    lines += best_lines(report.base_scores, report.head_scores) or ["No best network in the evaluation."]
    rows = model_scores(report.base_scores, report.head_scores)
    if rows:
        lines += ["", *scores_table(rows), "", f"Lower MAE is better (quantity units); skill = 1 − MAE / MAE of "
                  f"`{PLAN_BASELINE}`, above 0 beats the planner. Δ = head − base."]  # fmt: skip
    lines += ["", "### Params", "", *dvc_table(report.params_md, "No param changed.", "dvc params diff")]
    lines += ["", "<details><summary>All metrics that changed (<code>dvc metrics diff</code>)</summary>", ""]
    lines += [*dvc_table(report.metrics_md, "No metric changed.", "dvc metrics diff"), "", "</details>"]
    lines += ["", "### Plots", ""]
    for image in report.images:
        cells = [f"![{side} {image.path}]({link})" if link else MISSING
                 for side, link in (("base", image.base), ("head", image.head))]  # fmt: skip
        lines += [f"#### `{image.path}`", "", "| base | head |", "|---|---|", f"| {cells[0]} | {cells[1]} |", ""]
    changed = [title for title, differs in report.series.items() if differs]
    unchanged = [*report.unchanged_images, *(title for title, differs in report.series.items() if not differs)]
    if changed:
        lines += ["Data series that changed, base and head overlaid by DVC in `" + report.plots_html + "` (in CI: "
                  "the `pr-report` artifact): " + ", ".join(changed) + ".", ""]  # fmt: skip
    if not report.images and not changed:
        lines += ["No plot changed.", ""]
    if unchanged:
        lines += ["Unchanged: " + ", ".join(f"`{name}`" for name in sorted(unchanged)) + "."]
    return "\n".join(lines).rstrip("\n") + "\n"
