"""The evaluation's headline, typed: data/reports/evaluation.json and metrics/summary.json.

:class:`EvaluationSummary` is what stage evaluate writes to data/reports/evaluation.json (``to_json`` gives
exactly that dict), :meth:`EvaluationSummary.people` the few figures of metrics/summary.json, the one
file of the evaluation that DVC tracks as metrics. Both hold a fixed set of figures, however many
parts and models there are: every model's scores are data/reports/error_by_model.csv's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from plancast.errors import InputDataError
from plancast.names import RECOMMENDED

EVALUATE_FILE = "data/reports/evaluation.json"
Scores = dict[str, dict[str, float]]  # model -> metric -> value, pooled over parts and delays


@dataclass(frozen=True)
class Pooled:
    """One forecast's MAE on validation and test and its test skill vs the plan (1 − MAE / the plan's
    MAE), pooled over parts and delays; None where it has none (no such model, no windows)."""

    val_mae: float | None
    test_mae: float | None
    test_skill: float | None

    @classmethod
    def of(cls, scores: Mapping[str, Scores], model: str | None) -> Pooled:
        """``model``'s figures in ``scores`` (split -> model -> metric -> value)."""

        def value(split: str, metric: str) -> float | None:
            return scores.get(split, {}).get(model, {}).get(metric) if model else None

        return cls(value("val", "mae"), value("test", "mae"), value("test", "skill"))

    def to_json(self) -> dict[str, Any]:
        return {"val_mae": self.val_mae, "test_mae": self.test_mae, "test_skill": self.test_skill}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pooled:
        return cls(data["val_mae"], data["test_mae"], data["test_skill"])


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

    @classmethod
    def of(
        cls,
        scores: Mapping[str, Scores],
        route: Mapping[int, str],
        fold_skills: list[float],
        coverage: dict[int, float],
        p_better_than_plan: dict[int, float],
    ) -> RecommendedScore:
        """The recommended forecast's figures: its test MAE and skill in ``scores`` (split -> model ->
        metric -> value), and the mean and spread of ``fold_skills``, its skill per test fold."""
        test = scores["test"].get(RECOMMENDED, {})
        scored = np.isfinite(fold_skills).any()
        return cls(
            route=dict(route),
            test_mae=test.get("mae"),
            test_skill=test.get("skill"),
            fold_skill_mean=float(np.nanmean(fold_skills)) if scored else None,
            fold_skill_std=float(np.nanstd(fold_skills)) if scored else None,
            folds=len(fold_skills),
            coverage=coverage,
            p_better_than_plan=p_better_than_plan,
        )

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
    """data/reports/evaluation.json: the choices made on validation (``best_model`` by ``best_by``, the
    best network and tabular model), the recommended forecast's test figures, and the pooled figures of
    the ``plan``, the best ``network`` and the best ``tabular`` model."""

    best_by: str
    best_model: str | None
    best_network: str | None
    best_tabular: str | None
    recommended: RecommendedScore
    plan: Pooled
    network: Pooled
    tabular: Pooled

    def to_json(self) -> dict[str, Any]:
        return {
            "best_by": self.best_by,
            "best_model": self.best_model,
            "best_network": self.best_network,
            "best_tabular": self.best_tabular,
            RECOMMENDED: self.recommended.to_json(),
            "plan": self.plan.to_json(),
            "network": self.network.to_json(),
            "tabular": self.tabular.to_json(),
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
            plan=Pooled.from_json(data["plan"]),
            network=Pooled.from_json(data["network"]),
            tabular=Pooled.from_json(data["tabular"]),
        )

    def people(self) -> dict[str, Any]:
        """metrics/summary.json: the few figures `dvc exp show` should show, under short names.

        ``skill``/``mae``: the recommended forecast on test (skill vs the plan); ``skill_sd``: its spread
        over the test folds; ``cover80``/``cover95``: its interval coverage on test; ``route``: the
        candidate per delay; ``network``/``network_skill``: the best network on validation and its test
        skill; ``plan_mae``: the plan's test MAE, the yardstick.
        """
        recommended = self.recommended
        return {
            "skill": recommended.test_skill,
            "mae": recommended.test_mae,
            "skill_sd": recommended.fold_skill_std,
            "cover80": recommended.coverage.get(80),
            "cover95": recommended.coverage.get(95),
            "route": route_text(recommended.route),
            "network": self.best_network,
            "network_skill": self.network.test_skill,
            "plan_mae": self.plan.test_mae,
        }


def route_text(route: Mapping[int, str]) -> str:
    """The route in one short line, runs of delays with one candidate together: ``boosted D+1..12`` or
    ``combination D+1..3, boosted D+4..12`` (a column of ``dvc exp show``, read at a glance)."""
    runs: list[list] = []
    for delay in sorted(int(d) for d in route):
        name = route[delay]
        if runs and runs[-1][0] == name and runs[-1][2] == delay - 1:
            runs[-1][2] = delay
        else:
            runs.append([name, delay, delay])
    return ", ".join(f"{name} D+{first}" + (f"..{last}" if last > first else "") for name, first, last in runs)
