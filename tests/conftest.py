"""Fixtures shared by the end-to-end modules."""

from __future__ import annotations

import pytest
from e2e_project import Morning, Project, morning_project


@pytest.fixture(scope="session")
def first_run(tmp_path_factory) -> tuple[Project, set[str]]:
    """The tiny project after its first `dvc repro`, committed, and the stages that run ran.

    Made once per session; every e2e module works on its own copy (``Project.copy_to``), never on this one.
    """
    project = Project.create(tmp_path_factory.mktemp("plancast_first_run") / "project")
    ran = project.repro()
    project.commit("first run")
    return project, ran


@pytest.fixture(scope="session")
def morning_run(tmp_path_factory) -> Morning:
    """The morning project (daily exports, the last one held back) after its first `dvc repro`, committed.

    Made once per session; each module works on its own copy (``Morning.copy_to``).
    """
    return morning_project(tmp_path_factory.mktemp("plancast_morning") / "project")
