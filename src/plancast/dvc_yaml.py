"""dvc.yaml, rendered whole from :mod:`plancast.catalog` and the code each stage imports.

:func:`render` writes the stages (each stage's deps are its script, every plancast module it imports,
directly or through other plancast modules, package ``__init__`` files included, and the artifacts it
reads; outs and metrics are what it writes, with the catalog's cache and persist flags; params are the
catalog's keys), the model artifacts and the plots. ``scripts/write_dvc_yaml.py`` writes it to dvc.yaml
and ``tests/test_pipeline_definition.py`` fails until the two agree.

A module of its own, not part of the catalog: every stage imports the catalog, so its file is a dep of
every stage; the renderer is imported by no stage, and a change to it reruns nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

from plancast.catalog import IMAGES, NETWORK_ARTIFACTS, PLOTS, RECOMMENDED_FORECAST, STAGES, ModelArtifact

SRC = Path(__file__).resolve().parents[1]  # the folder holding the plancast package
ROOT = SRC.parent  # the project: dvc.yaml's paths are relative to it

HEADER = """\
# plancast pipeline, written by `python scripts/write_dvc_yaml.py` from src/plancast/catalog.py (edit that;
# tests/test_pipeline_definition.py fails until the two agree). Each stage is a thin script over src/plancast
# (deps = script + the library code it imports + its inputs; outs; params). Params: src/plancast/params.py.
"""
RECOMMENDED_COMMENT = """\
  # The recommended forecast (what the planner gets: the route per delay chosen on validation) as stage
  # forecast writes it; plancast.serving.load_recommended(folder).forecast(daily) runs it without TensorFlow.
"""
NETWORKS_COMMENT = """\
  # One per network of params.yaml's `models` (named by plancast.catalog.model_artifact): which one to
  # serve is metrics/summary.json's network (lowest validation MAE), and that varies with the params.
  # Each is the folder train@<name> writes; plancast.models.store.load_model(folder) opens it.
  # A network not in train.models at a revision has no folder there. README: Serving a model.
"""
PLOTS_COMMENT = """\
  # Custom templates in .dvc/plots/ (vega-lite with DVC's <DVC_METRIC_*> anchors), drawn offline by the page
  # template that .dvc/config names (plots-template/page.html: vega inlined, no CDN).
"""


def _module_file(name: str) -> Path | None:
    base = SRC / name.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("plancast"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("plancast"))
    # importing a.b.c runs a/__init__.py and a/b/__init__.py too
    parents = {".".join(name.split(".")[:i]) for name in found for i in range(1, name.count(".") + 1)}
    return {name for name in found | parents if _module_file(name) is not None}


def library_closure(script: Path) -> set[str]:
    """Paths (from the project's root) of every plancast module ``script`` imports, directly or not, and the
    data a module reads beside it (``<module>_words.json``: the workbook's words)."""
    seen: set[str] = set()
    pending = _imported_modules(script)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        pending |= _imported_modules(_module_file(module))
    files = {_module_file(name) for name in seen}
    data = {file.with_name(f"{file.stem}_words.json") for file in files}  # a module's catalogue it reads
    return {path.relative_to(ROOT).as_posix() for path in files | {d for d in data if d.is_file()}}


def _stage_lines() -> list[str]:
    lines = ["stages:"]
    for spec in STAGES.values():
        deps = [spec.script, *sorted(library_closure(ROOT / spec.script))]
        deps += [a.dvc_path(bool(spec.foreach)) for a in spec.reads] + list(spec.external)
        ind = "      " if spec.foreach else "    "
        lines.append(f"  {spec.name}:")
        if spec.foreach:
            lines += [f"    foreach: ${{{spec.foreach}}}", "    do:", f"{ind}cmd: python {spec.script} ${{item}}"]
        else:
            lines.append(f"{ind}cmd: python {spec.script}")
        lines += [f"{ind}deps:", *(f"{ind}  - {d}" for d in deps)]
        if spec.params:
            lines += [f"{ind}params:", *(f"{ind}  - {p}" for p in spec.params)]
        for role, key in (("out", "outs"), ("metrics", "metrics")):
            written = [a for a in spec.writes if a.role == role]
            if written:
                lines.append(f"{ind}{key}:")
                for a in written:
                    options = ([] if a.cache else ["cache: false"]) + (["persist: true"] if a.persist else [])
                    lines.append(f"{ind}  - {a.dvc_path()}" + (":" if options else ""))
                    lines += [f"{ind}      {option}" for option in options]
        lines.append("")
    return lines[:-1]  # no blank line before the next section


def _artifact_lines() -> list[str]:
    lines = ["artifacts:", *RECOMMENDED_COMMENT.splitlines(), *_artifact(RECOMMENDED_FORECAST)]
    lines += NETWORKS_COMMENT.splitlines()
    for artifact in NETWORK_ARTIFACTS:
        lines += _artifact(artifact)
    return lines


def _artifact(artifact: ModelArtifact) -> list[str]:
    return [
        f"  {artifact.name}:",
        f"    path: {artifact.path}",
        f"    type: {artifact.type}",
        f"    desc: {artifact.desc}",
        f"    labels: [{', '.join(artifact.labels)}]",
    ]


def _plot_lines() -> list[str]:
    lines = ["plots:", *PLOTS_COMMENT.splitlines()]
    for plot in PLOTS:
        lines += [
            f"  - {plot.title}:",
            f"      template: {plot.template}",
            f"      x: {plot.x}",
            "      y:",
            f"        {plot.table.path}: {plot.y}",
            f"      x_label: {plot.x_label}",
            f"      y_label: {plot.y_label}",
        ]
    return lines + [f"  - {image.path}" for image in IMAGES]


def render() -> str:
    """The whole text of dvc.yaml: stages, model artifacts, plots."""
    return HEADER + "\n".join([*_stage_lines(), *_artifact_lines(), *_plot_lines()]) + "\n"
