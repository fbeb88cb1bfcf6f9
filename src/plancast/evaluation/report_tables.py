"""The small tables behind stage evaluate's `dvc plots` bar charts and PNG figures, from an evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.evaluation.evaluate import ALL_DELAYS, SPLITS, SUMMARY_METRICS, Evaluation
from plancast.features.correlation import POOLED
from plancast.names import COMBINATION, PLAN_BASELINE, RECOMMENDED, TABULAR


@dataclass(frozen=True)
class ReportTables:
    """Small tables behind the `dvc plots` bar charts and the PNG figures of stage evaluate.

    ``by_model``: model, kind (:data:`MODEL_KINDS`), val_ and test_ MAE, RMSE, bias and skill, pooled over
    parts and delays. ``by_part``: part, test_mae of the best network, plan_mae. ``showcase_part``: the part
    with the largest mean test actual (the one drawn in the predictions figure).
    """

    by_model: pd.DataFrame
    by_part: pd.DataFrame
    showcase_part: str


MODEL_KINDS = (RECOMMENDED, COMBINATION, "tabular", "network", "baseline")  # error_by_model.csv's kind column


def report_tables(result: Evaluation, networks: list[str]) -> ReportTables:
    """The :class:`ReportTables` of an evaluation whose trained networks are ``networks``."""
    rows = []
    for model in result.scores["test"]:
        kind = "network" if model in networks else "tabular" if model in TABULAR else "baseline"
        if model in (RECOMMENDED, COMBINATION):
            kind = model
        row: dict[str, Any] = {"model": model, "kind": kind}
        for split_name in SPLITS:
            for metric in SUMMARY_METRICS:
                row[f"{split_name}_{metric}"] = result.scores[split_name].get(model, {}).get(metric, np.nan)
        rows.append(row)
    by_model = pd.DataFrame(rows).sort_values(["kind", "model"], kind="stable").reset_index(drop=True)

    best = result.summary.best_network
    parts = result.parts
    test_all = parts[
        (parts["split"] == "test") & (parts["delay"].astype(str) == ALL_DELAYS) & (parts["part"] != POOLED)
    ]
    mine = test_all[test_all["model"] == best].set_index("part")["mae"]
    plan = test_all[test_all["model"] == PLAN_BASELINE].set_index("part")["mae"]
    by_part = pd.DataFrame({"part": mine.index.astype(str), "test_mae": mine.to_numpy()})
    by_part["plan_mae"] = plan.reindex(mine.index).to_numpy()

    test_rows = result.predictions[result.predictions["split"] == "test"]
    volume = test_rows.groupby("part")["actual"].mean()
    showcase = str(volume.idxmax()) if len(volume) else ""
    return ReportTables(by_model, by_part, showcase)
