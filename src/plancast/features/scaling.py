"""Split windows at one calendar cut for all parts, and scale each part by its training windows alone.

The cut is two days on the one calendar of all parts (validation starts, test starts), so no part
trains on days that are another part's test period. A window belongs to the split that holds every one
of its target days; a window whose targets straddle a cut belongs to none (it is counted). Fitting on
training windows only keeps validation and test values from leaking into the inputs (Seed B did the
same). Each part gets its own scaler because parts differ by orders of magnitude (Seed B: Part 94
around 40, Part 95 around 250); ``scaled = (raw - offset) / scale``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from plancast.errors import ParamsError
from plancast.features.windows import Windows

SPLITS = ("train", "val", "test")  # the three time-ordered parts of the windows, in order
Kind = Literal["standard", "minmax"]


@dataclass(frozen=True)
class PartScaler:
    """One part's scaler: ``scaled = (raw - offset) / scale`` for its input features and its target."""

    feature_offset: np.ndarray  # (features,)
    feature_scale: np.ndarray  # (features,)
    target_offset: float
    target_scale: float


@dataclass(frozen=True)
class Scalers:
    """Every part's :class:`PartScaler`, fitted on the part's training windows only (scalers.json)."""

    kind: Kind
    parts: dict[str, PartScaler]

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "parts": {part: {"feature_offset": [F], "feature_scale": [F], "target_offset": x,
        "target_scale": y}}}``, the layout of scalers.json."""
        return {
            "kind": self.kind,
            "parts": {
                part: {
                    "feature_offset": s.feature_offset.tolist(),
                    "feature_scale": s.feature_scale.tolist(),
                    "target_offset": float(s.target_offset),
                    "target_scale": float(s.target_scale),
                }
                for part, s in self.parts.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scalers:
        parts = {
            str(part): PartScaler(
                feature_offset=np.asarray(s["feature_offset"], np.float64),
                feature_scale=np.asarray(s["feature_scale"], np.float64),
                target_offset=float(s["target_offset"]),
                target_scale=float(s["target_scale"]),
            )
            for part, s in data["parts"].items()
        }
        return cls(kind=data.get("kind", "standard"), parts=parts)

    def _per_window(self, part_labels: np.ndarray, field: str) -> np.ndarray:
        """The scaler field of each window's part: (windows,) or (windows, features)."""
        parts, position = np.unique(np.asarray(part_labels, dtype=str), return_inverse=True)
        missing = [str(part) for part in parts if str(part) not in self.parts]
        if missing:
            raise KeyError(f"no scaler for part {missing[0]!r}")
        values = np.asarray([getattr(self.parts[str(part)], field) for part in parts], dtype=np.float64)
        return values[position] if parts.size else np.empty(0, np.float64)

    def inputs(self, inputs: np.ndarray, part_labels: np.ndarray) -> np.ndarray:
        """Scaled inputs: ``(raw - feature_offset) / feature_scale``; (windows, lookback, features) float64."""
        shape = (len(part_labels), 1, np.shape(inputs)[-1])
        offset = self._per_window(part_labels, "feature_offset").reshape(shape)
        scale = self._per_window(part_labels, "feature_scale").reshape(shape)
        return (np.asarray(inputs, np.float64) - offset) / scale

    def _target_offset_scale(self, values: np.ndarray, part_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = (len(part_labels),) + (1,) * (np.ndim(values) - 1)
        offset = self._per_window(part_labels, "target_offset").reshape(shape)
        scale = self._per_window(part_labels, "target_scale").reshape(shape)
        return offset, scale

    def targets(self, targets: np.ndarray, part_labels: np.ndarray) -> np.ndarray:
        """Targets in model units: ``(raw - target_offset) / target_scale``; shape of ``targets``."""
        offset, scale = self._target_offset_scale(targets, part_labels)
        return (np.asarray(targets, np.float64) - offset) / scale

    def unscale_targets(self, scaled: np.ndarray, part_labels: np.ndarray) -> np.ndarray:
        """Model outputs back in raw units: ``scaled * target_scale + target_offset``."""
        offset, scale = self._target_offset_scale(scaled, part_labels)
        return np.asarray(scaled, np.float64) * scale + offset

    def feedback(self, part_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gain and shift (parts,) that turn a scaled target ŷ into the scaled input ``gain·ŷ + shift``.

        The target and the input feature ``target`` (feature 0) have separate scalers, so a prediction
        goes back through raw units: raw = ŷ·target_scale + target_offset, input = (raw − f_offset) / f_scale.
        """
        feature_offset = self._per_window(part_labels, "feature_offset")[:, 0]
        feature_scale = self._per_window(part_labels, "feature_scale")[:, 0]
        target_offset = self._per_window(part_labels, "target_offset")
        target_scale = self._per_window(part_labels, "target_scale")
        return target_scale / feature_scale, (target_offset - feature_offset) / feature_scale


@dataclass(frozen=True)
class Split:
    """One of train / val / test: scaled float32 ``inputs`` (n, lookback, features) and ``targets``
    (n, delays), and ``window`` (n,), each window's index in windows.npz."""

    inputs: np.ndarray
    targets: np.ndarray
    window: np.ndarray


@dataclass(frozen=True)
class Splits:
    """The three time-ordered splits (splits.npz holds ``inputs_<s>``, ``targets_<s>``, ``window_<s>``)."""

    train: Split
    val: Split
    test: Split

    def __getitem__(self, name: str) -> Split:
        return getattr(self, name)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            f"{field}_{name}": getattr(self[name], field)
            for name in SPLITS
            for field in ("inputs", "targets", "window")
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Splits:
        return cls(
            **{
                name: Split(arrays[f"inputs_{name}"], arrays[f"targets_{name}"], arrays[f"window_{name}"])
                for name in SPLITS
            }
        )


@dataclass(frozen=True)
class Cut:
    """One calendar cut for all parts, as positions on the calendar (daily ``position``).

    Targets on positions ``< validation_start`` are training targets, ``validation_start ..
    test_start - 1`` validation, ``>= test_start`` test. ``first_target``/``last_target``: the span of
    all windows' target days the fractions were taken of.
    """

    validation_start: int
    test_start: int
    first_target: int
    last_target: int


def _split_point(fraction: float, count: int) -> int:
    # int(f * n), but (0.7 + 0.1) * 10 is 7.999999999999999 in floats; the 1e-9 keeps it at 8.
    return min(count, math.floor(fraction * count + 1e-9))


def _position_of(windows: Windows, day: object, key: str) -> int:
    """The calendar position of a cut day given in params (the first working day on or after it)."""
    days = windows.days
    if np.issubdtype(days.dtype, np.datetime64):
        value = np.datetime64(day, "D")
    elif isinstance(day, int):
        value = np.int64(day)
    else:
        raise ParamsError(f"split_scale.{key}: {day} is a date, but the data is indexed by integer steps")
    return int(np.searchsorted(days, value, side="left"))


def calendar_cut(
    windows: Windows, fractions: Sequence[float], validation_start: object = None, test_start: object = None
) -> Cut:
    """Where validation and test start: the given days, else the fractions of all windows' target days.

    With n target days from the earliest to the latest target of any window, validation starts
    ``int(f_train * n)`` days in and test ``int((f_train + f_val) * n)`` days in (Seed B: 44 -> 30/5/9).
    """
    delays = np.asarray(windows.delays, dtype=np.int64)
    if not len(windows.position):
        return Cut(0, 0, 0, -1)
    first = int(windows.position.min() + delays.min())
    last = int(windows.position.max() + delays.max())
    span = last - first + 1
    validation = first + _split_point(float(fractions[0]), span)
    test = first + _split_point(float(fractions[0]) + float(fractions[1]), span)
    if validation_start is not None:
        validation = _position_of(windows, validation_start, "validation_start")
    if test_start is not None:
        test = _position_of(windows, test_start, "test_start")
    if test < validation:
        raise ParamsError(
            f"split_scale.test_start: the test period must not start before validation "
            f"({windows.day_at(np.array(test))} < {windows.day_at(np.array(validation))})"
        )
    return Cut(validation, test, first, last)


def split_by_date(windows: Windows, cut: Cut) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Window indices of train, validation and test at ``cut``, and how many straddle each cut.

    A window is in a split when all its target days (``position + delay``) are; training windows
    have every target before validation starts, so no training target lies in or after it.
    """
    delays = np.asarray(windows.delays, dtype=np.int64)
    low = windows.position + (delays.min() if delays.size else 0)
    high = windows.position + (delays.max() if delays.size else 0)
    train = high < cut.validation_start
    val = (low >= cut.validation_start) & (high < cut.test_start)
    test = low >= cut.test_start
    straddle = {
        "train|validation": int(((low < cut.validation_start) & (high >= cut.validation_start)).sum()),
        "validation|test": int(
            ((low < cut.test_start) & (high >= cut.test_start) & (low >= cut.validation_start)).sum()
        ),
    }
    return (*(np.flatnonzero(mask).astype(np.int64) for mask in (train, val, test)), straddle)


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
) -> Scalers:
    """Per-part scalers fitted on the part's training windows only.

    ``inputs``: (windows, lookback, features); ``targets``: (windows, delays); ``part_labels``:
    (windows,); ``train_idx``: training window indices. Features are fitted per column over all training
    windows and time steps; the target over all training windows and delays. A part with no training
    window gets no scaler.
    """
    train_idx = np.asarray(train_idx)
    labels = np.asarray(part_labels)[train_idx]
    # One stable sort instead of a `labels == part` scan per part (quadratic at thousands of parts);
    # each part keeps its windows in train_idx order, so the sums, and the scalers, are the same bits.
    order = np.argsort(labels, kind="stable")
    names, starts = np.unique(labels[order], return_index=True)
    parts: dict[str, PartScaler] = {}
    groups = np.split(train_idx[order], starts[1:]) if names.size else []
    for part, index in zip(names, groups, strict=True):
        features = inputs[index].reshape(-1, inputs.shape[-1]).astype(np.float64)
        feature_offset, feature_scale = _offset_scale(features, kind, axis=0)
        target_offset, target_scale = _offset_scale(targets[index].astype(np.float64).ravel(), kind, axis=None)
        parts[str(part)] = PartScaler(feature_offset, feature_scale, float(target_offset), float(target_scale))
    return Scalers(kind=kind, parts=parts)


def split_and_scale(
    windows: Windows,
    fractions: Sequence[float],
    kind: Kind,
    validation_start: object = None,
    test_start: object = None,
) -> tuple[Splits, Scalers, dict[str, Any]]:
    """Splits (splits.npz), scalers (scalers.json) and the split report from the windows.

    Splits every part at one calendar cut (:func:`calendar_cut`), fits the scalers on training
    windows, and drops (and reports) the parts without a training window, whose other windows could
    not be scaled. Each split holds ``inputs`` float32 (n, lookback, features), ``targets`` float32
    (n, delays), ``window`` int64 (n,).
    """
    labels = np.asarray(windows.part)
    cut = calendar_cut(windows, fractions, validation_start, test_start)
    train, val, test, straddle = split_by_date(windows, cut)
    indices = dict(zip(SPLITS, (train, val, test), strict=True))
    scalers = fit_scalers(windows.inputs, windows.targets, labels, indices["train"], kind)
    counts = _counts(labels)
    skipped = {
        part: f"{count} window(s), none of them with every target before validation starts"
        for part, count in counts.items()
        if part not in scalers.parts
    }
    splits: dict[str, Split] = {}
    per_part: dict[str, dict[str, int]] = {part: {} for part in scalers.parts}
    for split, index in indices.items():
        index = index[np.isin(labels[index], list(scalers.parts))]
        splits[split] = Split(
            inputs=scalers.inputs(windows.inputs[index], labels[index]).astype(np.float32),
            targets=scalers.targets(windows.targets[index], labels[index]).astype(np.float32),
            window=index.astype(np.int64),
        )
        in_split = _counts(labels[index])
        for part in per_part:
            per_part[part][split] = in_split.get(part, 0)
    day = windows.day_at
    report = {
        "kind": kind,
        "fractions": [float(f) for f in fractions],
        "cut": {
            "validation_start": _label(day(np.array(cut.validation_start))),
            "test_start": _label(day(np.array(cut.test_start))),
            "first_target": _label(day(np.array(cut.first_target))),
            "last_target": _label(day(np.array(cut.last_target))),
        },
        "straddling_a_cut": straddle,
        "parts": per_part,
        "totals": {split: len(splits[split].window) for split in SPLITS},
        "skipped": skipped,
    }
    return Splits(**splits), scalers, report


def _counts(labels: np.ndarray) -> dict[str, int]:
    """Windows per part, for the parts that have any."""
    parts, counts = np.unique(labels, return_counts=True)
    return {str(part): int(count) for part, count in zip(parts, counts, strict=True)}


def _label(day: np.ndarray) -> str | int | None:
    value = day.item() if isinstance(day, np.ndarray) else day
    if isinstance(value, int):
        return value if value >= 0 else None
    return None if value is None else str(np.datetime64(value, "D"))
