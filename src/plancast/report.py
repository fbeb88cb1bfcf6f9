"""Pull-request reports: what a change did to params, metrics and plots, as Markdown and PNG figures.

The inputs are what DVC prints for two revisions — ``dvc params diff --json``, ``dvc metrics diff
--json --all`` and ``dvc plots diff --json`` — plus the plot definitions of ``dvc.yaml``; the outputs
are Markdown lines and matplotlib figures. "base" is the revision a pull request merges into, "head"
the one it proposes. Reading revisions and writing files is the edge's job (``scripts/pr_report.py``).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from plancast.reporting.plots import style_axes

BASE, HEAD = "base", "head"
SIDES = (BASE, HEAD)
EVALUATE_METRICS = "metrics/evaluate.json"
PARAMS_FILE = "params.yaml"
BASELINE_PREFIX = "baseline_"
PLAN_BASELINE = "baseline_plan"
MISSING = "—"

# (key in metrics/evaluate.json, column title, show the change in %); skill is already a ratio
TABLE_METRICS: tuple[tuple[str, str, bool], ...] = (
    ("mae", "MAE", True),
    ("rmse", "RMSE", True),
    ("skill", "skill", False),
)
LINE_TEMPLATES = frozenset({"linear", "simple", "smooth"})
SCATTER_TEMPLATES = frozenset({"scatter"})
BAR_TEMPLATES = frozenset({"bar_horizontal", "bar_horizontal_sorted"})
_DVC_MULTI_Y = "dvc_inferred_y_value"  # the y field DVC uses when one plot draws several y fields
_DVCLIVE_RUN = re.compile(r"(?:^|/)([^/]+)/plots/metrics/")


# --- numbers and cells ----------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value: Any) -> str:
    """One value as a table cell: numbers to 4 significant digits, None as a dash, others compact."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return MISSING
        return f"{value:.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def format_delta(old: Any, new: Any, percent: bool = True) -> str:
    """``new − old`` with its sign, and the change relative to ``|old|`` in %; a dash if either is missing."""
    if not (_is_number(old) and _is_number(new)):
        return MISSING
    delta = new - old
    if delta == 0:
        return "0"
    text = f"{'+' if delta > 0 else '-'}{format_value(abs(float(delta)))}"
    if percent and old != 0:
        text += f" ({(delta / abs(old)) * 100:+.1f}%)"
    return text


def _code(value: Any) -> str:
    """A param value in backticks, lists and mappings in YAML flow style, safe inside a table cell."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    else:
        text = _flow(value)
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def _flow(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    return str(value)


def _table(header: Sequence[str], align: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# --- params ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One value that differs between base and head (None on the side that lacks it)."""

    key: str
    old: Any
    new: Any


_ABSENT = object()


def _parsed(value: Any) -> Any:
    """DVC prints a param that is a list as its Python repr; read it back (literals only) to diff inside."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if isinstance(parsed, list | dict):
            return parsed
    return value


def _is_structured(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, list | dict) for v in value))


def _leaf_changes(key: str, old: Any, new: Any) -> list[Change]:
    """The changed leaves under ``key``: into dicts, and into lists of dicts (``layers.0.units``), as -S names them."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for name in sorted(set(old) | set(new), key=str)
            for change in _leaf_changes(f"{key}.{name}", old.get(name, _ABSENT), new.get(name, _ABSENT))
        ]
    if isinstance(old, list) and isinstance(new, list) and (_is_structured(old) or _is_structured(new)):
        return [
            change
            for index in range(max(len(old), len(new)))
            for change in _leaf_changes(
                f"{key}.{index}",
                old[index] if index < len(old) else _ABSENT,
                new[index] if index < len(new) else _ABSENT,
            )
        ]
    if old == new:
        return []
    return [Change(key, None if old is _ABSENT else old, None if new is _ABSENT else new)]


def param_changes(params_diff: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[Change]:
    """The changed params of ``dvc params diff --json``, down to the changed leaf, sorted.

    Keys are those ``dvc exp run -S`` takes (``models.lstm.layers.0.units``); a key outside params.yaml
    is prefixed with its file.
    """
    changes = []
    for path, keys in params_diff.items():
        for key, values in keys.items():
            name = key if path == PARAMS_FILE else f"{path}:{key}"
            changes += _leaf_changes(name, _parsed(values.get("old")), _parsed(values.get("new")))
    return sorted(changes, key=lambda change: change.key)


def params_section(changes: Sequence[Change]) -> list[str]:
    """Markdown for the params diff: a table of key, base, head, or one line saying nothing changed."""
    if not changes:
        return ["### Params", "", "No param changed."]
    rows = [(f"`{change.key}`", _code(change.old), _code(change.new)) for change in changes]
    return ["### Params", "", *_table(("param", "base", "head"), ("---", "---", "---"), rows)]


# --- metrics --------------------------------------------------------------------------------------


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Nest DVC's dotted metric keys (``test.lstm.mae``) back into dicts; None values are left out."""
    tree: dict[str, Any] = {}
    for dotted, value in flat.items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        node = tree
        for key in parents:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = value
    return tree


def metric_sides(
    metrics_diff: Mapping[str, Mapping[str, Mapping[str, Any]]], path: str = EVALUATE_METRICS
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The base and head contents of one metrics file, from ``dvc metrics diff --json --all``."""
    flat = metrics_diff.get(path, {})
    return (
        unflatten({key: values.get("old") for key, values in flat.items()}),
        unflatten({key: values.get("new") for key, values in flat.items()}),
    )


def other_metric_changes(
    metrics_diff: Mapping[str, Mapping[str, Mapping[str, Any]]], skip: Iterable[str] = (EVALUATE_METRICS,)
) -> list[Change]:
    """Every metric outside ``skip`` whose value differs, as ``file:key``, sorted."""
    skipped = set(skip)
    changes = [
        Change(f"{path}:{key}", values.get("old"), values.get("new"))
        for path, keys in metrics_diff.items()
        if path not in skipped
        for key, values in keys.items()
        if values.get("old") != values.get("new")
    ]
    return sorted(changes, key=lambda change: change.key)


@dataclass(frozen=True)
class ModelRow:
    """A model's metrics on one split at base and at head (a metric absent on a side is left out)."""

    model: str
    base: Mapping[str, Any]
    head: Mapping[str, Any]


def _sort_key(row: ModelRow, metric: str) -> tuple[int, float, str]:
    head, base = row.head.get(metric), row.base.get(metric)
    if _is_number(head):
        return (0, float(head), row.model)
    if _is_number(base):  # gone at head: after every model that has a head value, in base order
        return (1, float(base), row.model)
    return (2, 0.0, row.model)


def model_rows(
    base_eval: Mapping[str, Any], head_eval: Mapping[str, Any], split: str = "test", sort_by: str = "mae"
) -> tuple[list[ModelRow], list[ModelRow]]:
    """Networks and baselines of ``metrics/evaluate.json`` on both sides, each sorted by head ``split.sort_by``."""
    base_split, head_split = base_eval.get(split, {}), head_eval.get(split, {})
    rows = [
        ModelRow(model, base_split.get(model, {}), head_split.get(model, {}))
        for model in sorted(set(base_split) | set(head_split))
    ]
    rows.sort(key=lambda row: _sort_key(row, sort_by))
    networks = [row for row in rows if not row.model.startswith(BASELINE_PREFIX)]
    baselines = [row for row in rows if row.model.startswith(BASELINE_PREFIX)]
    return networks, baselines


def models_table(rows: Sequence[ModelRow], best: str | None = None) -> list[str]:
    """A Markdown table of base, head and delta of each metric in TABLE_METRICS; ``best`` is starred."""
    header, align = ["model"], ["---"]
    for _, title, _ in TABLE_METRICS:
        header += [f"{title} base", f"{title} head", f"Δ {title}"]
        align += ["---:", "---:", "---:"]
    body = []
    for row in rows:
        name = f"**`{row.model}`** ★" if row.model == best else f"`{row.model}`"
        if not row.head:
            name += " (gone)"
        elif not row.base:
            name += " (new)"
        cells = [name]
        for key, _, percent in TABLE_METRICS:
            old, new = row.base.get(key), row.head.get(key)
            cells += [format_value(old), format_value(new), format_delta(old, new, percent)]
        body.append(cells)
    return _table(header, align, body)


def _verdict(old: Any, new: Any, lower_is_better: bool = True) -> str:
    if not (_is_number(old) and _is_number(new)) or old == new:
        return ""
    return ", better" if (new < old) == lower_is_better else ", worse"


def best_lines(base_eval: Mapping[str, Any], head_eval: Mapping[str, Any], split: str = "test") -> list[str]:
    """Which network and which model (baselines included) is best on each side, and the best network's MAE."""
    chosen_on = head_eval.get("best_by") or base_eval.get("best_by") or "val.mae"
    old_net, new_net = base_eval.get("best_network"), head_eval.get("best_network")
    lines = [f"- **Best network** (lowest {chosen_on}): {_name(old_net)} → {_name(new_net)}"]
    old_mae = base_eval.get(split, {}).get(old_net, {}).get("mae") if old_net else None
    new_mae = head_eval.get(split, {}).get(new_net, {}).get("mae") if new_net else None
    if old_mae is not None or new_mae is not None:
        lines[0] += (
            f"; its {split} MAE {format_value(old_mae)} → {format_value(new_mae)},"
            f" Δ {format_delta(old_mae, new_mae)}{_verdict(old_mae, new_mae)}"
        )
    lines.append(
        f"- **Best model**, baselines included: {_name(base_eval.get('best_model'))}"
        f" → {_name(head_eval.get('best_model'))}"
    )
    plan_old = base_eval.get(split, {}).get(PLAN_BASELINE, {}).get("mae")
    plan_new = head_eval.get(split, {}).get(PLAN_BASELINE, {}).get("mae")
    if plan_old is not None or plan_new is not None:
        lines.append(
            f"- The planner's own number (`{PLAN_BASELINE}`), {split} MAE: {format_value(plan_old)}"
            f" → {format_value(plan_new)}"
        )
    return lines


def _name(model: Any) -> str:
    return f"`{model}`" if model else MISSING


def metrics_section(base_eval: Mapping[str, Any], head_eval: Mapping[str, Any], split: str = "test") -> list[str]:
    """Markdown for metrics/evaluate.json: best models, then networks and baselines with base, head and deltas."""
    if not base_eval and not head_eval:
        return ["### Metrics", "", f"No `{EVALUATE_METRICS}` on either side."]
    networks, baselines = model_rows(base_eval, head_eval, split)
    lines = ["### Metrics", "", *best_lines(base_eval, head_eval, split)]
    if networks:
        lines += ["", f"**Networks**, {split} split, sorted by head {split} MAE (★ best network at head):", ""]
        lines += models_table(networks, best=head_eval.get("best_network"))
    if baselines:
        lines += ["", f"**Baselines**, {split} split:", ""]
        lines += models_table(baselines)
    lines += [
        "",
        f"MAE and RMSE in quantity units, lower is better; skill = 1 − MAE / MAE of `{PLAN_BASELINE}` "
        "(above 0 beats the planner). Δ = head − base.",
    ]
    return lines


def other_metrics_section(changes: Sequence[Change]) -> list[str]:
    """Markdown for every other metric that changed, folded away (timings change on every run)."""
    if not changes:
        return []
    rows = [
        (f"`{change.key}`", format_value(change.old), format_value(change.new), format_delta(change.old, change.new))
        for change in changes
    ]
    return [
        "<details><summary>Other metrics that changed "
        f"({len(changes)}; wall-clock timings differ on every run)</summary>",
        "",
        *_table(("metric", "base", "head", "Δ"), ("---", "---:", "---:", "---:"), rows),
        "",
        "</details>",
    ]


# --- plots ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotSpec:
    """A data-series plot of dvc.yaml: its template, x and y fields and axis labels."""

    title: str
    template: str
    x: str
    y: str
    x_label: str
    y_label: str


def _first_field(value: Any) -> tuple[str | None, int]:
    """The field named by a dvc.yaml ``x``/``y`` (str, list or {file: field(s)}) and how many it names."""
    if isinstance(value, str):
        return value, 1
    if isinstance(value, Mapping):
        fields = {field for item in value.values() for field in ([item] if isinstance(item, str) else item)}
        return (sorted(fields)[0] if fields else None), len(fields)
    if isinstance(value, list) and value:
        return str(value[0]), len(set(value))
    return None, 0


def plot_specs(dvc_yaml: Mapping[str, Any]) -> dict[str, PlotSpec]:
    """The data-series plots of dvc.yaml's top-level ``plots`` (titled entries with x and y), by title."""
    specs = {}
    for entry in dvc_yaml.get("plots") or []:
        if not isinstance(entry, Mapping):
            continue  # a bare path: an image or a file plotted with defaults
        for title, props in entry.items():
            if not isinstance(props, Mapping):
                continue
            x, _ = _first_field(props.get("x"))
            y, y_fields = _first_field(props.get("y"))
            if x is None or y is None:
                continue
            y = _DVC_MULTI_Y if y_fields > 1 else y
            template = str(props.get("template", "linear"))
            specs[title] = PlotSpec(title, template, x, y, str(props.get("x_label", x)), str(props.get("y_label", y)))
    return specs


def rev_side(rev: str, base_rev: str) -> str:
    """``base`` for the base revision's name as DVC reports it, ``head`` for any other."""
    return BASE if rev == base_rev else HEAD


def image_plots(plots_diff: Mapping[str, Any], base_rev: str) -> dict[str, dict[str, str]]:
    """The image plots of ``dvc plots diff --json``: path -> {side: file DVC wrote for that revision}."""
    images: dict[str, dict[str, str]] = {}
    for name, renders in sorted((plots_diff.get("data") or {}).items()):
        for render in renders:
            if render.get("type") == "image" and render.get("url"):
                for rev in render.get("revisions", []):
                    images.setdefault(name, {})[rev_side(rev, base_rev)] = render["url"]
    return images


def series_rows(plots_diff: Mapping[str, Any], title: str, base_rev: str) -> dict[str, list[dict[str, Any]]]:
    """The data points of one vega plot of ``dvc plots diff --json``, split into base and head rows."""
    sides: dict[str, list[dict[str, Any]]] = {BASE: [], HEAD: []}
    for render in (plots_diff.get("data") or {}).get(title, []):
        if render.get("type") != "vega":
            continue
        for row in ((render.get("content") or {}).get("data") or {}).get("values", []):
            sides[rev_side(str(row.get("rev")), base_rev)].append(row)
    return sides


def _comparable(rows: Iterable[Mapping[str, Any]]) -> list[tuple[tuple[str, str], ...]]:
    return sorted(tuple(sorted((str(k), str(v)) for k, v in row.items() if k != "rev")) for row in rows)


def rows_differ(base_rows: Iterable[Mapping[str, Any]], head_rows: Iterable[Mapping[str, Any]]) -> bool:
    """Whether two revisions' data points differ (their ``rev`` field aside, in any order)."""
    return _comparable(base_rows) != _comparable(head_rows)


def series_label(filename: str) -> str:
    """A readable name for a data file: the DVCLive run (``…/lstm/plots/metrics/…`` -> ``lstm``), else the name."""
    match = _DVCLIVE_RUN.search(filename)
    return match.group(1) if match else filename


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def line_series(rows: Iterable[Mapping[str, Any]], x: str, y: str) -> dict[str, tuple[list[float], list[float]]]:
    """Points grouped by data file (labelled by :func:`series_label`), each sorted by x: label -> (xs, ys)."""
    points: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        value = row.get(y, row.get(_DVC_MULTI_Y))
        points.setdefault(series_label(str(row.get("filename", ""))), []).append((_number(row.get(x)), _number(value)))
    series = {}
    for label, pairs in sorted(points.items()):
        pairs.sort()
        series[label] = ([px for px, _ in pairs], [py for _, py in pairs])
    return series


def bar_values(rows: Iterable[Mapping[str, Any]], category: str, value: str) -> dict[str, float]:
    """One value per category (the last row wins if a category repeats)."""
    return {str(row.get(category)): _number(row.get(value)) for row in rows}


_SIDE_STYLES = {  # lines: base dashed and faded, head solid; scatter: base crosses, head dots
    False: {BASE: {"linestyle": "--", "alpha": 0.6}, HEAD: {"linestyle": "-"}},
    True: {BASE: {"linestyle": "none", "marker": "x", "alpha": 0.6}, HEAD: {"linestyle": "none", "marker": "o"}},
}


def overlay_figure(
    spec: PlotSpec,
    base: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    head: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    markers: bool = False,
) -> Figure:
    """Each series (label -> (xs, ys)) at base and at head in one colour per label, base dashed or crossed."""
    styles = _SIDE_STYLES[markers]
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    handles = []
    for index, label in enumerate(sorted(set(base) | set(head))):
        colour = f"C{index % 10}"
        for side, series in ((BASE, base), (HEAD, head)):
            if label in series:
                ax.plot(*series[label], color=colour, linewidth=1.4, markersize=4, **styles[side])
        handles.append(Line2D([], [], color=colour, label=label))
    handles += [Line2D([], [], color="black", label=side, **styles[side]) for side in SIDES]
    xs = [x for series in (base, head) for values, _ in series.values() for x in values]
    if xs and all(float(x).is_integer() for x in xs):  # epochs, horizons: no 0.25 ticks
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    style_axes(ax, f"{spec.title}: base vs head", spec.x_label, spec.y_label, grid=True)
    ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    return fig


def paired_bars_figure(spec: PlotSpec, base: Mapping[str, float], head: Mapping[str, float]) -> Figure:
    """Horizontal bars of each category at base (hatched) and head (solid), smallest head value on top."""

    def order(name: str) -> tuple[int, float, str]:
        value = head.get(name, math.nan)
        return (0, value, name) if math.isfinite(value) else (1, base.get(name, math.nan), name)

    names = sorted(set(base) | set(head), key=order)
    fig = Figure(figsize=(7, max(2.5, 0.42 * len(names) + 1.2)), layout="constrained")
    ax = fig.subplots()
    positions = range(len(names))
    height = 0.38
    ax.barh([p - height / 2 for p in positions], [base.get(n, math.nan) for n in names], height=height,
            color="#c7c7c7", hatch="//", edgecolor="#7f7f7f", label="base")  # fmt: skip
    bars = ax.barh([p + height / 2 for p in positions], [head.get(n, math.nan) for n in names], height=height,
                   color="#1f77b4", label="head")  # fmt: skip
    ax.bar_label(bars, fmt="%.4g", fontsize=7, padding=2)
    ax.set_yticks(list(positions), names)
    ax.invert_yaxis()
    style_axes(ax, f"{spec.title}: base vs head", spec.x_label, spec.y_label, legend=True)
    return fig


def series_figure(spec: PlotSpec, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> Figure | None:
    """The base-vs-head figure of one data-series plot, by its template; None for a template we do not draw."""
    if spec.template in LINE_TEMPLATES or spec.template in SCATTER_TEMPLATES:
        return overlay_figure(
            spec,
            line_series(rows.get(BASE, []), spec.x, spec.y),
            line_series(rows.get(HEAD, []), spec.x, spec.y),
            markers=spec.template in SCATTER_TEMPLATES,
        )
    if spec.template in BAR_TEMPLATES:
        # horizontal bars: y names the category, x the length
        return paired_bars_figure(
            spec, bar_values(rows.get(BASE, []), spec.y, spec.x), bar_values(rows.get(HEAD, []), spec.y, spec.x)
        )
    return None


def slug(title: str) -> str:
    """A file name for a plot title: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "plot"


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImagePair:
    """A plot image that differs: the link to each side's copy (None where that side has none)."""

    path: str
    base: str | None
    head: str | None


@dataclass(frozen=True)
class SeriesImage:
    """A base-vs-head figure drawn from a data-series plot, and the link to it."""

    title: str
    link: str


def plots_section(images: Sequence[ImagePair], series: Sequence[SeriesImage], unchanged: Sequence[str]) -> list[str]:
    """Markdown for the plots that changed: images side by side, then our base-vs-head overlays."""
    lines = ["### Plots", ""]
    if not images and not series:
        lines.append("No plot changed.")
    for image in images:
        cells = [f"![{side} {image.path}]({link})" if link else MISSING for side, link in
                 ((BASE, image.base), (HEAD, image.head))]  # fmt: skip
        lines += [f"#### `{image.path}`", "", *_table(("base", "head"), ("---", "---"), [cells]), ""]
    for figure in series:
        lines += [f"#### {figure.title}", "", f"![{figure.title}: base vs head]({figure.link})", ""]
    if unchanged:
        lines += ["Unchanged: " + ", ".join(f"`{name}`" for name in unchanged) + "."]
    return lines


def report_markdown(
    base_label: str,
    head_label: str,
    params: Sequence[Change],
    base_eval: Mapping[str, Any],
    head_eval: Mapping[str, Any],
    other_metrics: Sequence[Change],
    images: Sequence[ImagePair] = (),
    series: Sequence[SeriesImage] = (),
    unchanged_plots: Sequence[str] = (),
) -> str:
    """The whole pull-request report as Markdown text (one trailing newline)."""
    lines = [
        "## plancast report",
        "",
        f"**base** {base_label} → **head** {head_label}",
        "",
        *params_section(params),
        "",
        *metrics_section(base_eval, head_eval),
        "",
    ]
    other = other_metrics_section(other_metrics)
    if other:
        lines += [*other, ""]
    lines += plots_section(images, series, unchanged_plots)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"
