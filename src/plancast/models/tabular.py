"""Tabular models on windows plus plan vintages, all with one call shape: ``model.fit(train).predict(rows)``.

``fit`` takes training :class:`TabularRows`; ``predict`` returns raw-unit forecasts (windows, delays). Every
model is fitted per delay in each part's scaled units: quantities (window, vintages, lot) by the part's
*target* scaler, flags and calendar as they are. Beyond the past window these models see every plan made for
the target day (:mod:`plancast.features.vintages`). A window's gap (``window.gaps: keep``) holds NaN: the trees
take it, the Ridge models impute the training mean (:class:`plancast.models.gap_ridge.GapRidge`); a (window,
delay) pair without a target is left out of that delay's fit.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from plancast.data.daily import horizon_columns
from plancast.features import vintages as vintage_features
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows, rows_by_part
from plancast.models.gap_ridge import GapRidge
from plancast.names import BOOSTED, PLAN_LINEAR, PLAN_MODELS

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted: stage train builds rows without it (~2 s)
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

CONTEXT_SETS = ("flags", "consensus", "profile", "calendar")  # the context beside the (scaled) vintages
ROW_BLOCK = 65_536  # rows scaled at once where a plant's ~0.5 M windows would hold float64 copies whole
MIN_PART_WINDOWS = 20  # fewer training windows than this: a part uses the pooled fit


@dataclass(frozen=True)
class TabularRows:
    """Windows with everything a tabular model may use, raw units.

    ``inputs`` (windows, lookback, features), NaN where a gap; ``part`` (windows,); ``vintages`` (windows, delays, K);
    ``lot`` (windows,) as known at the window's last row; ``context`` (windows, delays, C) unscaled
    flags and calendar features named ``context_names``; ``targets`` (windows, delays), NaN where
    unknown; ``delays`` (delays,); ``scalers`` fitted on training windows.
    """

    inputs: np.ndarray
    part: np.ndarray
    vintages: np.ndarray
    lot: np.ndarray
    context: np.ndarray
    context_names: tuple[str, ...]
    targets: np.ndarray
    delays: np.ndarray
    scalers: Scalers

    def take(self, index: np.ndarray) -> TabularRows:
        """The rows ``index`` selects, every per-window array indexed alike."""
        return TabularRows(
            self.inputs[index], self.part[index], self.vintages[index], self.lot[index], self.context[index],
            self.context_names, self.targets[index], self.delays, self.scalers,
        )  # fmt: skip

    def blocks(self) -> Iterator[tuple[np.ndarray, TabularRows]]:
        """(indexes, rows) :data:`ROW_BLOCK` at a time, for work whose memory grows with the rows."""
        for start in range(0, len(self.part), ROW_BLOCK):
            index = np.arange(start, min(start + ROW_BLOCK, len(self.part)))
            yield index, self.take(index)

    def at_delays(self, columns: Sequence[int]) -> TabularRows:
        """These rows at the delays ``columns`` (indexes into ``delays``) only. Every model is fitted per
        delay, so one fitted and run on them gives the same bits at those delays as on all of them."""
        columns = list(columns)
        return TabularRows(
            self.inputs, self.part, self.vintages[:, columns], self.lot, self.context[:, columns],
            self.context_names, self.targets[:, columns], self.delays[columns], self.scalers,
        )  # fmt: skip

    def scaled_inputs(self) -> np.ndarray:
        """Window inputs by the part's target scaler: (windows, lookback, features)."""
        return self.scalers.targets(self.inputs, self.part)

    def scaled_vintages(self) -> np.ndarray:
        """Vintages by the part's target scaler: (windows, delays, K)."""
        return self.scalers.targets(self.vintages, self.part)

    def scaled_targets(self) -> np.ndarray:
        return self.scalers.targets(self.targets, self.part)

    def scaled_context(self) -> np.ndarray:
        """The context with its quantities (the consensus of the firm vintages, the weekday profile) by the
        part's target scaler, flags, counts and calendar as they are: (windows, delays, C)."""
        quantities = [i for i, c in enumerate(self.context_names) if c in vintage_features.QUANTITIES]
        if not quantities:
            return self.context
        context = self.context.copy()
        context[..., quantities] = self.scalers.targets(self.context[..., quantities], self.part)
        return context

    def profile(self) -> np.ndarray | None:
        """The season profile of each (window, delay), raw (NaN unknown), or None if the rows lack it."""
        if vintage_features.PROFILE[0] not in self.context_names:
            return None
        return self.context[..., self.context_names.index(vintage_features.PROFILE[0])]

    def reference_profile(self, sets: Collection[str], profile_period: int | None) -> np.ndarray | None:
        """The profile a residual network corrects where there is no plan
        (:func:`plancast.models.trained.reference_forecast`): :meth:`profile` for a network that reads
        it (``profile`` in its context ``sets``) on a step series' season (``profile_period``), else None
        (dated data: the last value)."""
        return self.profile() if "profile" in sets and profile_period is not None else None

    def network_context(self, sets: Collection[str]) -> np.ndarray:
        """A network's second input: each window's context over all delays, flat: float32 (windows, width).

        ``sets`` among ``vintages`` (scaled by the part's target scaler, unknown = 0, beside a 0/1 known
        mask), ``flags`` (is-zero, is-lot, revised; unknown = 0; and the scaled lot with its known flag)
        and ``calendar`` (weekday, days to the next holiday; unknown = 0): every value finite, so the
        network needs no missing-value handling. Width: :func:`context_width`. Built a block at a time.
        """
        if len(self.part) > ROW_BLOCK:
            return np.concatenate([rows.network_context(sets) for _, rows in self.blocks()])
        count = len(self.part)
        blocks: list[np.ndarray] = []
        if "vintages" in sets:
            scaled = self.scaled_vintages()
            known = np.isfinite(scaled)
            blocks += [np.where(known, scaled, 0.0).reshape(count, -1), known.reshape(count, -1)]
        context = self.scaled_context()
        for name in ("flags", "consensus", "profile", "calendar"):
            if name in sets:
                columns = [i for i, c in enumerate(self.context_names) if _context_set(c) == name]
                blocks.append(np.nan_to_num(context[:, :, columns], nan=0.0).reshape(count, -1))
        if "flags" in sets:
            lot = self.scalers.targets(self.lot, self.part)
            blocks += [np.nan_to_num(lot, nan=0.0)[:, None], np.isfinite(lot)[:, None]]
        if not blocks:
            return np.empty((count, 0), np.float32)
        return np.concatenate([block.astype(np.float64) for block in blocks], axis=1).astype(np.float32)


def _context_set(column: str) -> str:
    """The feature set a context column belongs to (``zero_3`` -> flags, ``firm_mean`` -> consensus,
    ``weekday_sin`` -> calendar)."""
    if column in vintage_features.CONSENSUS:
        return "consensus"
    if column in vintage_features.PROFILE:
        return "profile"
    return "calendar" if column in ("weekday_sin", "weekday_cos", "days_to_holiday") else "flags"


def usable_context(
    sets: Collection[str], max_horizon: int, dated: bool, profile_period: int | None = None
) -> tuple[str, ...]:
    """The context sets a network can use on this data, in :data:`vintage_features.FEATURE_SETS` order:
    vintages, flags and consensus need plan horizons (``max_horizon`` > 0), the calendar needs calendar
    days (``dated``), the profile calendar days or a step series' season (``profile_period``)."""
    plans = max_horizon > 0
    profile = dated or profile_period is not None
    usable = {"vintages": plans, "flags": plans, "consensus": plans, "profile": profile, "calendar": dated}
    return tuple(name for name in vintage_features.FEATURE_SETS if name in sets and usable[name])


def tabular_rows(
    windows: Windows,
    daily: pd.DataFrame,
    scalers: Scalers,
    max_horizon: int,
    sets: Collection[str] = CONTEXT_SETS,
    profile_weeks: int = vintage_features.PROFILE_WEEKS,
    profile_period: int | None = None,
) -> TabularRows:
    """Every window of ``windows`` as :class:`TabularRows`, vintages up to ``max_horizon`` read from ``daily``.

    The lot is the causal running mode (:func:`plancast.features.vintages.lots`) at the window's last row;
    the profile (:func:`plancast.features.vintages.season_profile`) averages ``profile_weeks`` seasons:
    weeks on calendar days, ``profile_period`` steps on a step series (none without it).
    """
    vint = vintage_features.vintages(daily, windows.part, windows.end_row, windows.delays, max_horizon)
    lot = vintage_features.window_lots(vintage_features.lots(daily), windows.part, windows.end_row)
    calendar = vintage_features.target_calendar(windows)
    profile = None
    if "profile" in sets:
        phase = vintage_features.target_phase(windows, profile_period)
        profile = vintage_features.season_profile(
            daily, windows.part, windows.end_row, phase, profile_period, profile_weeks
        )
    context, names = vintage_features.context_features(
        vint, lot, calendar.weekday, calendar.days_to_holiday, [s for s in sets if s != "vintages"], profile
    )
    return TabularRows(
        np.asarray(windows.inputs, np.float64), np.asarray(windows.part).astype(str), vint, lot, context,
        tuple(names), np.asarray(windows.targets, np.float64), np.asarray(windows.delays, np.int64), scalers,
    )  # fmt: skip


def network_context_sets(
    windows: Windows, daily: pd.DataFrame, sets: Collection[str], profile_period: int | None = None
) -> tuple[tuple[str, ...], int]:
    """The context sets a network can use on these windows (:func:`usable_context`) and the plan
    horizons the data holds (the vintages' reach)."""
    max_horizon = len(horizon_columns(daily))
    dated = np.issubdtype(np.asarray(windows.days).dtype, np.datetime64)
    return usable_context(sets, max_horizon, dated, profile_period), max_horizon


class TabularModel(Protocol):
    def fit(self, train: TabularRows) -> TabularModel: ...

    def predict(self, rows: TabularRows) -> np.ndarray: ...


def _known_vintages(rows: TabularRows, column: int) -> np.ndarray:
    """Delay ``column``'s known vintages (j = d..K), scaled, NaN -> the newest known one (then 0, the
    part's training mean): (windows, K - d + 1)."""
    delay = int(rows.delays[column])
    values = rows.scaled_vintages()[:, column, delay - 1 :]
    newest = np.where(np.isfinite(values[:, :1]), values[:, :1], 0.0)
    return np.where(np.isfinite(values), values, newest)


def _unscale(rows: TabularRows, scaled: np.ndarray) -> np.ndarray:
    return rows.scalers.unscale_targets(scaled, rows.part)


class PlanLinear:
    """Plan corrected per part: ŷ_d = unscale(b + Σ_j w_j·v_j) over delay d's vintages j = d..K, Ridge(alpha).

    One fit per part and delay on the part's scaled training windows; a part with fewer than
    ``min_windows`` training windows (or one unseen in training) uses the pooled fit of all parts.
    """

    def __init__(self, alpha: float = 1.0, min_windows: int = MIN_PART_WINDOWS) -> None:
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0 (got {alpha})")
        self.alpha = alpha
        self.min_windows = min_windows
        self.pooled: list[Ridge] = []
        self.per_part: list[dict[str, Ridge]] = []

    def fit(self, train: TabularRows) -> PlanLinear:
        from sklearn.linear_model import Ridge

        targets = train.scaled_targets()
        self.pooled, self.per_part = [], []
        by_part = rows_by_part(train.part)
        for column in range(len(train.delays)):
            design = _known_vintages(train, column)
            known = np.isfinite(targets[:, column])
            self.pooled.append(Ridge(alpha=self.alpha).fit(design[known], targets[known, column]))
            fits: dict[str, Ridge] = {}
            for part, rows in by_part.items():
                own = rows[known[rows]]
                if len(own) >= self.min_windows:
                    fits[part] = Ridge(alpha=self.alpha).fit(design[own], targets[own, column])
            self.per_part.append(fits)
        return self

    def predict(self, rows: TabularRows) -> np.ndarray:
        scaled = np.full((len(rows.part), len(rows.delays)), np.nan)
        by_part = rows_by_part(rows.part)
        for column in range(len(rows.delays)):
            design = _known_vintages(rows, column)
            if not len(design):
                continue
            scaled[:, column] = self.pooled[column].predict(design)
            for part, fit in self.per_part[column].items():
                own = by_part.get(part)
                if own is not None:
                    scaled[own, column] = fit.predict(design[own])
        return _unscale(rows, scaled)


class BoostedDesign:
    """The trees' design per delay, [flat scaled window, scaled vintages, scaled lot, context (its quantities
    scaled)]: (windows, n); the parts scaled once for every delay (vintages, context: a slice per delay)."""

    def __init__(self, rows: TabularRows) -> None:
        self.flat = rows.scaled_inputs().reshape(len(rows.part), int(np.prod(rows.inputs.shape[1:])))
        self.lot = rows.scalers.targets(rows.lot, rows.part)[:, None]
        self.vintages, self.context = rows.scaled_vintages(), rows.scaled_context()

    def at(self, column: int, index: np.ndarray | slice = slice(None)) -> np.ndarray:  # rows ``index``' design
        pieces = (self.flat[index], self.vintages[index, column], self.lot[index], self.context[index, column])
        return np.concatenate(pieces, axis=1)


class Boosted:
    """Gradient-boosted trees per delay: ŷ_d = unscale(HGB_d([window, vintages, lot, flags, context])).

    scikit-learn's ``HistGradientBoostingRegressor`` takes NaN natively (unknown vintages and flags), early
    stopping off: the same rows give the same trees. A delay with more than ``max_rows`` known targets is fitted
    on ``max_rows`` of them, drawn with ``seed`` (None = all). OpenMP is held to ``threads`` (default 1): two
    made a 4000-window fit 10x slower on a shared 2-core machine, and one guarantees identical sums.
    """

    def __init__(
        self,
        loss: Literal["absolute_error", "squared_error"] = "absolute_error",
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        seed: int = 0,
        threads: int = 1,
        max_rows: int | None = None,
    ) -> None:
        self.threads, self.seed, self.max_rows = threads, seed, max_rows
        self.params = dict(
            loss=loss, max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf, l2_regularization=l2_regularization, early_stopping=False,
            random_state=seed,
        )  # fmt: skip
        self.models: list[HistGradientBoostingRegressor] = []
        self.columns: list[np.ndarray] = []

    def fit(self, train: TabularRows) -> Boosted:
        from sklearn.ensemble import HistGradientBoostingRegressor

        targets = train.scaled_targets()
        self.models, self.columns = [], []
        rank = np.random.default_rng(self.seed).permutation(len(train.part))  # one draw order for every delay
        drawn = [self._drawn(np.flatnonzero(np.isfinite(column)), rank) for column in targets.T]
        needed = np.unique(np.concatenate(drawn))  # only the rows some delay is fitted on are scaled
        shared = BoostedDesign(train if len(needed) == len(train.part) else train.take(needed))
        for column, known in enumerate(drawn):
            design = shared.at(column, np.searchsorted(needed, known))
            # Vintages made after the origin (j < d) are NaN for every window: nothing to split on.
            used = np.isfinite(design).any(axis=0)
            model = HistGradientBoostingRegressor(**self.params)
            with threadpool_limits(self.threads, user_api="openmp"):
                self.models.append(model.fit(design[:, used], targets[known, column]))
            self.columns.append(used)
        return self

    def _drawn(self, known: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """The rows of ``known`` a delay is fitted on: all, or the ``max_rows`` first in the seeded ``rank``
        (the same rows at every delay that knows them, so a capped fit scales hardly more than ``max_rows``)."""
        if self.max_rows is None or len(known) <= self.max_rows:
            return known
        return np.sort(known[np.argsort(rank[known])[: self.max_rows]])

    def predict(self, rows: TabularRows) -> np.ndarray:
        scaled = np.full((len(rows.part), len(rows.delays)), np.nan)
        for block, part in rows.blocks():  # a block's design at a time: bounded memory
            shared = BoostedDesign(part)
            for column, model in enumerate(self.models):
                design = shared.at(column)
                if design.shape[1] != len(self.columns[column]):
                    raise ValueError(
                        f"the boosted trees were fitted on {len(self.columns[column])} design columns, these rows "
                        f"have {design.shape[1]}: fitted by another version of the features; refit them (dvc repro)"
                    )
                with threadpool_limits(self.threads, user_api="openmp"):
                    scaled[block, column] = model.predict(design[:, self.columns[column]])
        return _unscale(rows, scaled)


class WindowRidge:
    """The Ridge baseline in this call shape: ŷ = unscale(W·vec(x) + b), x the window scaled per feature.

    Same as ``baseline_ridge`` (:func:`plancast.evaluation.baselines.ridge`): inputs by the part's
    feature scaler (float32, like the networks'), pooled over parts, a gap's NaN imputed (:class:`GapRidge`).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha
        self.model: GapRidge | None = None

    def _design(self, rows: TabularRows) -> np.ndarray:
        scaled = rows.scalers.inputs(rows.inputs, rows.part).astype(np.float32)
        return np.asarray(scaled, np.float64).reshape(len(rows.part), -1)

    def fit(self, train: TabularRows) -> WindowRidge:
        targets = train.scaled_targets().astype(np.float32).astype(np.float64)
        self.model = GapRidge(self.alpha).fit(self._design(train), targets)
        return self

    def predict(self, rows: TabularRows) -> np.ndarray:
        if not len(rows.part):
            return np.empty((0, len(rows.delays)))
        return _unscale(rows, self.model.predict(self._design(rows)))


def runnable_tabular(names: Sequence[str], max_horizon: int) -> list[str]:
    """The tabular models of ``names`` this data can feed: a series without plan horizons (``max_horizon``
    0, Seed A's wave) has no vintages, so the models made of them alone (:data:`PLAN_MODELS`) drop out."""
    return [name for name in names if max_horizon > 0 or name not in PLAN_MODELS]


TABULAR_MODELS: dict[str, Callable[[int, int | None], TabularModel]] = {
    PLAN_LINEAR: lambda seed, boosted_rows: PlanLinear(),
    BOOSTED: lambda seed, boosted_rows: Boosted(seed=seed, max_rows=boosted_rows),
}  # each of names.TABULAR made from a seed and evaluate.boosted_rows
