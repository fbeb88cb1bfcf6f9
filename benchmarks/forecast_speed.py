"""Warm timings of forecasts: the pipeline's trained models, and a 50-step recursive Seed A forecast.

``--trained``: after ``dvc repro``, the direct forecast of every part by each model of ``train.models``
(what stage forecast runs; timings live here, not in outputs). ``--served DIR EXPORT...``: ``plancast serve
--model DIR`` on localhost, the time of ``POST /forecast`` of the export files (JSON), over real HTTP. Without
either: an untrained LSTM(30), lookback 30, recursive, on each engine.

Engines: Keras ``predict`` once per step (the notebook's way; a few steps, extrapolated), the
in-graph loop as a ``tf.function`` with and without XLA (what ``forecast.engine: keras`` runs: XLA),
and ONNX Runtime one session run per step (``forecast.engine: onnx``). Each figure is the median of
several warm runs; first-call costs (tracing, compiling, exporting) are printed beside them.

    python benchmarks/forecast_speed.py [--steps 50] [--runs 15] [--parts 1]
    python benchmarks/forecast_speed.py --trained [--engine keras|onnx]
    python benchmarks/forecast_speed.py --served serving/recommended data/raw/plan_sample.xls [--runs 5]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from harness import ROOT, parser, seconds, warm_median

from plancast.models.engines import KerasNetwork, Recursion, recursive_graph, step_by_step
from plancast.models.onnx import OnnxNetwork, export_onnx
from plancast.models.store import load_model
from plancast.runtime import import_tensorflow

LOOKBACK, UNITS = 30, 30


def _predict_per_step(model, window: np.ndarray, steps: int) -> np.ndarray:
    window = window.astype(np.float32).copy()
    out = []
    for _ in range(steps):
        predicted = model.predict(window, verbose=0)[:, 0]
        out.append(predicted)
        window = np.concatenate([window[:, 1:], predicted[:, None, None]], axis=1)
    return np.stack(out, axis=1)


def trained(runs: int, engine: str) -> None:
    """Median warm wall time of each trained model's direct forecast of all parts (stage forecast's work)."""
    import pandas as pd
    import yaml

    from plancast import catalog
    from plancast.forecasting import direct_forecast

    import_tensorflow()
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    daily = pd.read_parquet(catalog.DAILY.path)
    print(f"direct forecast of every part, {engine}; median of {runs} warm runs")
    for name in params["train"]["models"]:
        model = load_model(catalog.MODEL.at(name), engine)
        first, warm = warm_median(lambda model=model, name=name: direct_forecast(daily, name, model), runs)
        parts = len(model.manifest.parts)
        print(f"  {name:<14} {1000 * warm:8.2f} ms for {parts} parts  (first call {1000 * first:.0f} ms)")


def served(folder: str, exports: list[str], runs: int) -> None:
    """Median warm wall time of ``POST /forecast`` of ``exports`` to ``plancast serve --model folder``."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    command = [sys.executable, "-m", "plancast.cli", "serve", "--model", folder, "--port", port]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # uvicorn's log
    service = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, **quiet)
    files = [("files", (Path(name).name, Path(name).read_bytes())) for name in exports]
    size = sum(len(data) for _, (_, data) in files) / 2**20
    retrying = httpx.HTTPTransport(retries=8)  # connection refused until the service listens
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600, transport=retrying) as client:
            client.get("/model").raise_for_status()
            first, warm = warm_median(lambda: client.post("/forecast", files=files).raise_for_status(), runs)
            parts = len({row["part"] for row in client.post("/forecast", files=files).json()["rows"]})
        print(f"POST /forecast, {len(files)} export file(s), {size:.1f} MiB -> {parts} parts forecast: "
              f"{warm:.2f} s warm (median of {runs}; first call {first:.2f} s)")  # fmt: skip
    finally:
        service.terminate()
        service.wait()


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--trained", action="store_true", help="time the pipeline's trained models")
    arguments.add_argument("--engine", default="keras", choices=["keras", "onnx"])
    arguments.add_argument("--served", nargs="+", metavar="DIR EXPORT", help="time POST /forecast to DIR's service")
    arguments.add_argument("--steps", type=int, default=50)
    arguments.add_argument("--runs", type=int, default=15)
    arguments.add_argument("--parts", type=int, default=1)
    arguments.add_argument("--keras-steps", type=int, default=5, help="steps timed for predict-per-step")
    args = arguments.parse_args()
    if args.trained:
        trained(args.runs, args.engine)
        return
    if args.served:
        served(args.served[0], args.served[1:], args.runs)
        return

    tf, keras = import_tensorflow(2022)
    model = keras.Sequential([keras.Input((LOOKBACK, 1)), keras.layers.LSTM(UNITS), keras.layers.Dense(1)])
    window = np.random.default_rng(0).random((args.parts, LOOKBACK, 1)).astype(np.float32)
    gain, shift = np.ones(args.parts, np.float32), np.zeros(args.parts, np.float32)
    print(
        f"{args.steps}-step recursive forecast, LSTM({UNITS}), lookback {LOOKBACK}, {args.parts} part(s); "
        f"median of {args.runs} warm runs"
    )

    first, per_call = warm_median(lambda: _predict_per_step(model, window, args.keras_steps), max(3, args.runs // 3))
    per_step = per_call / args.keras_steps
    print(
        f"  keras predict per step   {1000 * per_step * args.steps:9.1f} ms  "
        f"({1000 * per_step:.1f} ms/step over {args.keras_steps} steps, x{args.steps}; "
        f"first call {first:.2f} s)"
    )

    tensors = (tf.constant(window), tf.constant(gain), tf.constant(shift), tf.constant(args.steps))
    plain = recursive_graph(model, jit_compile=False)
    first, warm = warm_median(lambda: plain(*tensors).numpy(), args.runs)
    print(f"  tf.function, no XLA      {1000 * warm:9.2f} ms  (first call, tracing: {first:.2f} s)")

    network, recursion = KerasNetwork(model), Recursion(window, gain, shift, args.steps)
    first, warm = warm_median(lambda: network.predict_recursive(recursion), args.runs)
    print(f"  tf.function, XLA (keras) {1000 * warm:9.2f} ms  (first call, tracing + compiling: {first:.2f} s)")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lstm.onnx"
        export = seconds(lambda: export_onnx(model, path))
        onnx_network = OnnxNetwork(path)
    first, warm = warm_median(lambda: step_by_step(onnx_network, recursion), args.runs)
    print(
        f"  onnx runtime (onnx)      {1000 * warm:9.2f} ms  "
        f"({1000 * warm / args.steps:.3f} ms/step; export {export:.2f} s, first call {1000 * first:.1f} ms)"
    )


if __name__ == "__main__":
    main()
