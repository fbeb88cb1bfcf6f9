"""Replay a named parameter set as a DVC experiment.

Usage: python scripts/run_config.py configs/seed_a.yaml [extra `dvc exp run` arguments]

Prints the exact `dvc exp run` command, then runs it; `dvc exp show` lists the result beside the others.
"""

import shlex
import subprocess
import sys

from plancast.errors import PlancastError
from plancast.experiments import exp_run_args

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2])
    try:
        args = exp_run_args(sys.argv[1]) + sys.argv[2:]
    except PlancastError as exc:
        sys.exit(f"error: {exc}")
    print("+ " + shlex.join(args), flush=True)
    sys.exit(subprocess.call(args))
