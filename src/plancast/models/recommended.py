"""The recommended forecast from several: a combination of two, a route choosing one per delay, and
the :class:`Recommendation` that records the choice.

Shared by evaluation (which chooses on validation) and forecasting and serving (which apply the choice
to the days after the data), so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from plancast.errors import InputDataError
from plancast.names import COMBINATION, is_baseline


def combination(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal-weight combination: ŷ = (a + b) / 2, or the one that exists where the other is NaN."""
    stacked = np.stack([np.asarray(a, np.float64), np.asarray(b, np.float64)])
    both = np.isfinite(stacked).all(axis=0)
    return np.where(both, stacked.mean(axis=0), np.where(np.isfinite(stacked[0]), stacked[0], stacked[1]))


def routed(
    predictions: Mapping[str, np.ndarray],
    route: Mapping[int, str],
    delays: Sequence[int],
    part: np.ndarray | None = None,
    part_route: Mapping[tuple[str, int], str] | None = None,
) -> np.ndarray:
    """The recommended forecast: column d from ``predictions[route[d]]`` (or the part's own choice in
    ``part_route``, with ``part`` (windows,)): (windows, delays)."""
    first = next(iter(predictions.values()))
    result = np.full(np.shape(first), np.nan)
    labels = None if part is None else np.asarray(part).astype(str)
    for column, delay in enumerate(delays):
        result[:, column] = np.asarray(predictions[route[int(delay)]], np.float64)[:, column]
        for (name, own_delay), candidate in (part_route or {}).items():
            if own_delay == int(delay) and labels is not None:
                rows = labels == name
                result[rows, column] = np.asarray(predictions[candidate], np.float64)[rows, column]
    return result


RECOMMENDATION_FILE = "data/reports/recommendation.json"


@dataclass(frozen=True)
class Recommendation:
    """Stage evaluate's choice, as stage forecast and the served model apply it (recommendation.json).

    ``route``: delay -> the candidate given for it; ``plan``: the planner's number's name;
    ``best_network``/``best_tabular``: the combination's halves (None where there is no such model);
    ``levels``: the interval levels; ``half_widths``: the recommended forecast's half-widths per level
    (str) and delay (scale units); ``delays`` (delays,); ``scales``: part -> interval scale;
    ``intervals``: per model, its ``half_widths``, ``coverage`` and ``coverage_validation_only`` per level;
    ``baselines``: each routed baseline's fit for the days after the data, as JSON numbers
    (:meth:`plancast.models.baseline_models.BaselineFits.to_json`).
    """

    route: dict[int, str]
    plan: str
    best_network: str | None
    best_tabular: str | None
    levels: list[float]
    half_widths: dict[str, list[float]]
    delays: list[int]
    scales: dict[str, float]
    intervals: dict[str, dict[str, Any]]
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The dict recommendation.json holds (delays as string keys of ``route``)."""
        return {
            "route": {str(delay): name for delay, name in self.route.items()},
            "plan": self.plan,
            "best_network": self.best_network,
            "best_tabular": self.best_tabular,
            "levels": list(self.levels),
            "half_widths": dict(self.half_widths),
            "delays": list(self.delays),
            "scales": dict(self.scales),
            "intervals": dict(self.intervals),
            "baselines": dict(self.baselines),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = RECOMMENDATION_FILE) -> Recommendation:
        """The recommendation :meth:`to_json` wrote; a file without one of its keys (an older format)
        raises InputDataError naming ``source``."""
        missing = [field.name for field in fields(cls) if field.name not in data]
        if missing:
            raise InputDataError(f"{source}: no {missing[0]!r} (an older format: rerun `dvc repro evaluate`)")
        return cls(
            route={int(delay): str(name) for delay, name in data["route"].items()},
            plan=data["plan"],
            best_network=data["best_network"],
            best_tabular=data["best_tabular"],
            levels=[float(level) for level in data["levels"]],
            half_widths=dict(data["half_widths"]),
            delays=[int(delay) for delay in data["delays"]],
            scales=dict(data["scales"]),
            intervals=dict(data["intervals"]),
            baselines=dict(data["baselines"]),
        )

    def half_widths_by_model(self) -> dict[str, dict[str, list[float]]]:
        """Each forecast's own half-widths: {model: {level: (delays,)}}."""
        return {name: own["half_widths"] for name, own in self.intervals.items()}

    def needed_models(self) -> set[str]:
        """The models the route names, with both halves of a routed combination; not the plan, nor a
        baseline (its fit is in :attr:`baselines`)."""
        needed = set(self.route.values())
        if COMBINATION in needed:
            needed |= {name for name in (self.best_network, self.best_tabular) if name is not None}
        return {name for name in needed - {COMBINATION, self.plan} if not is_baseline(name)}
