"""The common edge of every stage script: load params, run, turn user errors into one line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from plancast.errors import InputDataError, PlancastError
from plancast.params import PARAMS_FILE, Params, load_params

EXIT_USER_ERROR = 2


def require_inputs(producers: dict[str | Path, str]) -> None:
    """Stop with one line if an input file is missing, naming the stage that makes it.

    ``producers`` maps each input path to the stage (in dvc.yaml) that writes it.
    """
    for path, stage in producers.items():
        if not Path(path).is_file():
            raise InputDataError(f"{path}: not found (run `dvc repro {stage}` first)")


def run_stage(body: Callable[[Params], None], params_path: str | Path | None = None) -> None:
    """Validate ``params.yaml`` and call ``body(params)``.

    A :class:`PlancastError` prints ``error: <one line>`` to stderr and exits with status 2; other
    exceptions propagate with their traceback, since they are bugs.
    """
    path = params_path or os.environ.get("PLANCAST_PARAMS", PARAMS_FILE)
    try:
        body(load_params(path))
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
