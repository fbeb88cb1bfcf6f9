"""Per-part training of many tiny parts: local (one process) against Ray with N workers, and Ray's cost per task.

Run from the repository root (each backend in its own fresh process, so each pays TensorFlow's import once
per process it trains in, as a DVC stage would)::

    nice -n 10 python benchmarks/ray_train.py [--parts 200] [--workers 2] [--epochs 3]

Every part has 40 training and 10 validation windows of (10 days, 4 features) and gets an LSTM(4) ->
Dense(3), batch 16, ``--epochs`` epochs, early stopping patience 2: about the smallest per-part
network the pipeline trains. Prints seconds for local and for Ray (Ray's start included), the
per-part time, and Ray's own cost per task: ``--parts`` tasks that only receive the same windows and
return, on the running Ray, divided by the tasks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np
from harness import ROOT, parser

LOOKBACK, FEATURES, DELAYS, TRAIN, VAL = 10, 4, 3, 40, 10


def splits(parts: int):
    from plancast.features.splits import Split, Splits

    rng = np.random.default_rng(0)
    made = {}
    names: list[str] = []
    for split, count in (("train", TRAIN), ("val", VAL)):
        inputs = rng.normal(size=(parts * count, LOOKBACK, FEATURES)).astype("float32")
        targets = (inputs[:, -1, :1] + 0.1 * rng.normal(size=(parts * count, DELAYS))).astype("float32")
        index = np.arange(len(names), len(names) + parts * count, dtype=np.int64)
        names += [f"Part {p}" for p in range(parts) for _ in range(count)]
        made[split] = Split(inputs, targets, index)
    empty = Split(made["val"].inputs[:0], made["val"].targets[:0], np.empty(0, np.int64))
    return Splits(made["train"], made["val"], empty), np.array(names)


def train(backend: str, parts: int, workers: int, epochs: int) -> None:
    """One backend, in this process: prints the seconds of train_model (and of Ray's start)."""
    from plancast.models.training import train_model
    from plancast.params_sections import ModelSpec

    spec = ModelSpec.model_validate(
        {"layers": [{"type": "lstm", "units": 4}], "epochs": epochs, "batch_size": 16, "patience": 2}
    )
    data, labels = splits(parts)
    start = time.perf_counter()
    if backend == "ray":
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    ray_start = time.perf_counter() - start
    result = train_model("bench", spec, data, labels, "per_part", 42, backend=backend)
    seconds = time.perf_counter() - start
    print(f"{backend}: {seconds:.1f} s for {len(result.runs)} networks ({ray_start:.1f} s of it starting Ray)")
    if backend == "ray":
        overhead(data, parts)


def overhead(data, parts: int) -> None:
    """Ray's round trip per task carrying one part's windows, on the Ray already running (warm workers)."""
    import ray

    @ray.remote(num_cpus=1)
    def nothing(*arrays: np.ndarray) -> int:
        return len(arrays)

    per_part = [a[: TRAIN if a.shape[0] == parts * TRAIN else VAL] for a in (data.train.inputs, data.train.targets)]
    ray.get([nothing.remote(*per_part) for _ in range(20)])  # workers up
    start = time.perf_counter()
    ray.get([nothing.remote(*per_part) for _ in range(parts)])
    print(f"ray overhead: {1000 * (time.perf_counter() - start) / parts:.1f} ms per task ({parts} empty tasks)")


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--parts", type=int, default=200)
    arguments.add_argument("--workers", type=int, default=2)
    arguments.add_argument("--epochs", type=int, default=3)
    arguments.add_argument("--backend", choices=["local", "ray"], help=argparse.SUPPRESS)  # one child's run
    args = arguments.parse_args()
    if args.backend:
        train(args.backend, args.parts, args.workers, args.epochs)
        return
    for backend in ("local", "ray"):
        command = [sys.executable, __file__, "--backend", backend, "--parts", str(args.parts)]
        command += ["--workers", str(args.workers), "--epochs", str(args.epochs)]
        subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
