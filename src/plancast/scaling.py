"""Split windows in time order per part, and scale each part by what its training windows alone show.

Fitting on training windows only keeps validation and test values from leaking into the inputs (Seed B
did the same). Each part gets its own scaler because parts differ by orders of magnitude (Seed B: Part 94
around 40, Part 95 around 250); ``scaled = (raw - offset) / scale``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

SPLITS = ("train", "val", "test")
Kind = Literal["standard", "minmax"]


def _split_point(fraction: float, count: int) -> int:
    # int(f * n), but (0.7 + 0.1) * 10 is 7.999999999999999 in floats; the 1e-9 keeps it at 8.
    return min(count, math.floor(fraction * count + 1e-9))


def split_by_time(
    part_labels: np.ndarray, fractions: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window indices of train, validation and test: per part, in the given (time) order.

    ``part_labels``: (windows,) part of each window, windows of a part in time order. With n windows a
    part gives its first ``int(f_train * n)`` to train, those up to ``int((f_train + f_val) * n)`` to
    validation and the rest to test (Seed B: 44 -> 30 / 5 / 9). Returns three sorted int64 arrays.
    """
    f_train, f_val = float(fractions[0]), float(fractions[1])
    picked: dict[str, list[np.ndarray]] = {name: [] for name in SPLITS}
    labels = np.asarray(part_labels)
    for part in np.unique(labels):
        index = np.flatnonzero(labels == part)
        train_end = _split_point(f_train, index.size)
        val_end = max(train_end, _split_point(f_train + f_val, index.size))
        picked["train"].append(index[:train_end])
        picked["val"].append(index[train_end:val_end])
        picked["test"].append(index[val_end:])
    train, val, test = (
        np.sort(np.concatenate(picked[name])).astype(np.int64) if picked[name] else np.empty(0, np.int64)
        for name in SPLITS
    )
    return train, val, test


def _offset_scale(values: np.ndarray, kind: Kind, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale along ``axis``: mean/std (ddof 0) or min/(max - min); a zero spread gives 1."""
    if kind == "standard":
        offset, scale = values.mean(axis=axis), values.std(axis=axis)
    else:
        offset = values.min(axis=axis)
        scale = values.max(axis=axis) - offset
    spread = np.ptp(values, axis=axis)  # exact zero test: a constant's float std can be 1e-15
    return np.asarray(offset, np.float64), np.where(spread == 0, 1.0, scale).astype(np.float64)


def fit_scalers(
    inputs: np.ndarray, targets: np.ndarray, part_labels: np.ndarray, train_idx: np.ndarray, kind: Kind
) -> dict[str, Any]:
    """Per-part scalers fitted on the part's training windows only (scalers.json).

    ``inputs``: (windows, lookback, features); ``targets``: (windows, delays); ``part_labels``:
    (windows,); ``train_idx``: training window indices. Features are fitted per column over all training
    windows and time steps; the target over all training windows and delays. A part with no training
    window gets no scaler. Returns ``{"kind", "parts": {part: {"feature_offset": [F], "feature_scale":
    [F], "target_offset": x, "target_scale": y}}}``.
    """
    labels = np.asarray(part_labels)[train_idx]
    parts: dict[str, dict[str, Any]] = {}
    for part in np.unique(labels):
        index = np.asarray(train_idx)[labels == part]
        features = inputs[index].reshape(-1, inputs.shape[-1]).astype(np.float64)
        feature_offset, feature_scale = _offset_scale(features, kind, axis=0)
        target_offset, target_scale = _offset_scale(
            targets[index].astype(np.float64).ravel(), kind, axis=None
        )
        parts[str(part)] = {
            "feature_offset": feature_offset.tolist(),
            "feature_scale": feature_scale.tolist(),
            "target_offset": float(target_offset),
            "target_scale": float(target_scale),
        }
    return {"kind": kind, "parts": parts}


def _per_window(part_labels: np.ndarray, scalers: Mapping[str, Any], key: str) -> np.ndarray:
    """The scaler entry ``key`` of each window's part: (windows,) or (windows, features)."""
    parts, position = np.unique(np.asarray(part_labels, dtype=str), return_inverse=True)
    missing = [str(part) for part in parts if str(part) not in scalers["parts"]]
    if missing:
        raise KeyError(f"no scaler for part {missing[0]!r}")
    values = np.asarray([scalers["parts"][str(part)][key] for part in parts], dtype=np.float64)
    return values[position] if parts.size else np.empty(0, np.float64)


def transform(
    inputs: np.ndarray, targets: np.ndarray, part_labels: np.ndarray, scalers: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Scale windows with their part's scaler: ``(raw - offset) / scale``, float64.

    ``inputs``: (windows, lookback, features); ``targets``: (windows, delays); ``part_labels``: (windows,).
    Every part must have a scaler.
    """
    shape = (len(part_labels), 1, np.shape(inputs)[-1])
    feature_offset = _per_window(part_labels, scalers, "feature_offset").reshape(shape)
    feature_scale = _per_window(part_labels, scalers, "feature_scale").reshape(shape)
    scaled_inputs = (np.asarray(inputs, np.float64) - feature_offset) / feature_scale
    return scaled_inputs, scale_targets(targets, part_labels, scalers)


def scale_targets(targets: np.ndarray, part_labels: np.ndarray, scalers: Mapping[str, Any]) -> np.ndarray:
    """Targets in model units: ``(raw - target_offset) / target_scale`` of each window's part.

    ``targets``: (windows, delays) or (windows,); returns float64 of that shape.
    """
    offset, scale = _target_offset_scale(targets, part_labels, scalers)
    return (np.asarray(targets, np.float64) - offset) / scale


def inverse_transform_targets(
    scaled: np.ndarray, part_labels: np.ndarray, scalers: Mapping[str, Any]
) -> np.ndarray:
    """Targets back in raw units: ``scaled * target_scale + target_offset`` of each window's part.

    ``scaled``: (windows, delays) or (windows,), e.g. model predictions. Returns float64 of that shape.
    """
    offset, scale = _target_offset_scale(scaled, part_labels, scalers)
    return np.asarray(scaled, np.float64) * scale + offset


def _target_offset_scale(
    values: np.ndarray, part_labels: np.ndarray, scalers: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    shape = (len(part_labels),) + (1,) * (np.ndim(values) - 1)
    offset = _per_window(part_labels, scalers, "target_offset").reshape(shape)
    scale = _per_window(part_labels, scalers, "target_scale").reshape(shape)
    return offset, scale


def split_and_scale(
    windows: Mapping[str, np.ndarray], fractions: Sequence[float], kind: Kind
) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """splits.npz arrays, scalers.json and the split report from windows.npz's arrays.

    Splits each part in time order, fits the scalers on training windows, and drops (and reports) the
    parts without a training window, whose other windows could not be scaled. Arrays: ``inputs_s``
    float32 (n, lookback, features), ``targets_s`` float32 (n, delays), ``window_s`` int64 (n,) for s in
    train, val, test.
    """
    labels = np.asarray(windows["part"])
    indices = dict(zip(SPLITS, split_by_time(labels, fractions), strict=True))
    scalers = fit_scalers(windows["inputs"], windows["targets"], labels, indices["train"], kind)
    counts = {str(part): int((labels == part).sum()) for part in np.unique(labels)}
    skipped = {
        part: f"{count} window(s), none of them in train (fraction {fractions[0]})"
        for part, count in counts.items()
        if part not in scalers["parts"]
    }
    arrays: dict[str, np.ndarray] = {}
    per_part: dict[str, dict[str, int]] = {part: {} for part in scalers["parts"]}
    for split, index in indices.items():
        index = index[np.isin(labels[index], list(scalers["parts"]))]
        inputs, targets = transform(
            windows["inputs"][index], windows["targets"][index], labels[index], scalers
        )
        arrays[f"inputs_{split}"] = inputs.astype(np.float32)
        arrays[f"targets_{split}"] = targets.astype(np.float32)
        arrays[f"window_{split}"] = index.astype(np.int64)
        for part in per_part:
            per_part[part][split] = int((labels[index] == part).sum())
    report = {
        "kind": kind,
        "fractions": [float(f) for f in fractions],
        "parts": per_part,
        "totals": {split: len(arrays[f"window_{split}"]) for split in SPLITS},
        "skipped": skipped,
    }
    return arrays, scalers, report
