"""Write a pull-request report of base vs head: DVC's params and metrics diffs, best models, changed plots.

Usage: python scripts/pr_report.py --base main [--head workspace|REV] [--out report] [--markdown PATH]

Offline: metrics, the evaluation's reports, DVCLive curves and plot images are git-tracked, so `dvc ...
diff` and `git show` read the base side from git. Writes <out>/report.md (or --markdown PATH) linking
images by relative path, for `cml comment create --publish`, and <out>/plots/index.html, DVC's
rendering of every plot.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from plancast import catalog
from plancast.artifacts import atomic_path
from plancast.errors import PlancastError
from plancast.reporting import pr_report

WORKSPACE = "workspace"


class ReportError(PlancastError):
    """A bad revision or a failing git/dvc command, in one line."""


def run(*args: str, name: str | None = None) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}").splitlines()
        raise ReportError(f"`{name or ' '.join(args)}` failed: {lines[-1]}")
    return result.stdout


def dvc(*args: str) -> str:
    # the dvc of this interpreter's environment: works without an activated virtualenv
    return run(sys.executable, "-m", "dvc", *args, name=" ".join(("dvc", *args)))


def label(rev: str) -> str:
    commit = "HEAD" if rev == WORKSPACE else rev
    try:
        sha = run("git", "rev-parse", "--short", "--verify", "--quiet", f"{commit}^{{commit}}")
    except ReportError:
        raise ReportError(f"{rev!r} is not a git revision here (in CI: fetch it, e.g. git fetch origin main)") from None
    return f"workspace (on {sha.strip()})" if rev == WORKSPACE else f"`{rev}` ({sha.strip()})"


def text_at(rev: str, path: str) -> str | None:
    """The file ``path`` as it is in the workspace or at git revision ``rev``; None where it is not."""
    if rev == WORKSPACE:
        return Path(path).read_text(encoding="utf-8") if Path(path).is_file() else None
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=False)
    return shown.stdout if shown.returncode == 0 else None


def scores_at(rev: str) -> dict:
    """:func:`pr_report.evaluation_side` of ``rev``: its evaluation.json and error_by_model.csv."""
    evaluation = text_at(rev, catalog.EVALUATION.path)
    by_model = text_at(rev, catalog.ERROR_BY_MODEL.path)
    return pr_report.evaluation_side(
        json.loads(evaluation) if evaluation else {}, list(csv.DictReader(io.StringIO(by_model or "")))
    )


def build(base: str, head: str, out: Path, markdown: Path) -> pr_report.Report:
    """Run DVC's diffs for both revisions, render the plots under ``out/plots``; what the report shows."""
    labels = label(base), label(head)
    revs = [base] if head == WORKSPACE else [base, head]

    plots_dir = out / "plots"
    shutil.rmtree(plots_dir, ignore_errors=True)
    dvc("plots", "diff", *revs, "-o", str(plots_dir))  # index.html and static/<rev>_<path>.png
    plots = json.loads(dvc("plots", "diff", *revs, "--json", "-o", str(plots_dir / "static")))  # the same images

    def link(path: str | None) -> str | None:
        return Path(os.path.relpath(path, markdown.parent)).as_posix() if path else None

    changed, unchanged = [], []
    for image in pr_report.image_pairs(plots, base):
        if image.base and image.head and filecmp.cmp(image.base, image.head, shallow=False):
            unchanged.append(image.path)
        else:
            changed.append(pr_report.ImagePair(image.path, link(image.base), link(image.head)))
    return pr_report.Report(
        *labels,
        params_md=dvc("params", "diff", *revs, "--md"),
        metrics_md=dvc("metrics", "diff", *revs, "--md"),
        base_scores=scores_at(base), head_scores=scores_at(head),
        images=changed, series=pr_report.series_changed(plots, base), unchanged_images=unchanged,
        plots_html=link(str(plots_dir / "index.html")) or "",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against, e.g. main or origin/main")
    parser.add_argument("--head", default=WORKSPACE, help="'workspace' (default: files on disk) or a git revision")
    parser.add_argument("--out", default="report", type=Path, help="folder for the report, its images and plots")
    parser.add_argument("--markdown", type=Path, help="where to write the Markdown (default: <out>/report.md)")
    args = parser.parse_args(argv)
    markdown = args.markdown or args.out / "report.md"
    out, target = args.out.resolve(), markdown.resolve()
    try:
        os.chdir(run("git", "rev-parse", "--show-toplevel").strip())  # dvc.yaml and the plots' paths
        report = build(args.base, args.head, out, target)
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with atomic_path(target) as tmp:
        tmp.write_text(pr_report.report_markdown(report), encoding="utf-8")
    print(f"{markdown}: {len(report.images)} changed image(s), {sum(report.series.values())} changed data series")
    return 0


if __name__ == "__main__":
    sys.exit(main())
