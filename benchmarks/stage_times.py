"""Wall time of each pipeline stage on the current params and data, run in pipeline order.

Usage: python benchmarks/stage_times.py [stage ...]   (default: every stage of dvc.yaml)

Runs each stage's command exactly as DVC would (a fresh Python process, so TensorFlow's import is
included where a stage needs it) and prints seconds per stage. Outputs are rewritten with the same
bytes, so `dvc status` stays clean afterwards. Run `dvc repro` first so every input exists.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def stage_commands() -> list[tuple[str, str]]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    commands = []
    for name, stage in stages.items():
        if "foreach" in stage:
            for item in params["train"]["models"]:
                commands.append((f"{name}@{item}", stage["do"]["cmd"].replace("${item}", item)))
        else:
            commands.append((name, stage["cmd"]))
    return commands


def main() -> None:
    wanted = set(sys.argv[1:])
    rows = []
    for name, command in stage_commands():
        if wanted and name not in wanted and name.split("@")[0] not in wanted:
            continue
        start = time.perf_counter()
        result = subprocess.run(shlex.split(command), cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"{name} failed:\n{result.stderr}")
        rows.append((name, seconds))
        print(f"{name:<24} {seconds:7.1f} s", flush=True)
    print(f"{'total':<24} {sum(s for _, s in rows):7.1f} s")


if __name__ == "__main__":
    main()
