"""From the daily table to model inputs: horizon correlation, feature choice, windows, split and scaling.

Pure NumPy / pandas transforms; nothing here imports TensorFlow.
"""
