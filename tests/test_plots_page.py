"""The offline page of `dvc plots show/diff` and the custom vega templates, driven through the real dvc.

The browser test renders the page in headless Chromium with no host name resolving; it is skipped,
saying so, where no Chromium is installed (`.ci/run` installs one).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from plancast.reporting import plots_page
from plancast.reporting.plots_page import (
    PAGE_TEMPLATE,
    VENDORED,
    expected_versions,
    external_references,
    undrawn_plots,
    vendored_scripts,
    with_vendored,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / PAGE_TEMPLATE).read_text(encoding="utf-8")
HANGUL_PART = "부품 7"
MODEL_ERRORS = [
    ("gru", "network", 22.8), ("lstm", "network", 9.5), ("baseline_plan", "baseline", 30.8),
    ("baseline_last", "baseline", 150.4), ("baseline_ridge", "baseline", 22.4),
]  # fmt: skip
PART_ERRORS = {"Part 1": 3.0, "Part 2": 24.0, HANGUL_PART: 9.0, "Part 10": 150.0}


def test_page_inlines_the_exact_builds_the_installed_dvc_expects() -> None:
    scripts = vendored_scripts(PAGE)
    assert [script.package for script in scripts] == list(VENDORED)  # vega before vega-lite before vega-embed
    assert {script.package: script.version for script in scripts} == expected_versions()
    for script in scripts:
        assert script.sha256 == script.actual_sha256, f"{script.package}: the inlined code is not what was vendored"
        assert len(script.code) > 50_000
        assert (ROOT / "plots-template/licenses" / f"{script.package}.LICENSE").is_file()


def test_page_loads_nothing_from_the_network_and_has_dvcs_placeholder_for_plots_only() -> None:
    assert external_references(PAGE) == []
    assert plots_page.DVC_PLOTS_PLACEHOLDER in PAGE
    assert plots_page.DVC_SCRIPTS_PLACEHOLDER not in PAGE  # there DVC would write its CDN <script> tags
    assert '<meta charset="utf-8">' in PAGE  # Hangul titles read right from a file:// page


def test_external_references_finds_cdn_scripts_and_ignores_urls_in_code() -> None:
    html = (
        '<script src="https://cdn.jsdelivr.net/npm/vega@5.20.2"></script><link href=//fonts.example/x.css>'
        '<script>var schema = "https://vega.github.io/schema/vega-lite/v5.json";</script><img src="static/a.png">'
    )
    assert external_references(html) == ["https://cdn.jsdelivr.net/npm/vega@5.20.2", "//fonts.example/x.css"]


def test_with_vendored_replaces_one_block_and_refuses_code_that_would_end_the_script() -> None:
    page = '<head>\n<script data-vendor="vega@1.0.0" data-sha256="">\nold\n</script>\n</head>'
    new = with_vendored(page, "vega", "5.20.2", "var x = 1;")
    (script,) = vendored_scripts(new)
    assert (script.version, script.code, script.sha256) == ("5.20.2", "var x = 1;", script.actual_sha256)
    with pytest.raises(ValueError, match="cannot be inlined"):
        with_vendored(page, "vega", "5.20.2", 'document.write("</script>")')
    with pytest.raises(ValueError, match="exactly one"):
        with_vendored(page, "vega-lite", "5.2.0", "var y;")


def test_undrawn_plots_names_the_divs_where_vega_left_only_its_script() -> None:
    dom = (
        '<html><body><div id="drawn" class="vega-embed"><div class="chart-wrapper"><svg class="marks"></svg>'
        "</div><details><summary><svg></svg></summary></details></div>"
        '<div id="failed"><script>vegaEmbed("#failed", spec);</script></div>'
        '<div id="icon_only"><details><summary><svg></svg></summary></details></div>'
        '<div id="image"><p>plots/a.png</p><div><img src="static/a.png"></div></div></body></html>'
    )
    assert undrawn_plots(dom) == ["failed", "icon_only"]


# --- the real dvc on the project's dvc.yaml plots, templates and page ----------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _reports(project: Path, scale: float) -> None:
    """Small report tables shaped as the stages write them; ``scale`` varies the numbers per revision."""
    loss = ["model,epoch,split,loss"] + [
        f"{model},{epoch},{split},{(1.0 + offset) * scale / epoch + (0.1 if split == 'validation' else 0):.4f}"
        for offset, model in enumerate(["gru", "lstm", "hand_lstm"])
        for split in ("training", "validation")
        for epoch in (1, 2, 3, 4)
    ]
    _write(project / "data/reports/loss_curves.csv", "\n".join(loss) + "\n")
    # one- to three-digit errors: a sort on the CSV's strings would put 9.5 after 22.4
    errors = ["model,kind,test_mae"] + [f"{model},{kind},{mae * scale:.3f}" for model, kind, mae in MODEL_ERRORS]
    _write(project / "data/reports/error_by_model.csv", "\n".join(errors) + "\n")
    _write(
        project / "data/reports/error_by_part.csv",
        "part,test_mae,plan_mae\n" + "".join(f"{p},{mae * scale:.2f},9.0\n" for p, mae in PART_ERRORS.items()),
    )
    parts = list(PART_ERRORS)
    rows = [f"{part},{k},D+{k},{(0.9 - 0.1 * k) * scale:.3f},40" for part in [*parts, "pooled"] for k in (1, 2, 3, 4)]
    _write(project / "data/reports/correlation.csv", "part,horizon,label,correlation,pairs\n" + "\n".join(rows) + "\n")
    days = [f"2026-01-{day:02d}" for day in (5, 6, 7, 8, 9)]
    live = [f"{day},{5 + i},{(0.40 + 0.02 * i) * scale:.3f},{(0.41 + 0.02 * i) * scale:.3f},0.47,0.39,"
            f"{0.1 * i:.2f},{0.1 * i:.2f},{int(i > 3)},0" for i, day in enumerate(days)]  # fmt: skip
    _write(project / "data/monitor/live_skill.csv", "day,days,live_skill,judged_skill,backtest_skill,lower_band,"
           "plan_shift,judged_shift,alarm,retrain\n" + "\n".join(live) + "\n")  # fmt: skip
    horizons = [f"{k},D+{k},7,{(0.5 - 0.02 * k) * scale:.3f},{0.48 - 0.01 * k:.3f},0.1" for k in (1, 2, 3, 4)]
    _write(project / "data/monitor/live_horizons.csv",
           "delay,label,days,live_skill,backtest_skill,plan_shift\n" + "\n".join(horizons) + "\n")  # fmt: skip
    for image in ("plots/correlation_heatmap.png", "plots/forecast.png", "plots/evaluate/error_by_model.png"):
        (project / image).parent.mkdir(parents=True, exist_ok=True)
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, scale])
        fig.savefig(project / image)
        plt.close(fig)


def _run(project: Path, *args: str) -> str:
    result = subprocess.run(args, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def plots_diff_page(tmp_path_factory) -> Path:
    """`dvc plots diff HEAD` of a repo holding the project's plots definition, two revisions of small tables."""
    project = tmp_path_factory.mktemp("plots")
    dvc = [sys.executable, "-m", "dvc"]
    _run(project, "git", "init", "-q")
    _run(project, *dvc, "init", "-q")
    shutil.copy(ROOT / ".dvc/config", project / ".dvc/config")
    shutil.copytree(ROOT / ".dvc/plots", project / ".dvc/plots")
    shutil.copytree(ROOT / "plots-template", project / "plots-template")
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(ROOT / name, project / name)
    _reports(project, 1.0)
    _run(project, "git", "add", "-A")
    _run(project, "git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "base")
    _reports(project, 0.8)
    _run(project, *dvc, "plots", "diff", "HEAD", "-o", "page")  # the page template comes from .dvc/config
    return project / "page/index.html"


@pytest.mark.e2e
def test_dvc_fills_every_custom_template_into_the_offline_page(plots_diff_page: Path) -> None:
    page = plots_diff_page.read_text(encoding="utf-8")
    assert external_references(page) == [] and "cdn.jsdelivr" not in page
    assert "<DVC_METRIC" not in page  # every anchor of the custom templates filled
    descriptions = re.findall(r'"description": "plancast: ([^"]+)', page)
    assert len(descriptions) == 6, "loss, error by model and part, correlation, live skill by day and delay"
    assert json.dumps(HANGUL_PART)[1:-1] in page  # DVC writes each spec as ASCII JSON


def _marks(dom: str, plot_id: str, mark: str) -> int:
    """How many items of one mark type (e.g. ``symbol``) the svg of plot ``plot_id`` holds."""
    start = dom.index(f'id="{plot_id}"')
    end = dom.find('<div id="', start + 1)
    groups = re.findall(rf'<g class="mark-{mark} role-mark[^"]*"[^>]*>(.*?)</g>', dom[start : end if end > 0 else None])
    return sum(group.count("<path") for group in groups)


def _axis_labels(dom: str, plot_id: str) -> list[str]:
    """The axis labels of plot ``plot_id``'s svg, in drawing order."""
    start = dom.index(f'id="{plot_id}"')
    end = dom.find('<div id="', start + 1)
    groups = re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', dom[start : end if end > 0 else None])
    return [html.unescape(text) for group in groups for text in re.findall(r"<text[^>]*>([^<]*)</text>", group)]


@pytest.mark.e2e
@pytest.mark.browser
def test_page_draws_every_plot_offline_in_chromium(plots_diff_page: Path, tmp_path: Path) -> None:
    chromium = plots_page.find_chromium()
    if chromium is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium); the offline page is not rendered")
    dom = plots_page.rendered_dom(chromium, plots_diff_page)
    assert len(plots_page.plot_contents(dom)) == 9  # 6 data-series plots (2 of them stage monitor's), 3 images
    assert undrawn_plots(dom) == []
    # the correlation plot keeps the pooled row only: 4 horizons x 2 revisions points, not 5 rows x 4 x 2
    assert _marks(dom, "Correlation_of_actual_with_plan_by_horizon__pooled_over_parts", "symbol") == 8
    # loss curves: one line per model, split and revision
    assert _marks(dom, "Loss_per_epoch__every_model_and_split", "line") == 3 * 2 * 2
    # bars sorted by the number, not by the CSV's text: lowest model error and largest part error on top
    models = [name for name, _, _ in MODEL_ERRORS]
    assert [t for t in _axis_labels(dom, "Test_MAE_by_model_and_baseline__units_") if t in models] == [
        "lstm", "baseline_ridge", "gru", "baseline_plan", "baseline_last",
    ]  # fmt: skip
    assert [t for t in _axis_labels(dom, "Test_MAE_by_part__best_model__units_") if t in PART_ERRORS] == [
        "Part 10", "Part 2", HANGUL_PART, "Part 1",
    ]  # fmt: skip
    plots_page.screenshot(chromium, plots_diff_page, tmp_path / "page.png", height=2400)
    assert plots_page.blank_fraction(tmp_path / "page.png") < 0.97


def test_the_error_by_model_template_colours_every_kind_of_model():
    # a kind missing from the colour scale draws its bars in no colour at all (seen: tabular models)
    import json
    from pathlib import Path

    from plancast.evaluation.report_tables import MODEL_KINDS

    template = json.loads((Path(__file__).parents[1] / ".dvc/plots/error_by_model.json").read_text())

    def domains(node):
        if isinstance(node, dict):
            if isinstance(node.get("scale"), dict) and "domain" in node["scale"]:
                yield node["scale"]["domain"]
            for value in node.values():
                yield from domains(value)
        elif isinstance(node, list):
            for value in node:
                yield from domains(value)

    colour = [domain for domain in domains(template) if "network" in domain]
    assert len(colour) == 1 and set(MODEL_KINDS) <= set(colour[0])
