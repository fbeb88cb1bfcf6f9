"""Networks: the hand-written cell, building, training, saving, loading and running them (Keras or ONNX).

Importing this package imports no TensorFlow; the functions that need it import it through
:mod:`plancast.runtime`.
"""
