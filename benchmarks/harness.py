"""What the benchmarks share: their argument parser, the sample through the data stages in memory
(``plancast.pipeline.run``), a stage run as DVC runs it (wall time, peak memory), and warm timings.

A benchmark is params overrides -> these calls -> print, run as ``python benchmarks/<name>.py`` (Python
puts this folder on the path); ``tests/test_benchmarks.py`` runs each at its smallest size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plancast.params import Params, with_overrides
from plancast.params_sections import SampleParams
from plancast.pipeline import run as pipeline
from plancast.pipeline.run import Artifacts

ROOT = Path(__file__).resolve().parents[1]

# Forks, execs the stage, and writes the stage process's own peak RSS (KiB) last on stderr: Linux carries
# the exec-ing process's resident set into ``ru_maxrss``, so spawning from the (big) benchmark would not do.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\npeak_kib {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser described by the first line of the benchmark's docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def seconds(call: Callable[[], object]) -> float:
    """Wall-clock seconds of one ``call()``."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def warm_median(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """(first call, median of ``runs`` later calls), in seconds."""
    first = seconds(call)
    return first, statistics.median(seconds(call) for _ in range(runs))


@dataclass(frozen=True)
class StageRun:
    stage: str
    seconds: float
    peak_mib: float


def run_stage(folder: Path, stage: str, *args: str) -> StageRun:
    """``stages/<stage>.py [args]`` run in the project ``folder`` as DVC runs it, a fresh process with this
    checkout's library: its wall time and its own peak resident memory. Exits with its output on failure."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PLANCAST_TRACE", None)
    env.pop("PLANCAST_PARAMS", None)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, str(ROOT / "stages" / f"{stage}.py"), *args],
        cwd=folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{stage} in {folder} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    peak_kib = int(result.stderr.rsplit("peak_kib ", 1)[1])
    return StageRun(" ".join((stage, *args)), wall, peak_kib / 1024)


def prepare(params: Params, sample: SampleParams) -> Artifacts:
    """Make the sample ``sample`` and run ingest .. split_scale on it with ``params`` in memory, training on
    every day of it (``train.until`` empty: params.yaml's cut is a day of the bundled sample)."""
    from plancast.data.sample import plan_snapshots
    from plancast.data.sample_files import write_plan_xls

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xls"
        write_plan_xls(plan_snapshots(sample), path)
        ingested = pipeline.ingest(params.ingest.model_copy(update={"source": str(path)}), params.daily, folder)
    return pipeline.run(with_overrides(params, {"train.until": None}), until="split_scale", ingested=ingested)
