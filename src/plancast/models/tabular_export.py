"""Fitted tabular models as files without pickle: boosted trees as ONNX, linear fits as JSON numbers.

- :class:`~plancast.models.tabular.Boosted`: each delay's ``HistGradientBoostingRegressor`` becomes one
  ONNX file holding the standard ``ai.onnx.ml`` ``TreeEnsembleRegressor`` (thresholds, leaf values and
  the baseline as float64 tensors; NaN follows scikit-learn's learned side per split), run by ONNX
  Runtime: the same trees as scikit-learn's, the sum given as float32 (relative difference ~1e-7).
  Written here from the fitted trees rather than by skl2onnx: skl2onnx 1.20 (and its main branch)
  fails on this regressor with the protobuf 7 this project pins (a leaf's missing-value flag is a
  Python bool where protobuf 7 takes only ints), and the op is the same one skl2onnx would write.
- :class:`~plancast.models.tabular.PlanLinear`: every Ridge fit (pooled and per part, per delay) is
  its coefficients and intercept in JSON, exact to the last bit (17 significant digits).

Loaded back, each is the same class with its fits replaced by the file-backed predictors, so
``predict(rows)`` runs the very code the pipeline runs. Files are byte-identical for identical fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from plancast.artifacts import atomic_folder, atomic_path, read_json, write_json
from plancast.errors import InputDataError
from plancast.models.tabular import Boosted, PlanLinear, TabularModel
from plancast.names import BOOSTED, PLAN_LINEAR

TREE_OPSETS = {"": 17, "ai.onnx.ml": 3}
IR_VERSION = 9  # ONNX Runtime 1.18+ reads it
EXACT_DIGITS = 17


def trees_to_onnx(model: Any, width: int) -> bytes:
    """A fitted single-output ``HistGradientBoostingRegressor`` on ``width`` numeric columns as ONNX bytes.

    Input ``X`` float64 (rows, width), NaN allowed; output ``Y`` float32 (rows, 1): baseline + Σ leaf
    values, the tree walk in float64 as scikit-learn's (``x <= threshold`` goes left, NaN goes where
    the split learned). Categorical splits and several trees per iteration are refused.
    """
    from onnx import TensorProto, helper, numpy_helper

    if getattr(model, "n_trees_per_iteration_", 1) != 1:
        raise ValueError("trees_to_onnx: a regressor with one tree per iteration only")
    splits: list[tuple[int, int, int, str, float, int, int, int]] = []  # tree, node, feature, mode, ...
    leaves: list[tuple[int, int, float]] = []  # tree, node, value
    for tree, (predictor,) in enumerate(model._predictors):  # scikit-learn's fitted trees (what skl2onnx reads)
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("trees_to_onnx: categorical splits are not supported")
        for index, node in enumerate(nodes):
            if node["is_leaf"]:
                splits.append((tree, index, 0, "LEAF", 0.0, 0, 0, 0))
                leaves.append((tree, index, float(node["value"])))
            else:
                left, right, nan_left = int(node["left"]), int(node["right"]), int(node["missing_go_to_left"])
                feature, threshold = int(node["feature_idx"]), float(node["num_threshold"])
                splits.append((tree, index, feature, "BRANCH_LEQ", threshold, left, right, nan_left))
    tree_ids, node_ids, features, modes, thresholds, true_ids, false_ids, missing = map(list, zip(*splits, strict=True))
    leaf_trees, leaf_nodes, leaf_values = map(list, zip(*leaves, strict=True))
    baseline = np.asarray(model._baseline_prediction, np.float64).reshape(-1)
    node = helper.make_node(
        "TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", name="trees", n_targets=1,
        nodes_treeids=tree_ids, nodes_nodeids=node_ids, nodes_featureids=features, nodes_modes=modes,
        nodes_values_as_tensor=numpy_helper.from_array(np.asarray(thresholds, np.float64), "thresholds"),
        nodes_truenodeids=true_ids, nodes_falsenodeids=false_ids, nodes_missing_value_tracks_true=missing,
        target_treeids=leaf_trees, target_nodeids=leaf_nodes, target_ids=[0] * len(leaf_trees),
        target_weights_as_tensor=numpy_helper.from_array(np.asarray(leaf_values, np.float64), "leaf_values"),
        base_values_as_tensor=numpy_helper.from_array(baseline, "baseline"),
        aggregate_function="SUM", post_transform="NONE",
    )  # fmt: skip
    graph = helper.make_graph(
        [node],
        "boosted_trees",
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, width])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])],
    )
    proto = helper.make_model(
        graph, producer_name="plancast", opset_imports=[helper.make_opsetid(d, v) for d, v in TREE_OPSETS.items()]
    )
    proto.ir_version = IR_VERSION
    return proto.SerializeToString(deterministic=True)


class OnnxTrees:
    """One delay's trees from an ONNX file: ``predict(X)`` (rows,) like the scikit-learn regressor's."""

    def __init__(self, path: str | Path) -> None:
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ONNX Runtime raises its own error types, with multi-line messages
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise InputDataError(f"{self.path}: not a readable ONNX model ({reason})") from None
        (self.input,) = self.session.get_inputs()
        self.width = self.input.shape[1]

    def predict(self, design: np.ndarray) -> np.ndarray:
        design = np.ascontiguousarray(design, dtype=np.float64)
        if design.shape[1] != self.width:
            raise InputDataError(
                f"{self.path}: takes {self.width} columns, the design has {design.shape[1]} "
                "(the daily table's horizons or features differ from the ones the model was fitted on)"
            )
        return self.session.run(None, {self.input.name: design})[0][:, 0].astype(np.float64)


class Linear:
    """A linear fit as numbers: ``predict(X) = X @ coef + intercept`` (a Ridge's prediction)."""

    def __init__(self, coef: Any, intercept: float) -> None:
        self.coef = np.asarray(coef, np.float64)
        self.intercept = float(intercept)

    def predict(self, design: np.ndarray) -> np.ndarray:
        return np.asarray(design, np.float64) @ self.coef + self.intercept

    def to_json(self) -> dict[str, Any]:
        return {"coef": self.coef.tolist(), "intercept": self.intercept}


def _linear(fit: Any) -> Linear:
    """A scikit-learn Ridge fit as a :class:`Linear`; one read back from a file as it is."""
    return fit if isinstance(fit, Linear) else Linear(fit.coef_, fit.intercept_)


def save_tabular(model: TabularModel, folder: str | Path, name: str, delays: list[int]) -> dict[str, Any]:
    """Write a fitted tabular model's files into ``folder`` (boosted trees: ``<name>-d<delay>.onnx``;
    linear: ``<name>.json``); returns its entry for a manifest (``kind``, the files, and for boosted
    trees which design columns each delay uses of how many)."""
    folder = Path(folder)
    if isinstance(model, Boosted):
        files = []
        for delay, trees, used in zip(delays, model.models, model.columns, strict=True):
            file = f"{name}-d{delay}.onnx"
            loaded = isinstance(trees, OnnxTrees)  # trees read from a file are copied as they are
            with atomic_path(folder / file) as tmp:
                tmp.write_bytes(trees.path.read_bytes() if loaded else trees_to_onnx(trees, int(np.sum(used))))
            files.append(file)
        used = [np.flatnonzero(mask).tolist() for mask in model.columns]
        widths = [len(mask) for mask in model.columns]
        return {"kind": BOOSTED, "files": files, "columns": used, "design_width": widths}
    if isinstance(model, PlanLinear):
        file = f"{name}.json"
        fits = [
            {"pooled": _linear(pooled).to_json(), "parts": {p: _linear(f).to_json() for p, f in parts.items()}}
            for pooled, parts in zip(model.pooled, model.per_part, strict=True)
        ]
        write_json(folder / file, {"delays": fits}, digits=EXACT_DIGITS)
        return {"kind": PLAN_LINEAR, "files": [file]}
    raise TypeError(f"save_tabular: no file format for {type(model).__name__}")


def load_tabular(entry: Mapping[str, Any], folder: str | Path) -> TabularModel:
    """The tabular model :func:`save_tabular` wrote, its fits read from the files (no scikit-learn fit)."""
    folder = Path(folder)
    if entry["kind"] == BOOSTED:
        model = Boosted()
        model.models = [OnnxTrees(folder / file) for file in entry["files"]]
        model.columns = []
        for used, width in zip(entry["columns"], entry["design_width"], strict=True):
            mask = np.zeros(int(width), bool)
            mask[np.asarray(used, np.int64)] = True
            model.columns.append(mask)
        return model
    if entry["kind"] == PLAN_LINEAR:
        (file,) = entry["files"]
        fits = read_json(folder / file)["delays"]
        linear = PlanLinear()
        linear.pooled = [Linear(**fit["pooled"]) for fit in fits]
        linear.per_part = [{part: Linear(**f) for part, f in fit["parts"].items()} for fit in fits]
        return linear
    raise ValueError(f"unknown tabular model kind {entry['kind']!r}")


TABULAR_MANIFEST = "tabular.json"  # stage train_tabular's folder: {name: save_tabular's entry}


def save_tabular_models(models: Mapping[str, TabularModel], folder: str | Path, delays: list[int]) -> None:
    """Every fitted tabular model's files in ``folder`` and their entries in ``tabular.json`` (byte-stable)."""
    with atomic_folder(folder) as staging:  # no file of an earlier fit is left beside the new ones
        entries = {name: save_tabular(model, staging, name, delays) for name, model in sorted(models.items())}
        write_json(staging / TABULAR_MANIFEST, {"delays": [int(d) for d in delays], "models": entries})


def load_tabular_models(folder: str | Path) -> dict[str, TabularModel]:
    """The tabular models :func:`save_tabular_models` wrote to ``folder``; a file leaving it is refused."""
    folder = Path(folder)
    entries = read_json(folder / TABULAR_MANIFEST)["models"]
    for entry in entries.values():
        for file in entry["files"]:
            if Path(file).name != file:
                raise InputDataError(f"{folder / TABULAR_MANIFEST}: {file!r} is not a file of that folder")
    return {name: load_tabular(entry, folder) for name, entry in entries.items()}
