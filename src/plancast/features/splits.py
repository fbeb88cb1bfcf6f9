"""The windows split three ways, as splits.npz holds them: each split's scaled arrays, and the cut that
says which of a window's targets each split counts.

:mod:`plancast.features.split` draws the one calendar cut; :func:`plancast.features.scaling.split_and_scale`
fills these records with the scaled windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from plancast.features.split import in_period
from plancast.features.windows import Windows

SPLITS = ("train", "val", "test")  # the three time-ordered parts of the windows, in order


@dataclass(frozen=True)
class Split:
    """One of train / val / test: scaled float32 ``inputs`` (n, lookback, features) and ``targets``
    (n, delays), and ``window`` (n,), each window's index in windows.npz."""

    inputs: np.ndarray
    targets: np.ndarray
    window: np.ndarray


@dataclass(frozen=True)
class Splits:
    """The three time-ordered splits (splits.npz holds ``inputs_<s>``, ``targets_<s>``, ``window_<s>``,
    and ``cut`` where a window counts per target day).

    ``cut`` is ``[validation_start, test_start]`` (calendar positions) when each target belongs to the
    split of its own day (``window.gaps: keep``): a window may then sit in two splits, and each split's
    ``targets`` are NaN outside its period; None when a window belongs to one split whole (``drop``).
    """

    train: Split
    val: Split
    test: Split
    cut: np.ndarray | None = None

    def __getitem__(self, name: str) -> Split:
        return getattr(self, name)

    def period(self, name: str) -> tuple[int, int | None]:
        """``[start, end)`` of the target days split ``name`` holds (end None: to the data's end)."""
        if self.cut is None:
            raise ValueError("splits of whole windows have no per-target period")
        validation_start, test_start = (int(value) for value in self.cut)
        return {"train": (-(2**62), validation_start), "val": (validation_start, test_start)}.get(
            name, (test_start, None)
        )

    def counted(self, name: str, windows: Windows) -> np.ndarray:
        """(n, delays) True where split ``name``'s window counts that target: every target of a whole
        window, else those whose day lies in the split's period (:func:`plancast.features.split.in_period`)."""
        index = self[name].window
        if self.cut is None:
            return np.ones((len(index), len(windows.delays)), dtype=bool)
        return in_period(windows, index, *self.period(name))

    def actual(self, name: str, windows: Windows) -> np.ndarray:
        """Split ``name``'s raw targets (n, delays) float64, NaN where a gap or outside the split's period."""
        targets = np.asarray(windows.targets[self[name].window], np.float64)
        return np.where(self.counted(name, windows), targets, np.nan)

    def with_splits(self, train: Split, val: Split, test: Split) -> Splits:
        """The same cut over other train, validation and test arrays (the same windows, read otherwise)."""
        return Splits(train, val, test, self.cut)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            f"{field}_{name}": getattr(self[name], field)
            for name in SPLITS
            for field in ("inputs", "targets", "window")
        }
        return arrays if self.cut is None else {**arrays, "cut": np.asarray(self.cut, np.int64)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Splits:
        cut = np.asarray(arrays["cut"], np.int64) if "cut" in arrays else None
        return cls(
            *(Split(arrays[f"inputs_{name}"], arrays[f"targets_{name}"], arrays[f"window_{name}"]) for name in SPLITS),
            cut,
        )
