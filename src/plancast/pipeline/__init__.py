"""The pipeline as one library call: ingest .. forecast in memory, over typed artifacts.

Each function is the work of the stage of the same name between reading its params and inputs and
writing its outputs; ``stages/<stage>.py`` is that function with the files around it, and a test, a
notebook or a benchmark runs any prefix in memory with other params (:func:`run`,
:func:`plancast.params.with_overrides`)::

    params = with_overrides(load_params(), {"window.lookback": 5})
    prepared = run(params, until="split_scale").prepared
    made = run(params, until="forecast")  # trains train.models in memory: made.evaluation, made.forecast

A stage reads its inputs back from files whose floats are rounded (correlation.csv to 6 digits), so a
selection that hangs on a tie below that rounding could differ in memory; none does on the sample.
"""

# Nothing is imported here: each stage script imports only its own module, so that DVC reruns a stage
# only when the library code it runs changes (dvc.yaml's deps follow every import).
