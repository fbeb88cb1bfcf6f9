"""ONNX: export a trained Keras network with Keras' own exporter and run it with ONNX Runtime.

:class:`OnnxNetwork` is an engine (:class:`plancast.models.engines.Network`, ``predict_batch``) as
:class:`plancast.models.engines.KerasNetwork` is, so evaluation and forecasting run on either
(``forecast.engine: onnx | keras``, for evaluate and forecast); its recursive forecast is
:func:`plancast.models.engines.step_by_step`. A model folder's files are written and opened by
:mod:`plancast.models.store`. Running an exported file needs neither
TensorFlow nor Keras; exporting needs both (imported lazily, through :mod:`plancast.runtime`).
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from plancast.artifacts import atomic_path


def export_onnx(model: Any, path: str | Path) -> None:
    """Write ``model`` (a built Keras model) as an ONNX file at ``path``, atomically and byte-stable.

    The file takes whatever inputs the Keras model has, each with a free batch size: a model with one
    input names it ``windows`` ((windows, lookback, features) -> (windows, outputs)); a model with
    several (a list or dict of ``keras.Input``) keeps each input's Keras name, so name them
    (``keras.Input(..., name="context")``). tf2onnx names tensors with process-wide counters and
    dedups equal constants in no fixed order, so two exports of one model differ in names only;
    :func:`canonical_names` renames them by position to give identical bytes.
    """
    import onnx

    with tempfile.TemporaryDirectory(prefix="plancast-onnx-") as folder:
        raw = Path(folder) / "model.onnx"
        with warnings.catch_warnings():
            # Keras' own numpy-2 patch for tf2onnx probes np.object, which numpy 2 answers with a warning.
            warnings.filterwarnings("ignore", category=FutureWarning, message=".*np.object.*")
            model.export(str(raw), format="onnx", verbose=False, input_signature=input_signature(model))
        proto = canonical_names(onnx.load(str(raw)))
    with atomic_path(path) as tmp:
        tmp.write_bytes(proto.SerializeToString(deterministic=True))


def input_signature(model: Any) -> list[Any]:
    """The export signature of ``model``'s own inputs: one ``tf.TensorSpec`` per Keras input, batch free.

    Explicit because Keras refuses to infer one for a model that was built but never called (a freshly
    loaded one). The structure is the model's (one tensor, a list or a dict of inputs), as one
    positional argument; a single input is named ``windows`` for every model, several keep their names.
    """
    from plancast.runtime import import_tensorflow

    tf, keras = import_tensorflow()
    try:
        structure = model.input  # a functional model: its inputs' structure
    except AttributeError:  # a Sequential model that was never called
        structure = model.inputs[0] if len(model.inputs) == 1 else list(model.inputs)
    single = len(model.inputs) == 1

    def spec(tensor: Any) -> Any:
        return tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype, name="windows" if single else tensor.name)

    return [keras.tree.map_structure(spec, structure)]


def onnx_file(weights_file: str) -> str:
    """The ONNX file of a weights file in a model folder: ``global.weights.h5`` -> ``global.onnx``."""
    return f"{weights_file.removesuffix('.weights.h5')}.onnx"


def canonical_names(proto: Any) -> Any:
    """Give an ONNX model names that depend only on its structure; in place, returns ``proto``.

    Inner tensors become ``t<i>``, nodes ``n<i>``, subgraphs ``g<i>`` and free dimensions ``d<i>``,
    numbered in graph order (a subgraph, e.g. a loop body, where its node stands); graph inputs and
    outputs keep their names. Initializers and value infos are sorted by name, doc strings cleared.
    The graph order is made structural first (:func:`structural_order`): tf2onnx emits independent
    nodes in an order that varies from process to process (the hand-written cell's graph does).
    """
    keep = [value.name for value in [*proto.graph.input, *proto.graph.output]]
    structural_order(proto.graph, {})
    _Canonical(keep).walk(proto.graph, top=True)
    return proto


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _free_names(graph: Any) -> set[str]:
    """Tensors a (sub)graph's nodes read that it neither takes as input nor makes: the outer scope's."""
    made = {value.name for value in graph.input} | {init.name for init in graph.initializer} | {""}
    used: set[str] = set()
    for node in graph.node:
        used.update(node.input)
        for attribute in node.attribute:
            for subgraph in [*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs]:
                used |= _free_names(subgraph)
        made.update(node.output)
    return used - made


def structural_order(graph: Any, outer: dict[str, str]) -> str:
    """Reorder ``graph.node`` (and every subgraph's) in place into a topological order that depends only
    on structure; returns the graph's structural signature.

    Each tensor gets a signature from what makes it (a graph input's position, an initializer's
    content, a node's op, attributes and input signatures; ``outer``: the enclosing graph's tensors);
    among the nodes whose inputs are ready, the one with the smallest signature goes first. Nodes with
    equal signatures compute the same thing, so their order does not change the bytes.
    """
    import onnx

    signatures = dict(outer) | {"": ""}
    for position, value in enumerate(graph.input):
        signatures[value.name] = f"input:{position}"
    for init in graph.initializer:
        unnamed = onnx.TensorProto()
        unnamed.CopyFrom(init)
        unnamed.name = ""
        signatures[init.name] = "init:" + hashlib.sha256(unnamed.SerializeToString(deterministic=True)).hexdigest()
    nodes = list(graph.node)
    needs = [[*node.input, *sorted(_free_names_of_node(node))] for node in nodes]
    pending, ordered, chosen = list(range(len(nodes))), [], []
    while pending:
        ready = [i for i in pending if all(name in signatures for name in needs[i])]
        if not ready:  # not a DAG as seen here: keep the rest as it came
            ordered += [nodes[i] for i in pending]
            break
        signature, index = min((_node_signature(nodes[i], signatures, needs[i]), i) for i in ready)
        for position, name in enumerate(nodes[index].output):
            signatures[name] = f"{signature}:{position}"
        pending.remove(index)
        ordered.append(nodes[index])
        chosen.append(signature)
    copies = []
    for node in ordered:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copies.append(copy)
    del graph.node[:]
    graph.node.extend(copies)
    return _digest(chosen, [signatures.get(value.name, value.name) for value in graph.output])


def _free_names_of_node(node: Any) -> set[str]:
    names: set[str] = set()
    for attribute in node.attribute:
        for subgraph in [*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs]:
            names |= _free_names(subgraph)
    return names


def _node_signature(node: Any, signatures: dict[str, str], needs: list[str]) -> str:
    attributes = []
    for attribute in sorted(node.attribute, key=lambda item: item.name):
        subgraphs = [*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs]
        if subgraphs:
            attributes.append((attribute.name, [structural_order(g, signatures) for g in subgraphs]))
        else:
            plain = type(attribute)()
            plain.CopyFrom(attribute)
            if plain.HasField("t"):
                plain.t.name = ""
            attributes.append((attribute.name, plain.SerializeToString(deterministic=True)))
    return _digest(node.op_type, node.domain, attributes, [signatures[name] for name in needs])


class _Canonical:
    def __init__(self, keep: list[str]) -> None:
        self.names = {"": ""} | {name: name for name in keep}
        self.dims: dict[str, str] = {}
        self.nodes = itertools.count()
        self.graphs = itertools.count()

    def tensor(self, name: str) -> str:
        return self.names.setdefault(name, f"t{len(self.names)}")

    def walk(self, graph: Any, top: bool = False) -> None:
        graph.doc_string = ""  # tf2onnx writes the traced function's name there, which has a counter
        if not top:
            graph.name = f"g{next(self.graphs)}"
        for value in graph.input:
            value.name = self.tensor(value.name)
        for node in graph.node:
            node.input[:] = [self.tensor(name) for name in node.input]
            for attribute in node.attribute:
                for subgraph in [*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs]:
                    self.walk(subgraph)
            node.output[:] = [self.tensor(name) for name in node.output]
            node.name = f"n{next(self.nodes)}"
            if not node.domain:
                node.ClearField("domain")  # "" set or unset: the same default domain
        for value in [*graph.output, *graph.value_info, *graph.initializer]:
            value.name = self.tensor(value.name)
        for value in [*graph.input, *graph.output, *graph.value_info]:
            for dim in value.type.tensor_type.shape.dim:
                if dim.HasField("dim_param"):
                    dim.dim_param = self.dims.setdefault(dim.dim_param, f"d{len(self.dims)}")
        _order_aliased_outputs(graph)
        graph.initializer.sort(key=lambda item: _number(item.name))
        graph.value_info.sort(key=lambda item: _number(item.name))


def _order_aliased_outputs(graph: Any) -> None:
    """Among outputs that are one value (x and Identity(x)), give the lowest-numbered name to the first.

    tf2onnx picks in no fixed order which output of a loop body reads x and which its copy; the
    values are equal, so fixing the order changes nothing but the bytes.
    """
    source = {node.output[0]: node.input[0] for node in graph.node if node.op_type == "Identity"}
    groups: dict[str, list[int]] = {}
    for position, value in enumerate(graph.output):
        root = value.name
        while root in source:
            root = source[root]
        groups.setdefault(root, []).append(position)
    for positions in groups.values():
        ordered = sorted((graph.output[p].name for p in positions), key=_number)
        for position, name in zip(positions, ordered, strict=True):
            graph.output[position].name = name


def _number(name: str) -> tuple[int, str]:
    return (int(name[1:]), name) if name[:1] == "t" and name[1:].isdigit() else (-1, name)


class OnnxNetwork:
    """An ONNX file run by an ONNX Runtime session, behind the engine interface (``predict_batch``).

    ``threads`` is ONNX Runtime's intra-op thread count. One is as fast as more for these small
    recurrent networks (measured on 2 cores: LSTM→GRU over 1728 windows 6.0 ms with 1 thread, 8.3 ms
    with 2, 5.9 ms with ORT's default; a 50-step recursive LSTM(30) forecast ~0.9 ms with each) and
    leaves the other cores to the rest of the pipeline.
    """

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.path = Path(path)
        self.session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = [item.name for item in self.session.get_inputs()]

    def predict_batch(self, inputs: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, outputs) for scaled inputs (windows, lookback, features) and the
        context (windows, width) of a network with a second input, one call."""
        feed = {self._inputs[0]: np.ascontiguousarray(inputs, dtype=np.float32)}
        if context is not None:
            feed[self._inputs[1]] = np.ascontiguousarray(context, dtype=np.float32)
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float64)


def onnx_networks(networks: Mapping[str, Any], directory: str | Path | None = None) -> dict[str, OnnxNetwork]:
    """Export every Keras network of one model ({part: model}) and open it with ONNX Runtime.

    A network shared by several parts (scope global) is exported once. Files go to ``directory`` as
    ``<number>-<first key>.onnx``; without one, to a temporary folder removed at once (a session
    holds its model in memory once opened).
    """
    if directory is None:
        with tempfile.TemporaryDirectory(prefix="plancast-onnx-") as folder:
            return onnx_networks(networks, folder)
    opened: dict[int, OnnxNetwork] = {}
    for key, model in sorted(networks.items()):
        if id(model) not in opened:
            path = Path(directory) / f"{len(opened):03d}-{_file_safe(key)}.onnx"
            export_onnx(model, path)
            opened[id(model)] = OnnxNetwork(path)
    return {key: opened[id(model)] for key, model in networks.items()}


def _file_safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key) or "network"
