"""Write a pull-request report: params diff, metrics diff and changed plots of base vs head, as Markdown.

Usage: python scripts/pr_report.py --base main [--head workspace|REV] [--out report] [--markdown PATH]

Everything comes from git and DVC on this machine (`dvc params/metrics/plots diff` read metrics,
DVCLive curves and plot images of the base revision from git), so it works in a fresh clone without a
DVC remote and without network. Writes <out>/report.md (or --markdown PATH) and the images it links by
relative path, ready for `cml comment create --publish report/report.md`.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from plancast import report
from plancast.artifacts import atomic_path
from plancast.errors import PlancastError
from plancast.reporting.plots import save_figure

WORKSPACE = "workspace"
SUBFOLDERS = (report.BASE, report.HEAD, "series")  # what this script writes under --out; cleared first


class ReportError(PlancastError):
    """A bad revision or a failing git/dvc command, in one line."""


def run(*args: str, name: str | None = None) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}").splitlines()
        raise ReportError(f"`{name or ' '.join(args)}` failed: {lines[-1]}")
    return result.stdout


def dvc_json(*args: str) -> Any:
    # the dvc of this interpreter's environment: works without an activated virtualenv
    output = run(sys.executable, "-m", "dvc", *args, "--json", name=" ".join(("dvc", *args)))
    return json.loads(output or "{}")


def short_sha(rev: str) -> str:
    try:
        return run("git", "rev-parse", "--short", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except ReportError:
        raise ReportError(f"{rev!r} is not a git revision here (in CI: fetch it, e.g. git fetch origin main)") from None


def dvc_yaml_at(rev: str) -> dict[str, Any]:
    """dvc.yaml at a revision ({} where there is none)."""
    if rev == WORKSPACE:
        path = Path("dvc.yaml")
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    else:
        result = subprocess.run(["git", "show", f"{rev}:dvc.yaml"], capture_output=True, text=True, check=False)
        text = result.stdout if result.returncode == 0 else ""
    return yaml.safe_load(text) or {}


def link(path: Path, markdown: Path) -> str:
    return Path(os.path.relpath(path, markdown.parent)).as_posix()


def build(base: str, head: str, out: Path, markdown: Path) -> tuple[str, str]:
    """Gather both revisions through git and dvc, write images under ``out``; the Markdown and a summary."""
    base_label = f"`{base}` ({short_sha(base)})"
    if head == WORKSPACE:
        head_label = f"workspace (on {short_sha('HEAD')})"
        revs = [base]
    else:
        head_label = f"`{head}` ({short_sha(head)})"
        revs = [base, head]

    params = report.param_changes(dvc_json("params", "diff", *revs))
    metrics = dvc_json("metrics", "diff", *revs, "--all")
    base_eval, head_eval = report.metric_sides(metrics)
    other = report.other_metric_changes(metrics)

    for name in SUBFOLDERS:
        shutil.rmtree(out / name, ignore_errors=True)
    images, series, unchanged = [], [], []
    with tempfile.TemporaryDirectory(prefix="pr_report.") as scratch:
        plots = dvc_json("plots", "diff", *revs, "-o", scratch)
        for path, files in report.image_plots(plots, base).items():
            if len(files) == 2 and filecmp.cmp(files[report.BASE], files[report.HEAD], shallow=False):
                unchanged.append(path)
                continue
            links = {}
            for side, source in files.items():
                target = out / side / path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                links[side] = link(target, markdown)
            images.append(report.ImagePair(path, links.get(report.BASE), links.get(report.HEAD)))

    specs = {**report.plot_specs(dvc_yaml_at(base)), **report.plot_specs(dvc_yaml_at(head))}
    for title, spec in sorted(specs.items()):
        rows = report.series_rows(plots, title, base)
        if not report.rows_differ(rows[report.BASE], rows[report.HEAD]):
            unchanged.append(title)
            continue
        figure = report.series_figure(spec, rows)
        if figure is None:
            continue
        target = out / "series" / f"{report.slug(title)}.png"
        save_figure(figure, target)
        series.append(report.SeriesImage(title, link(target, markdown)))

    text = report.report_markdown(base_label, head_label, params, base_eval, head_eval, other, images, series,
                                  sorted(unchanged))  # fmt: skip
    summary = (
        f"{len(params)} param(s) changed, {len(other)} other metric(s) changed, "
        f"{len(images)} image(s) and {len(series)} data plot(s) changed"
    )
    return text, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against, e.g. main or origin/main")
    parser.add_argument("--head", default=WORKSPACE, help="'workspace' (default: files on disk) or a git revision")
    parser.add_argument("--out", default="report", type=Path, help="folder for the report and its images")
    parser.add_argument("--markdown", type=Path, help="where to write the Markdown (default: <out>/report.md)")
    args = parser.parse_args(argv)
    markdown = args.markdown or args.out / "report.md"
    out, target = args.out.resolve(), markdown.resolve()
    try:
        os.chdir(run("git", "rev-parse", "--show-toplevel").strip())  # dvc.yaml and the plots' paths
        text, summary = build(args.base, args.head, out, target)
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(f"{markdown}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
