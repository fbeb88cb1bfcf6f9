"""The one door to TensorFlow: set the environment that makes it deterministic, then import it.

Every module that builds, trains or runs networks imports TensorFlow and Keras through
:func:`import_tensorflow`, lazily inside its functions, so that importing ``plancast`` (or any stage that
does not train) never loads TensorFlow.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

_ENVIRONMENT = {
    # Quiet: C++ INFO and WARNING lines would bury the one-line-per-epoch progress.
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # oneDNN's fused kernels reorder float sums from run to run; identical weights files need them off.
    "TF_ENABLE_ONEDNN_OPTS": "0",
    # Keras 3 runs on whichever backend this names; ours is TensorFlow.
    "KERAS_BACKEND": "tensorflow",
}

_configured = False


def import_tensorflow(seed: int | None = None) -> tuple[ModuleType, Any]:
    """Return ``(tensorflow, keras)`` with deterministic ops and, given ``seed``, every random seed set.

    The environment variables only take effect before TensorFlow's first import, so they are set here,
    before it; if TensorFlow was already imported by someone else with oneDNN on, byte-identical
    results cannot be promised, and this raises rather than train silently non-reproducibly.
    With ``seed`` it (re)seeds Python, NumPy, TensorFlow and Keras' global seed generator; without,
    it leaves the seeds alone (for modules that only need the classes).
    """
    global _configured
    if not _configured:
        import sys

        if "tensorflow" in sys.modules and os.environ.get("TF_ENABLE_ONEDNN_OPTS") != "0":
            raise RuntimeError(
                "TensorFlow was imported before plancast.runtime.import_tensorflow; "
                "set TF_ENABLE_ONEDNN_OPTS=0 first or import it through plancast.runtime"
            )
        for name, value in _ENVIRONMENT.items():
            os.environ[name] = value
    import keras
    import tensorflow as tf

    if not _configured:
        tf.config.experimental.enable_op_determinism()
        # Each per-part network traces its own functions; TF's Python-side "retracing" warning about
        # that is expected here, and would repeat for every part.
        tf.get_logger().setLevel("ERROR")
        _configured = True
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return tf, keras
