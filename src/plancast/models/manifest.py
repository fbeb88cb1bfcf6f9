"""The manifest of a trained model (``manifest.json``): what it takes (lookback, each part's input
columns, its context), what it gives (delays, level or residual) and how both are scaled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from plancast.features.scaling import Scalers

GLOBAL = "global"


@dataclass(frozen=True)
class Manifest:
    """What a trained model takes and gives (``manifest.json``): the one source for everything downstream.

    ``columns``: each part's input columns in order, target first (features.json); ``scalers``: how each
    part's inputs and outputs are scaled (fitted on training windows only); ``weights``: each part's
    weights file (one ``global.weights.h5`` for every part when ``scope`` is global); ``gap_channel``:
    the network reads its windows through :func:`plancast.models.engines.with_gap_channel` (its
    training windows had missing days).
    """

    model: str
    scope: Literal["global", "per_part"]
    lookback: int
    delays: tuple[int, ...]
    columns: dict[str, list[str]]
    scalers: Scalers
    weights: dict[str, str]
    target: Literal["level", "residual"] = "level"
    context: tuple[str, ...] = ()  # the second input's feature sets (TabularRows.network_context); () = none
    max_horizon: int = 0  # plan horizons the context's vintages reach (h1 .. h{max_horizon})
    profile_period: int | None = None  # a step series' season for the profile context (train.profile_period)
    gap_channel: bool = False

    def to_json(self) -> dict[str, Any]:
        # gap_channel only when set: a model trained without gaps writes the manifest it always wrote
        gaps = {"gap_channel": True} if self.gap_channel else {}
        return {
            "target": self.target,
            "context": list(self.context),
            "max_horizon": self.max_horizon,
            "profile_period": self.profile_period,
            **gaps,
            "model": self.model,
            "scope": self.scope,
            "lookback": self.lookback,
            "delays": list(self.delays),
            "columns": self.columns,
            "scalers": self.scalers.to_json(),
            "weights": self.weights,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        gap_channel = data.get("gap_channel", False)
        if not isinstance(gap_channel, bool):
            raise ValueError(f"gap_channel must be true or false, got {gap_channel!r}")
        return cls(
            model=str(data["model"]),
            scope=data["scope"],
            lookback=int(data["lookback"]),
            delays=tuple(int(d) for d in data["delays"]),
            columns={str(part): [str(c) for c in names] for part, names in data["columns"].items()},
            scalers=Scalers.from_json(data["scalers"]),
            weights={str(part): str(file) for part, file in data["weights"].items()},
            target=data.get("target", "level"),
            context=tuple(str(name) for name in data.get("context", ())),
            max_horizon=int(data.get("max_horizon", 0)),
            profile_period=None if data.get("profile_period") is None else int(data["profile_period"]),
            gap_channel=gap_channel,
        )

    @property
    def parts(self) -> list[str]:
        return sorted(self.weights)
