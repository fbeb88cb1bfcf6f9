"""The evaluation's headline figures: metrics/evaluate.json and metrics/summary.json, typed.

:class:`EvaluationSummary` is what stage evaluate writes to metrics/evaluate.json (``to_json`` gives
exactly that dict), :meth:`EvaluationSummary.people` the few figures of metrics/summary.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from plancast.errors import InputDataError
from plancast.names import RECOMMENDED

EVALUATE_FILE = "metrics/evaluate.json"
Scores = dict[str, dict[str, float]]  # model -> metric -> value, pooled over parts and delays


@dataclass(frozen=True)
class RecommendedScore:
    """The recommended forecast on test: ``route`` delay -> candidate; its MAE and skill vs the plan
    (None without test windows); the mean and spread of its skill over the ``folds`` test folds;
    ``coverage``: level in percent -> share of test actuals inside its interval; ``p_better_than_plan``:
    delay -> the Diebold-Mariano p value (NaN where the plan is routed or absent)."""

    route: dict[int, str]
    test_mae: float | None
    test_skill: float | None
    fold_skill_mean: float | None
    fold_skill_std: float | None
    folds: int
    coverage: dict[int, float]
    p_better_than_plan: dict[int, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "route": {f"d{delay}": name for delay, name in self.route.items()},
            "test_mae": self.test_mae,
            "test_skill": self.test_skill,
            "fold_skill_mean": self.fold_skill_mean,
            "fold_skill_std": self.fold_skill_std,
            "folds": self.folds,
            **{f"coverage_{percent}": value for percent, value in self.coverage.items()},
            "p_better_than_plan": {f"d{delay}": p for delay, p in self.p_better_than_plan.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecommendedScore:
        coverage = {
            int(key.removeprefix("coverage_")): value for key, value in data.items() if key.startswith("coverage_")
        }
        return cls(
            route={int(key.removeprefix("d")): name for key, name in data["route"].items()},
            test_mae=data["test_mae"],
            test_skill=data["test_skill"],
            fold_skill_mean=data["fold_skill_mean"],
            fold_skill_std=data["fold_skill_std"],
            folds=int(data["folds"]),
            coverage=coverage,
            p_better_than_plan={int(key.removeprefix("d")): p for key, p in data["p_better_than_plan"].items()},
        )


@dataclass(frozen=True)
class EvaluationSummary:
    """metrics/evaluate.json: the choices made on validation (``best_model`` by ``best_by``, the best
    network and tabular model), the recommended forecast's test figures, and ``val``/``test``: every
    model's pooled metrics (mae, rmse, bias, skill)."""

    best_by: str
    best_model: str | None
    best_network: str | None
    best_tabular: str | None
    recommended: RecommendedScore
    val: Scores
    test: Scores

    def to_json(self) -> dict[str, Any]:
        return {
            "best_by": self.best_by,
            "best_model": self.best_model,
            "best_network": self.best_network,
            "best_tabular": self.best_tabular,
            RECOMMENDED: self.recommended.to_json(),
            "val": self.val,
            "test": self.test,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = EVALUATE_FILE) -> EvaluationSummary:
        """The summary :meth:`to_json` wrote; a file without one of its keys raises InputDataError."""
        missing = [field.name for field in fields(cls) if field.name not in data]
        if missing:
            raise InputDataError(f"{source}: no {missing[0]!r} (an older format: rerun `dvc repro evaluate`)")
        return cls(
            best_by=data["best_by"],
            best_model=data["best_model"],
            best_network=data["best_network"],
            best_tabular=data["best_tabular"],
            recommended=RecommendedScore.from_json(data[RECOMMENDED]),
            val=dict(data["val"]),
            test=dict(data["test"]),
        )

    def people(self) -> dict[str, Any]:
        """metrics/summary.json: the few figures `dvc exp show` should show, under short names.

        ``skill``/``mae``: the recommended forecast on test (skill vs the plan); ``skill_sd``: its spread
        over the test folds; ``cover80``/``cover95``: its interval coverage on test; ``route``: the
        candidate per delay; ``network``/``network_skill``: the best network on validation and its test skill.
        """
        recommended, network = self.recommended, self.best_network
        return {
            "skill": recommended.test_skill,
            "mae": recommended.test_mae,
            "skill_sd": recommended.fold_skill_std,
            "cover80": recommended.coverage.get(80),
            "cover95": recommended.coverage.get(95),
            "route": "/".join(recommended.route[delay] for delay in sorted(recommended.route, key=lambda d: f"d{d}")),
            "network": network,
            "network_skill": self.test.get(network, {}).get("skill") if network else None,
        }
