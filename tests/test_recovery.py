"""Restore after a killed run: only this project's processes are stopped, and the workspace is held to dvc.lock.

The fast tests drive real processes and real files; the ``e2e`` ones run the real ``dvc`` on a copy of
the session's first run (tests/conftest.py): a ``dvc repro`` killed with ``kill -9`` that leaves its
stage writing, and a corrupted object in DVC's cache that ``dvc status`` does not see.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from e2e_project import Project

from plancast.processes import _is_dvc, _runs_stage_script, project_processes, stop_project_processes
from plancast.recovery import clear_stage_lock, folder_md5, locked_outputs, tracked_outputs, workspace_md5

# Appends a line every 50 ms for a minute: a stage that is still writing.
WRITER = """
import time
from pathlib import Path

for step in range(1200):
    with Path("slow.log").open("a") as log:
        log.write(f"{step}\\n")
    time.sleep(0.05)
"""
IGNORES_SIGTERM = """
import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""
# A stage that started a helper process elsewhere (as a stage's Ray workers are).
SPAWNS = """
import subprocess
import sys

subprocess.run([sys.executable, "-c", "import time; time.sleep(60)"], cwd="/")
"""


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _stop(processes: list[subprocess.Popen | psutil.Process]) -> None:
    """End what a test started (a failed test may leave it running); psutil refuses a pid reused since."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            process.kill()
        if isinstance(process, subprocess.Popen):
            process.wait()


@pytest.fixture
def started() -> Iterator[list]:
    processes: list = []
    yield processes
    _stop(processes)


def _project_with_writer(root: Path) -> Path:
    (root / "stages").mkdir(parents=True)
    (root / "stages" / "slow.py").write_text(WRITER, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("cmdline", "dvc"),
    [
        (["dvc", "repro"], True),
        (["/home/me/plancast/.venv/bin/python", "/home/me/plancast/.venv/bin/dvc", "exp", "run"], True),
        (["python", "-m", "dvc", "repro", "train@lstm"], True),
        (["python", "-m", "plancast.recovery"], False),
        (["less", "dvc.yaml"], False),
    ],
)
def test_is_dvc_recognises_the_ways_dvc_is_started(cmdline, dvc):
    assert _is_dvc(cmdline) is dvc


def test_a_stage_script_is_a_py_file_in_the_projects_stages_folder(tmp_path):
    root = tmp_path / "project"
    assert _runs_stage_script(["python", "stages/train.py"], root, root)
    assert _runs_stage_script(["python", "../stages/train.py"], root / "data", root)
    assert not _runs_stage_script(["python", "stages/train.py"], tmp_path / "other", root)
    assert not _runs_stage_script(["python", "scripts/run_config.py"], root, root)


def test_only_this_projects_processes_are_stopped_and_each_is_named(tmp_path, started):
    project, other = _project_with_writer(tmp_path / "project"), _project_with_writer(tmp_path / "other")
    for folder in (project, other):
        (folder / "bin").mkdir()
        (folder / "bin" / "dvc").write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    (project / "stages" / "spawn.py").write_text(SPAWNS, encoding="utf-8")
    stage = subprocess.Popen([sys.executable, "stages/spawn.py"], cwd=project)
    dvc = subprocess.Popen([sys.executable, str(project / "bin" / "dvc"), "repro"], cwd=project / "stages")
    decoys = [subprocess.Popen([sys.executable, "stages/slow.py"], cwd=other)]
    decoys.append(subprocess.Popen([sys.executable, str(other / "bin" / "dvc"), "repro"], cwd=other))
    started += [stage, dvc, *decoys]
    _wait_for(lambda: psutil.Process(stage.pid).children())
    (helper,) = psutil.Process(stage.pid).children()
    started.append(helper)

    assert [p.pid for p in project_processes(project)] == sorted([stage.pid, dvc.pid, helper.pid])
    lines = stop_project_processes(project, grace_s=5)

    assert set(lines) == {
        f"stopped `python {project}/bin/dvc repro` (pid {dvc.pid}), still running in this project, with SIGTERM",
        f"stopped `python stages/spawn.py` (pid {stage.pid}), still running in this project, with SIGTERM",
        f"stopped `python -c import time; time.sleep(60)` (pid {helper.pid}), still running in this project, "
        "with SIGTERM",
    }
    assert stage.wait(timeout=5) == -signal.SIGTERM and dvc.wait(timeout=5) == -signal.SIGTERM
    assert all(decoy.poll() is None for decoy in decoys)  # the other checkout's processes run on
    assert project_processes(project) == []


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path, started):
    project = _project_with_writer(tmp_path / "project")
    (project / "stages" / "stubborn.py").write_text(IGNORES_SIGTERM, encoding="utf-8")
    stubborn = subprocess.Popen([sys.executable, "stages/stubborn.py"], cwd=project, stdout=subprocess.PIPE, text=True)
    started.append(stubborn)
    assert stubborn.stdout.readline() == "ready\n"
    lines = stop_project_processes(project, grace_s=0.3)
    assert lines == [
        f"stopped `python stages/stubborn.py` (pid {stubborn.pid}), still running in this project, "
        "with SIGKILL: it ignored SIGTERM"
    ]
    assert stubborn.wait(timeout=5) == -signal.SIGKILL


def test_clearing_dvcs_stage_lock_names_the_command_that_left_it(tmp_path):
    lock = tmp_path / ".dvc" / "tmp" / "rwlock"
    lock.parent.mkdir(parents=True)
    holder = {"pid": 4242, "cmd": "/home/me/.venv/lib/python3.11/site-packages/dvc/__main__.py repro"}
    lock.write_text(json.dumps({"read": {"/p/stages/train.py": [holder]}, "write": {"/p/models/lstm": holder}}))
    assert clear_stage_lock(tmp_path) == ["cleared DVC's stage lock left by `dvc repro` (pid 4242)"]
    assert not lock.exists()
    lock.write_text("{}")  # what every finished run leaves: removed without a word
    assert clear_stage_lock(tmp_path) == []
    assert not lock.exists()


def test_a_folders_md5_is_the_md5_of_dvcs_sorted_json_listing(tmp_path):
    files = {"b/weights.h5": "0" * 32, "a.json": "1" * 32}
    listing = [{"md5": "1" * 32, "relpath": "a.json"}, {"md5": "0" * 32, "relpath": "b/weights.h5"}]
    expected = hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"
    assert folder_md5(files, "md5") == expected
    assert folder_md5({}, "md5") == "d751713988987e9331980363e24189ce.dir"  # an empty folder, as dvc.lock has it


def test_locked_outputs_are_the_cached_ones_the_git_tracked_are_restored_by_git(tmp_path):
    lock = {
        "schema": "2.0",
        "stages": {
            "daily_last": {
                "cmd": "python stages/daily_last.py",
                "outs": [
                    {"path": "data/interim/daily.parquet", "hash": "md5", "md5": "a" * 32, "size": 1},
                    {"path": "metrics/daily_last.json", "hash": "md5", "md5": "b" * 32, "size": 1},
                ],
            },
            "train@lstm": {"outs": [{"path": "models/lstm", "md5": "c" * 32 + ".dir", "nfiles": 2}]},
        },
    }
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(lock), encoding="utf-8")
    outs = locked_outputs(tmp_path)
    assert [(o.stage, o.path, o.hash_name, o.md5, o.is_dir) for o in outs] == [
        ("daily_last", "data/interim/daily.parquet", "md5", "a" * 32, False),
        ("train@lstm", "models/lstm", "md5-dos2unix", "c" * 32 + ".dir", True),  # DVC 2's entry: no `hash`
    ]
    assert workspace_md5(tmp_path, outs[0]) is None


# --- the real dvc --------------------------------------------------------------------------------


@pytest.fixture
def project(first_run, tmp_path) -> Project:
    return first_run[0].copy_to(tmp_path / "project")


def _restore(project: Project) -> list[str]:
    return project.run(sys.executable, "-m", "plancast.recovery").stdout.splitlines()


def _locked_md5(project: Project, path: str) -> str:
    lock = yaml.safe_load((project.path / "dvc.lock").read_text(encoding="utf-8"))
    return next(o["md5"] for s in lock["stages"].values() for o in s.get("outs", []) if o["path"] == path)


@pytest.mark.e2e
def test_restore_of_an_intact_project_finds_every_output_equal_to_dvc_lock(project):
    outs = locked_outputs(project.path)
    assert {"models/lstm", "data/raw/plan_exports", "data/interim/ingest_cache"} <= {o.path for o in outs if o.is_dir}
    assert {o.path: workspace_md5(project.path, o) for o in outs} == {o.path: o.md5 for o in outs}  # DVC's values
    assert _restore(project) == [
        f"restored {len(tracked_outputs(project.path))} git-tracked output(s) and dvc.lock from the last commit",
        "restored the cached outputs with dvc checkout",
    ]


@pytest.mark.e2e
def test_restore_stops_the_stage_a_killed_dvc_left_writing_and_no_other_checkouts_run(project, tmp_path, started):
    """Issue 22, case 11."""
    _project_with_writer(tmp_path / "other")  # another checkout, running the same commands
    (tmp_path / "other" / "bin").mkdir()
    (tmp_path / "other" / "bin" / "dvc").write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    decoys = [
        subprocess.Popen([sys.executable, "stages/slow.py"], cwd=tmp_path / "other"),
        subprocess.Popen([sys.executable, "bin/dvc", "repro"], cwd=tmp_path / "other"),  # what `pgrep dvc repro` saw
    ]
    started += decoys
    (project.path / "stages" / "slow.py").write_text(WRITER, encoding="utf-8")
    dvc_yaml = project.path / "dvc.yaml"
    slow_stage = "stages:\n  slow:\n    cmd: python stages/slow.py\n    deps:\n      - stages/slow.py\n"
    dvc_yaml.write_text(dvc_yaml.read_text(encoding="utf-8").replace("stages:\n", slow_stage, 1), encoding="utf-8")
    project.commit("a stage that writes for a minute")
    log = project.path / "slow.log"

    run = subprocess.Popen([sys.executable, "-m", "dvc", "repro", "slow"], cwd=project.path, env=project.env)
    started.append(run)
    _wait_for(log.exists)
    # DVC runs the command through $SHELL: bash execs it, while /bin/sh (dash, where SHELL is unset) may stay as
    # its parent, so the stage is the python process among dvc's children
    children = psutil.Process(run.pid).children(recursive=True)
    started.extend(children)
    (stage,) = [child for child in children if Path(child.cmdline()[0]).name.startswith("python")]
    os.kill(run.pid, signal.SIGKILL)  # dvc alone, as `kill -9 <pid of dvc>` does
    run.wait(timeout=10)
    size = log.stat().st_size
    _wait_for(lambda: log.stat().st_size > size)  # the orphaned stage still writes

    lines = _restore(project)

    assert lines[:2] == [  # a `sh -c` wrapper ends with its command
        f"stopped `python stages/slow.py` (pid {stage.pid}), still running in this project, with SIGTERM",
        f"cleared DVC's stage lock left by `dvc repro slow` (pid {run.pid})",
    ]
    assert lines[-1] == "restored the cached outputs with dvc checkout"
    size = log.stat().st_size
    time.sleep(0.5)
    assert log.stat().st_size == size  # nothing writes after restore
    assert not psutil.pid_exists(stage.pid) or psutil.Process(stage.pid).status() == psutil.STATUS_ZOMBIE
    assert all(decoy.poll() is None for decoy in decoys)  # the other checkout's processes run on
    assert not (project.path / ".dvc" / "tmp" / "rwlock").exists()


def _flip_a_byte(path: Path) -> None:
    """Change one byte in place, keeping size, mode and mtime: what bit rot or a bad copy leaves, unseen by DVC."""
    before = path.stat()
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    path.chmod(before.st_mode)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.e2e
def test_restore_rebuilds_an_output_whose_cache_object_is_corrupted(project):
    """Issue 22, case 12: the corrupted cache object checked out into the workspace."""
    path = "data/interim/daily.parquet"
    md5 = _locked_md5(project, path)
    obj = project.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    _flip_a_byte(obj)
    (project.path / path).unlink()
    project.dvc("checkout", "--force")
    bad = _md5(project.path / path)
    assert bad != md5
    assert "up to date" in project.dvc("status").stdout  # DVC trusts its cache: the problem

    lines = _restore(project)

    # training_daily.parquet (the days up to train.until, here all of them) shares the object: both are named
    assert (
        f"removed .dvc/cache/files/md5/{md5[:2]}/{md5[2:]} from DVC's cache: its copy of {path} was corrupted "
        f"(md5 {bad})"
    ) in lines
    assert sum(line.startswith("daily_last: training table up to") for line in lines) == 1  # the stage reruns once
    assert (
        f"rebuilt {path} with `dvc repro --single-item daily_last` (its md5 {bad} is not dvc.lock's {md5} and "
        "DVC's cache held no good copy)"
    ) in lines
    assert _md5(project.path / path) == md5 == _md5(obj)
    assert "up to date" in project.dvc("status").stdout
    assert project.run("git", "status", "--porcelain").stdout == ""


@pytest.mark.e2e
def test_restore_checks_out_again_the_outputs_whose_workspace_copy_differs(project):
    """Issue 22, case 12: good cache, damaged workspace copies (a file and a file in a model folder)."""
    windows, manifest = project.path / "data/windows/windows.npz", project.path / "models/lstm/manifest.json"
    expected = {windows: _md5(windows), manifest: _md5(manifest)}
    assert "up to date" in project.dvc("status").stdout  # DVC records each file's hash by inode, mtime and size
    _flip_a_byte(windows)
    _flip_a_byte(manifest)
    bad = _md5(windows)
    assert "up to date" in project.dvc("status").stdout

    lines = _restore(project)

    assert lines[-2:] == [
        f"re-checked out data/windows/windows.npz from DVC's cache: its md5 {bad} is not dvc.lock's "
        f"{_locked_md5(project, 'data/windows/windows.npz')}",
        "re-checked out models/lstm from DVC's cache: manifest.json did not match dvc.lock",
    ]
    assert {path: _md5(path) for path in expected} == expected
    assert "up to date" in project.dvc("status").stdout
    assert project.run("git", "status", "--porcelain").stdout == ""
