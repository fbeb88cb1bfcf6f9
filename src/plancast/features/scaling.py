"""Scale each part by its training windows alone, after one calendar cut for all parts splits the windows.

The cut (:mod:`plancast.features.split`) puts each window in train, validation or test (the records of
:mod:`plancast.features.splits`). Fitting on training windows only keeps validation and test values from
leaking into the inputs (Seed B did the same). Each part gets its own scaler because parts differ by
orders of magnitude (Seed B: Part 94 around 40, Part 95 around 250); ``scaled = (raw - offset) / scale``.
A NaN (a gap, ``window.gaps: keep``) is left out of every fit and stays NaN when scaled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from plancast.errors import InputDataError, ParamsError
from plancast.features.split import Cut, calendar_cut, day_label, day_text, split_by_date
from plancast.features.splits import SPLITS, Split, Splits
from plancast.features.windows import Windows

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
        """The scalers of :meth:`to_json`'s layout; a null (a non-finite number JSON cannot hold, written
        before split_scale refused them) is one line naming the part, not a TypeError in ``float``."""
        for part, s in data["parts"].items():
            for field in ("feature_offset", "feature_scale", "target_offset", "target_scale"):
                values = s[field] if isinstance(s[field], list) else [s[field]]
                if any(value is None for value in values):
                    raise InputDataError(
                        f"scalers of part {part!r}: {field} is null, not a number; rerun `dvc repro split_scale`"
                    )
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


def _offset_scale(values: np.ndarray, kind: Kind, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale along ``axis`` over the values that are not NaN (a gap): mean/std (ddof 0) or
    min/(max - min); a zero spread gives 1, and a column without any value offset 0 and scale 1.

    Without a NaN the numbers are the bits of ``mean``/``std``/``min``/``max`` (NumPy's nan-functions sum
    in the same order); inf (an overflow) is kept, for :func:`refuse_non_finite` to name.
    """
    # a column of NaN alone becomes zeros: offset 0, and its zero spread gives scale 1, without a warning
    values = np.where(np.isnan(values).all(axis=axis, keepdims=True), 0.0, values)
    if kind == "standard":
        offset, scale = np.nanmean(values, axis=axis), np.nanstd(values, axis=axis)
    else:
        offset = np.nanmin(values, axis=axis)
        scale = np.nanmax(values, axis=axis) - offset
    spread = np.nanmax(values, axis=axis) - np.nanmin(values, axis=axis)  # exact zero: a constant's std can be 1e-15
    return np.asarray(offset, np.float64), np.where(spread == 0, 1.0, scale).astype(np.float64)


def history_scaler(inputs: np.ndarray, target: np.ndarray, kind: Kind) -> PartScaler:
    """A part's scaler fitted on its own daily rows known at the forecast origin: the cold start of a part
    with no training window. ``inputs`` (rows, features) and ``target`` (rows,), finite rows only; the same
    offset and scale as :func:`fit_scalers` (which counts each row once per window it lies in)."""
    feature_offset, feature_scale = _offset_scale(np.asarray(inputs, np.float64), kind, axis=0)
    target_offset, target_scale = _offset_scale(np.asarray(target, np.float64), kind, axis=None)
    return PartScaler(feature_offset, feature_scale, float(target_offset), float(target_scale))


def fit_scalers(
    inputs: np.ndarray, targets: np.ndarray, part_labels: np.ndarray, train_idx: np.ndarray, kind: Kind
) -> Scalers:
    """Per-part scalers fitted on the part's training windows only.

    ``inputs``: (windows, lookback, features); ``targets``: (windows, delays); ``part_labels``:
    (windows,); ``train_idx``: training window indices. Features are fitted per column over all training
    windows and time steps; the target over all training windows and delays; a NaN (a gap) is left out
    (:func:`_offset_scale`). A part with no training window gets no scaler.
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
        with np.errstate(over="ignore", invalid="ignore"):  # split_and_scale names a non-finite scaler
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
    per_delay: bool = False,
) -> tuple[Splits, Scalers, dict[str, Any]]:
    """Splits (splits.npz), scalers (scalers.json) and the split report from the windows.

    Splits every part at one calendar cut (:func:`calendar_cut`), fits the scalers on training
    windows, and drops (and reports) the parts without a training window, whose other windows could
    not be scaled. Each split holds ``inputs`` float32 (n, lookback, features), ``targets`` float32
    (n, delays), ``window`` int64 (n,). ``per_delay`` (``window.gaps: keep``): each target counts in the
    split of its own day (:func:`plancast.features.split.split_by_date`), NaN in the others' arrays.
    """
    labels = np.asarray(windows.part)
    cut = calendar_cut(windows, fractions, validation_start, test_start)
    train, val, test, straddle = split_by_date(windows, cut, per_delay)
    indices = dict(zip(SPLITS, (train, val, test), strict=True))
    bounds = np.array([cut.validation_start, cut.test_start], np.int64) if per_delay else None
    periods = Splits(*(Split(np.empty(0), np.empty(0), index) for index in (train, val, test)), bounds)
    targets = np.asarray(windows.targets, np.float64).copy()
    targets[train] = periods.actual("train", windows)  # a target on a validation day is no training target
    scalers = fit_scalers(windows.inputs, targets, labels, indices["train"], kind)
    counts = _counts(labels)
    skipped = {
        part: f"{count} window(s), none of them with {'a' if per_delay else 'every'} target before validation starts"
        for part, count in counts.items()
        if part not in scalers.parts
    }
    splits: dict[str, Split] = {}
    per_part: dict[str, dict[str, int]] = {part: {} for part in scalers.parts}
    for split, index in indices.items():
        index = index[np.isin(labels[index], list(scalers.parts))]
        raw = periods.actual(split, windows)[np.isin(labels[indices[split]], list(scalers.parts))]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is found and named below
            splits[split] = Split(
                inputs=scalers.inputs(windows.inputs[index], labels[index]).astype(np.float32),
                targets=scalers.targets(raw, labels[index]).astype(np.float32),
                window=index.astype(np.int64),
            )
        in_split = _counts(labels[index])
        for part in per_part:
            per_part[part][split] = in_split.get(part, 0)
    refuse_empty(windows, cut, splits, validation_start, test_start)
    done = Splits(**splits, cut=periods.cut)
    refuse_non_finite(windows, scalers, done, indices["train"])
    day = windows.day_at
    report = {
        "cut": {
            "validation_start": day_label(day(np.array(cut.validation_start))),
            "test_start": day_label(day(np.array(cut.test_start))),
            "first_target": day_label(day(np.array(cut.first_target))),
            "last_target": day_label(day(np.array(cut.last_target))),
        },
        "straddling_a_cut": straddle,
        "totals": {split: len(splits[split].window) for split in SPLITS},
        "parts_skipped": len(skipped),
        "parts": {"windows": per_part, "skipped": skipped},  # data/reports/split_scale_parts.json
    }
    return done, scalers, report


def refuse_empty(
    windows: Windows, cut: Cut, splits: Mapping[str, Split], validation_start: object, test_start: object
) -> None:
    """A ParamsError naming the cut's key when no window trains, or none validates: the networks need
    training windows, and validation picks each network's epoch and the recommended model. (No test
    window is allowed: evaluate says so.) A window belongs to a split only with every target inside it,
    so a period shorter than the delays' spread holds none."""
    spread = f"a window needs its {len(windows.delays)} target day(s) {_delays_text(windows)} inside one period"
    if not len(splits["train"].window):
        key = "validation_start" if validation_start is not None else "fractions"
        raise ParamsError(
            f"split_scale.{key}: leaves no training window: no part has a window with every target before "
            f"validation starts ({day_text(windows, cut.validation_start)}, first target "
            f"{day_text(windows, cut.first_target)}); start validation later"
        )
    if not len(splits["val"].window):
        given = [
            key for key, day in (("test_start", test_start), ("validation_start", validation_start)) if day is not None
        ]
        key = given[0] if given else "fractions"
        raise ParamsError(
            f"split_scale.{key}: leaves no validation window between {day_text(windows, cut.validation_start)} "
            f"and the test period ({day_text(windows, cut.test_start)}); {spread}, so make validation longer"
        )


def _delays_text(windows: Windows) -> str:
    return "(delays " + ", ".join(str(int(delay)) for delay in windows.delays) + ")"


def refuse_non_finite(windows: Windows, scalers: Scalers, splits: Splits, train_idx: np.ndarray) -> None:
    """One line (InputDataError) naming the part, column and value range whose scaler, or whose scaled
    values, are not finite.

    A quantity near float64's limit (``1e308``) passes every "is it a number" check, but its mean or
    spread overflows to inf/NaN, which scalers.json could only write as null (and train then fails on
    it); a finite scaler can still take a value far from the training ones beyond float32, the networks'
    inputs. A window's NaN is a gap (``window.gaps: keep``) and stays NaN when scaled, which is fine;
    every other value is finite, so a non-finite scaled value where the raw one is not NaN came from
    the scaling.
    """
    for part, scaler in scalers.parts.items():
        # column -1: the target, 0 ..: the input features
        offsets = np.concatenate([[scaler.target_offset], scaler.feature_offset])
        scales = np.concatenate([[scaler.target_scale], scaler.feature_scale])
        bad = np.flatnonzero(~(np.isfinite(offsets) & np.isfinite(scales)))
        if len(bad):
            name, low, high = _value_range(windows, part, int(bad[0]) - 1, train_idx)
            raise InputDataError(
                f"split_scale: part {part!r}, column {name}: its training values span {low:.6g} .. {high:.6g}, "
                f"too wide for a finite {scalers.kind} scaler (offset {offsets[bad[0]]:.6g}, scale "
                f"{scales[bad[0]]:.6g}); check these quantities in the export"
            )
    for split in SPLITS:
        window = splits[split].window
        inputs, targets = ~np.isfinite(splits[split].inputs), ~np.isfinite(splits[split].targets)
        if inputs.any():  # a gap's NaN is no overflow
            inputs &= ~np.isnan(windows.inputs[window])
        if targets.any():  # nor is a target another split counts
            targets &= ~np.isnan(splits.actual(split, windows))
        if inputs.any():
            row, _, column = np.argwhere(inputs)[0]
        elif targets.any():
            row, column = np.argwhere(targets)[0][0], -1
        else:
            continue
        part = str(windows.part[splits[split].window[row]])
        scaler = scalers.parts[part]
        offset, scale = (
            (scaler.target_offset, scaler.target_scale)
            if column < 0
            else (scaler.feature_offset[column], scaler.feature_scale[column])
        )
        name, low, high = _value_range(windows, part, int(column), None)
        raise InputDataError(
            f"split_scale: part {part!r}, column {name}: its values span {low:.6g} .. {high:.6g}, which its "
            f"{scalers.kind} scaler (offset {offset:.6g}, scale {scale:.6g}) takes beyond float32 in the {split} "
            "windows; check these quantities in the export"
        )


def _value_range(windows: Windows, part: str, column: int, index: np.ndarray | None) -> tuple[str, float, float]:
    """The name of input feature ``column`` (-1: the target) and its smallest and largest value in
    ``part``'s windows (those of ``index`` only, when given)."""
    rows = np.flatnonzero(np.asarray(windows.part).astype(str) == part)
    if index is not None:
        rows = np.intersect1d(rows, index)
    if column < 0:
        return "target", float(np.nanmin(windows.targets[rows])), float(np.nanmax(windows.targets[rows]))
    values = windows.inputs[rows][..., column]
    return str(windows.feature_names[column]), float(np.nanmin(values)), float(np.nanmax(values))


def _counts(labels: np.ndarray) -> dict[str, int]:
    """Windows per part, for the parts that have any."""
    parts, counts = np.unique(labels, return_counts=True)
    return {str(part): int(count) for part, count in zip(parts, counts, strict=True)}
