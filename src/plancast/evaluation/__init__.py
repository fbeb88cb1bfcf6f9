"""Scoring: baselines every network must beat, error metrics, and the evaluation of all models on the same windows."""
