"""This project's own processes, found and stopped: what restore (:mod:`plancast.recovery`) does first.

``kill -9`` of ``dvc`` alone leaves its stage (``python stages/<stage>.py``) running and writing, and it
would overwrite what restore puts back.

**Which processes are this project's own**: those whose working folder is the project or a
folder inside it (DVC runs every stage there; ``dvc exp run --temp`` runs in ``.dvc/tmp/exps/``) and
whose command is ``dvc`` or one of the project's stage scripts (``stages/*.py``), plus everything they
started (a stage's Ray workers). The same command run from another checkout has another working
folder and is left alone. They are **stopped, not waited for**: the user asked to restore because the
run was given up, and a training stage may run for hours. Each gets SIGTERM, then SIGKILL after
:data:`STOP_GRACE_S` seconds, and restore says so in one line per process. One that outlives SIGKILL
(stuck in the kernel) stops restore with an error and DVC's lock is kept.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path

import psutil  # DVC's own dependency: it checks the pids in its rwlock with it

from plancast.errors import PlancastError

STOP_GRACE_S = 5.0  # seconds a stopped process gets after SIGTERM (Keras and Ray shut down in less)
_POLL_S = 0.05


class RecoveryError(PlancastError):
    """Restore cannot finish safely (a process of the project that will not stop)."""


@dataclass(frozen=True)
class ProjectProcess:
    """A process that works in this project: a ``dvc`` command, a stage script, or one they started."""

    process: psutil.Process
    command: str  # its command line, as the user would have typed it

    @property
    def pid(self) -> int:
        return self.process.pid


def _is_dvc(cmdline: list[str]) -> bool:
    """``dvc …``, ``python /path/bin/dvc …`` (the console script) or ``python -m dvc …``."""
    if any(Path(arg).name == "dvc" for arg in cmdline[:2]):
        return True
    return any(flag == "-m" and module == "dvc" for flag, module in itertools.pairwise(cmdline))


def _runs_stage_script(cmdline: list[str], cwd: Path, root: Path) -> bool:
    """A stage's command (``python stages/<stage>.py``): a ``.py`` argument in a ``stages`` folder of ``root``."""
    for arg in cmdline[1:]:
        if arg.endswith(".py"):
            script = (cwd / arg).resolve()
            if script.parent.name == "stages" and script.is_relative_to(root):
                return True
    return False


def project_processes(root: Path) -> list[ProjectProcess]:
    """This project's ``dvc`` and stage processes still running, and every process they started.

    Only processes whose working folder is ``root`` or inside it count: the same command in another
    checkout is another project's. Zombies (already dead, waiting to be reaped) write nothing and are skipped.
    """
    root = root.resolve()
    own = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    found: dict[int, ProjectProcess] = {}
    for process in psutil.process_iter(["cmdline", "cwd", "status"]):
        cmdline, cwd = process.info["cmdline"], process.info["cwd"]
        if process.pid in own or not cmdline or not cwd or process.info["status"] == psutil.STATUS_ZOMBIE:
            continue  # cwd is None where we may not read it: another user's process, which we could not stop
        cwd = Path(cwd)
        if not cwd.is_relative_to(root) or not (_is_dvc(cmdline) or _runs_stage_script(cmdline, cwd, root)):
            continue
        try:
            started = process.children(recursive=True)
        except psutil.Error:
            continue  # it ended meanwhile
        for member in (process, *started):
            if member.pid not in own:
                found.setdefault(member.pid, ProjectProcess(member, _command(member)))
    return sorted(found.values(), key=lambda p: p.pid)


def _command(process: psutil.Process) -> str:
    try:
        cmdline = process.cmdline()
    except psutil.Error:
        return "?"
    if cmdline and Path(cmdline[0]).name.startswith("python") and len(cmdline) > 1:
        cmdline = ["python", *cmdline[1:]]  # the interpreter's full path says nothing useful
    elif cmdline:
        cmdline = [Path(cmdline[0]).name, *cmdline[1:]]
    return " ".join(cmdline)


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal(processes: list[ProjectProcess], kill: bool) -> None:
    for member in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.process.kill() if kill else member.process.terminate()


def _wait(processes: list[ProjectProcess], seconds: float) -> list[ProjectProcess]:
    """Those still running after ``seconds`` (orphans are reaped by init, so poll rather than ``wait``)."""
    deadline = time.monotonic() + seconds
    alive = [p for p in processes if _running(p.process)]
    while alive and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        alive = [p for p in alive if _running(p.process)]
    return alive


def stop_project_processes(root: Path, grace_s: float = STOP_GRACE_S) -> list[str]:
    """Stop this project's processes: SIGTERM, then SIGKILL after ``grace_s``; one line per process stopped."""
    processes = project_processes(root)
    if not processes:
        return []
    _signal(processes, kill=False)
    killed = _wait(processes, grace_s)
    _signal(killed, kill=True)
    stuck = _wait(killed, grace_s)
    if stuck:
        names = ", ".join(f"pid {p.pid} (`{p.command}`)" for p in stuck)
        raise RecoveryError(f"{names} still running after SIGKILL; DVC's lock is kept: stop it, then restore again")
    forced = {p.pid for p in killed}
    how = {p.pid: "SIGKILL: it ignored SIGTERM" if p.pid in forced else "SIGTERM" for p in processes}
    return [f"stopped `{p.command}` (pid {p.pid}), still running in this project, with {how[p.pid]}" for p in processes]
