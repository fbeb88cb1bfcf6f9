"""The common edge of every stage script: load params, run, turn user errors into one line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from plancast.errors import PlancastError
from plancast.params import PARAMS_FILE, Params, load_params

EXIT_USER_ERROR = 2


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
