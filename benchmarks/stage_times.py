"""Wall time and peak memory of each pipeline stage on the current params and data, in pipeline order.

Usage: python benchmarks/stage_times.py [stage ...] [--project DIR]   (default: every stage of dvc.yaml,
in the repository root)

Runs each stage's command as DVC would (``harness.run_stage``: a fresh Python process, so TensorFlow's
import is included where a stage needs it) and prints seconds and peak MiB per stage. Outputs are
rewritten with the same bytes, so `dvc status` stays clean afterwards. Run `dvc repro` first so every
input exists (or name a prefix: ``make_sample ingest daily_last`` needs only params.yaml).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml
from harness import ROOT, parser, run_stage


def stage_commands(project: Path) -> list[tuple[str, str, list[str]]]:
    """(name, stage script, arguments) of every stage of dvc.yaml, a foreach stage once per train.models."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    commands = []
    for name, stage in stages.items():
        items = params["train"]["models"] if "foreach" in stage else [None]
        for item in items:
            command = (stage["do"] if item else stage)["cmd"].replace("${item}", str(item))
            _, script, *args = shlex.split(command)  # python stages/<stage>.py [args]
            commands.append((f"{name}@{item}" if item else name, Path(script).stem, args))
    return commands


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("stages", nargs="*", help="stage names (train: every train@model)")
    arguments.add_argument("--project", type=Path, default=ROOT, help="the project folder the stages run in")
    args = arguments.parse_args()
    total = 0.0
    for name, script, extra in stage_commands(args.project):
        if args.stages and name not in args.stages and name.split("@")[0] not in args.stages:
            continue
        run = run_stage(args.project, script, *extra)
        total += run.seconds
        print(f"{name:<24} {run.seconds:7.1f} s {run.peak_mib:8.0f} MiB", flush=True)
    print(f"{'total':<24} {total:7.1f} s")


if __name__ == "__main__":
    main()
