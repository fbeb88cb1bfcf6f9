"""dvc.yaml stays exact: every stage depends on its script and on every library module it imports."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "plancast"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("plancast"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("plancast"))
    return {name for name in found if _module_path(name).is_file()}


def _module_path(module: str) -> Path:
    """``plancast.data.ingest`` -> ``src/plancast/data/ingest.py`` (absolute)."""
    return PACKAGE / (module.removeprefix("plancast.").replace(".", "/") + ".py")


def library_closure(script: Path) -> set[str]:
    """Paths of every plancast module ``script`` imports, directly or through other plancast modules."""
    seen: set[str] = set()
    pending = _imported_modules(script)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        pending |= _imported_modules(_module_path(module))
    return {_module_path(name).relative_to(ROOT).as_posix() for name in seen}


def _stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def _deps(stage: dict) -> set[str]:
    body = stage.get("do", stage)
    return {dep if isinstance(dep, str) else next(iter(dep)) for dep in body.get("deps", [])}


def test_every_stage_depends_on_the_library_code_it_runs():
    for name, stage in _stages().items():
        body = stage.get("do", stage)
        script = body["cmd"].split()[1]
        needed = {script} | library_closure(ROOT / script)
        missing = needed - _deps(stage)
        assert not missing, f"dvc.yaml stage {name} lacks deps {sorted(missing)}"


def test_no_stage_lists_library_code_it_does_not_run():
    for name, stage in _stages().items():
        body = stage.get("do", stage)
        script = body["cmd"].split()[1]
        listed = {dep for dep in _deps(stage) if dep.startswith("src/")}
        extra = listed - library_closure(ROOT / script)
        assert not extra, f"dvc.yaml stage {name} lists {sorted(extra)} but never imports them"


def test_loss_plots_cover_every_declared_model():
    definition = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    plotted = set()
    for entry in definition["plots"]:
        if isinstance(entry, dict):
            (props,) = entry.values()
            plotted |= {path.split("/")[2] for path in props.get("y", {}) if path.startswith("dvclive/train/")}
    assert plotted == set(params["models"])
