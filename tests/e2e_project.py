"""A copy of this project in a temporary git repo, driven by the real `dvc` command.

Used by the end-to-end tests: the copy holds every file git would commit (tracked, plus untracked
files git does not ignore), a tiny params.yaml, a fresh git history and no DVC cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Small enough to run the whole pipeline in about a minute on two cores.
TINY_OVERRIDES = {
    "sample.parts": 3,
    "sample.days": 45,
    "window.lookback": 5,
    "window.delays": [1, 2],
    "train.until": None,  # the tiny sample's last day (params.yaml's cut is the bundled sample's)
    "train.models": ["lstm", "hand_lstm"],
    "models.lstm.layers": [{"type": "lstm", "units": 4}],
    "models.lstm.epochs": 3,
    "models.lstm.batch_size": 16,
    "models.hand_lstm.layers": [
        {"type": "hand_lstm", "units": 4, "activation": "relu", "dropout": 0.2, "return_sequences": True},
        {"type": "hand_lstm", "units": 4, "activation": "relu"},
    ],
    "models.hand_lstm.epochs": 3,
    "models.hand_lstm.batch_size": 16,
}


def set_dotted(tree: dict, dotted: str, value: object) -> None:
    *parents, leaf = dotted.split(".")
    for key in parents:
        tree = tree[key]
    tree[leaf] = value


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    return [name for name in listed if name and (ROOT / name).is_file()]


class Project:
    """A temporary copy of the project with helpers to run git and dvc in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(path / "src"),  # the copy's library, not the editable install's
            "DVC_NO_ANALYTICS": "1",
            "PLANCAST_TRACE": str(path.parent / f"{path.name}-trace"),  # what each stage read and wrote
            "GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@plancast.invalid",
            "GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@plancast.invalid",
        }  # fmt: skip

    @classmethod
    def create(cls, path: Path, overrides: dict | None = None) -> Project:
        for name in project_files():
            if name == "dvc.lock" or name.startswith(("metrics/", "plots/", "data/reports/", "data/monitor/")):
                continue  # start from no results, as a user's first run would
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        project = cls(path)
        project.set_params({**TINY_OVERRIDES, **(overrides or {})})
        project.run("git", "init", "-q", "-b", "main")
        project.commit("initial")
        return project

    def copy_to(self, path: Path) -> Project:
        """An independent copy at ``path``: work tree, git history, DVC cache and what the stages traced.

        The e2e modules start from one shared first run (tests/conftest.py) instead of each paying
        for its own; git and DVC keep no absolute path of the project, so the copy works on its own.
        """
        shutil.copytree(self.path, path, symlinks=True)
        copy = Project(path)
        if self.trace.is_dir():
            shutil.copytree(self.trace, copy.trace)
        return copy

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(args, cwd=self.path, env=self.env, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(str(BIN / "dvc"), *args, check=check)

    def repro(self, *args: str) -> set[str]:
        """Run `dvc repro` and return the names of the stages that actually ran."""
        output = self.dvc("repro", *args).stdout
        return set(re.findall(r"Running stage '([^']+)'", output))

    def params(self) -> dict:
        return yaml.safe_load((self.path / "params.yaml").read_text(encoding="utf-8"))

    def set_params(self, overrides: dict) -> None:
        # DVC's own round-trip writer (the one `dvc exp run -S` uses) keeps the comments and the block
        # style, so the copy's params.yaml diffs line by line as the real one does
        from dvc.utils.serialize import modify_yaml

        with modify_yaml(self.path / "params.yaml") as params:
            for dotted, value in overrides.items():
                set_dotted(params, dotted, value)

    @property
    def trace(self) -> Path:
        return Path(self.env["PLANCAST_TRACE"])

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message, "--allow-empty")


EXPORTS = "data/raw/exports"  # the user's export folder in the morning project, outside any stage's outputs


@dataclass(frozen=True)
class Morning:
    """A project as a plant runs it: daily export files, the models trained up to a cut before the last one."""

    project: Project
    days: list[pd.Timestamp]  # the sample's working days, one export file each
    new: Path  # the last day's file, held back

    def copy_to(self, path: Path) -> Morning:
        copy = self.project.copy_to(path)
        return Morning(copy, self.days, copy.path / self.new.relative_to(self.project.path))

    def deliver(self) -> None:
        """The planning system writes the held-back day's export into the user's folder."""
        shutil.copy2(self.new, self.project.path / EXPORTS / self.new.name)


def morning_project(path: Path) -> Morning:
    """The tiny sample as the planning system delivers it (``sample.layout: daily_files``: one CSV a working
    day) copied into the user's export folder but for its last day, trained up to three working days before
    the last day copied (one small network, one tabular model, one fold), run and committed."""
    project = Project.create(
        path,
        {
            "sample.layout": "daily_files",
            "ingest.source": EXPORTS,
            "ingest.pattern": "*.csv",
            "train.models": ["lstm"],
            "models.lstm.epochs": 2,
            "evaluate.tabular": ["plan_linear"],
            "evaluate.folds": 1,
        },
    )
    project.dvc("repro", "make_sample")
    files = sorted((project.path / "data/raw/plan_exports").glob("*.csv"))
    (project.path / EXPORTS).mkdir(parents=True)
    for file in files[:-1]:
        shutil.copy2(file, project.path / EXPORTS / file.name)
    days = [pd.Timestamp(file.stem) for file in files]
    project.set_params({"train.until": f"{days[-5]:%Y-%m-%d}"})  # three working days before days[-2]
    project.repro()
    project.commit("trained up to the cut")
    return Morning(project, days, files[-1])
