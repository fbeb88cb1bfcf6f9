"""Replay a named parameter set as a DVC experiment, starting from the committed params.yaml.

Usage: python scripts/run_config.py configs/seed_a.yaml [extra `dvc exp run` arguments, e.g. -f]

Prints the exact `dvc exp run --temp` command, then runs it. The experiment runs in a temporary copy of
the repository, so the workspace (params.yaml, dvc.lock, outputs) is never changed: `dvc exp show` lists
the result, `dvc exp apply <name>` brings it into the workspace. Interrupted (Ctrl-C, `kill`) or failed,
it leaves nothing behind, and the same command can be run again.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from plancast.errors import PlancastError
from plancast.experiments import check_config, exp_run_args, read_config
from plancast.params import PARAMS_FILE

# DVC's own clean-up after SIGINT (removing its temporary copy) takes a few seconds; past this, stop it hard
GRACE_S = 60
# where `dvc exp run --temp` keeps its copy and the copy's status file while it runs (DVC 3.x)
STANDALONE = Path(".dvc/tmp/exps/standalone")
RUN_INFO = STANDALONE / "run"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def check_params_committed() -> None:
    # `dvc exp run --temp` copies uncommitted changes into its run: refusing them is what makes every
    # config start from the committed defaults (an earlier `dvc exp run` or `exp apply` leaves its values)
    if git("status", "--porcelain", "--", PARAMS_FILE).strip():
        raise PlancastError(
            f"{PARAMS_FILE}: has uncommitted changes, and a config starts from the committed one: "
            f"commit them, or `git checkout {PARAMS_FILE}` to drop them"
        )


def experiment_refs() -> set[str]:
    return set(git("for-each-ref", "--format=%(refname)", "refs/exps").split())


def entries(folder: Path) -> set[Path]:
    return set(folder.iterdir()) if folder.is_dir() else set()


def remove_residue(name: str, refs_before: set[str], dirs_before: set[Path]) -> list[str]:
    """Remove what an interrupted run of experiment ``name`` left: DVC's temporary copy and its status
    file (else `dvc exp show` lists a ghost "running" row), its exec refs and a half-made result ref."""
    removed = []
    for path in sorted(entries(STANDALONE) | entries(RUN_INFO)):
        if path not in dirs_before and path != RUN_INFO:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    for ref in sorted(experiment_refs() - refs_before):
        # only this run's: a queue worker may be adding other experiments' refs meanwhile
        if ref.startswith(("refs/exps/exec/", "refs/exps/temp")) or ref.rsplit("/", 1)[-1] == name:
            git("update-ref", "-d", ref)
            removed.append(ref)
    return removed


def signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just exited
        os.killpg(pid, signum)


def run(args: list[str]) -> tuple[int, int | None]:
    """Run `dvc exp run`; on SIGINT, SIGTERM or SIGHUP stop it the way DVC cleans up after (SIGINT).
    Returns its exit status and the signal that stopped us, if any."""
    received: list[int] = []
    started: list[subprocess.Popen] = []

    def forward(signum, _frame):
        if not received:
            received.append(signum)
            if started:
                signal_group(started[0].pid, signal.SIGINT)

    # Handlers first: a caught signal is reset to its default in the child, an ignored one stays ignored.
    # Started in the background by a shell (`nohup ... &`, a CI step), we inherit SIGINT ignored, and
    # dvc and the stage would ignore the SIGINT that stops them (a `kill` left training running to the end).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    # its own session: the signal goes to dvc and the stage it runs, once, and only through us
    process = subprocess.Popen(args, start_new_session=True)
    started.append(process)
    if received:  # stopped while starting
        signal_group(process.pid, signal.SIGINT)
    deadline = None
    while True:
        try:
            return process.wait(timeout=1), (received[0] if received else None)
        except subprocess.TimeoutExpired:
            if received and deadline is None:
                deadline = time.monotonic() + GRACE_S
            if deadline is not None and time.monotonic() > deadline:
                signal_group(process.pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    config = argv[1]
    try:
        if not Path("dvc.yaml").is_file():  # the paths below, and dvc, are relative to the project's root
            raise PlancastError("no dvc.yaml here: run it from the project's root")
        name, _ = read_config(config)
        check_params_committed()
        check_config(config, yaml.safe_load(Path(PARAMS_FILE).read_text(encoding="utf-8")))
        args = exp_run_args(config) + argv[2:]
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    refs_before, dirs_before = experiment_refs(), entries(STANDALONE) | entries(RUN_INFO)
    print("+ " + shlex.join(args), flush=True)
    status, signum = run(args)
    if status != 0 or signum is not None:
        removed = remove_residue(name, refs_before, dirs_before)
        if removed:
            print(f"run_config: removed what the stopped run left: {', '.join(removed)}", file=sys.stderr)
    if signum is not None:
        return 128 + signum
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
