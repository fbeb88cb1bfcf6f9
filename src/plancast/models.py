"""From a ``models.<name>`` params entry to a compiled Keras network, and its saved form.

A saved model is a folder ``models/<name>/``:

- ``network.json``: the network's Keras config (architecture only, no optimizer), exact floats;
- ``<slug>.weights.h5``: ``model.save_weights`` of one trained network (``global.weights.h5`` for
  scope ``global``, one file per part for ``per_part``);
- ``manifest.json``: ``{"model", "scope", "lookback", "features", "delays", "weights": {part: file}}``.

It loads back with Keras' safe mode (no pickle, no lambdas). Importing this module imports no
TensorFlow; the functions do, through :mod:`plancast.runtime`.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plancast.artifacts import read_json, write_json
from plancast.errors import InputDataError

if TYPE_CHECKING:
    import keras

    from plancast.params import LayerSpec, ModelSpec

NETWORK_FILE = "network.json"
MANIFEST_FILE = "manifest.json"
GLOBAL_WEIGHTS = "global.weights.h5"
_EXACT_DIGITS = 17  # round-trips every float64, so configs are written exactly


def build_network(spec: ModelSpec, lookback: int, features: int, outputs: int, name: str = "network") -> keras.Model:
    """Compile ``Input (lookback, features) -> spec.layers -> Dense(outputs)`` into a network.

    Maps a batch ``(windows, lookback, features)`` to ``(windows, outputs)``, one output per delay.
    Layers are named ``<type>_<index>`` and the head ``head``, so the saved config is the same however
    many networks the process built before. Weights are drawn from Keras' global seed: seed first
    (``plancast.runtime.import_tensorflow(seed)``) for reproducible initial weights.
    """
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    windows = keras.Input(shape=(lookback, features), name="windows")
    hidden = windows
    for index, layer in enumerate(spec.layers):
        hidden = _recurrent_layer(layer, f"{layer.type}_{index}")(hidden)
    forecast = keras.layers.Dense(outputs, activation="linear", name="head")(hidden)
    network = keras.Model(windows, forecast, name=name)
    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }
    losses = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber": "huber"}
    network.compile(optimizer=optimizers[spec.optimizer](learning_rate=spec.learning_rate), loss=losses[spec.loss])
    return network


def _recurrent_layer(layer: LayerSpec, name: str) -> Any:
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    options = {
        "activation": layer.activation,
        "recurrent_activation": layer.recurrent_activation,
        "dropout": layer.dropout,
        "recurrent_dropout": layer.recurrent_dropout,
        "return_sequences": layer.return_sequences,
        "name": name,
    }
    if layer.type == "lstm":
        return keras.layers.LSTM(layer.units, **options)
    if layer.type == "gru":
        return keras.layers.GRU(layer.units, **options)
    from plancast.cells import hand_lstm_layer

    return hand_lstm_layer(layer.units, **options)


def part_slugs(parts: Iterable[str]) -> dict[str, str]:
    """Map each part to a file-name slug: lowercase, runs of non-alphanumerics -> ``_``, unique.

    Parts are taken in sorted order; a slug already taken (``Part-1`` and ``part 1``) gets ``_2``,
    ``_3`` ..., and an empty one becomes ``part``.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = {"global"}  # global.weights.h5 is the global network's file
    for part in sorted(set(parts)):
        base = re.sub(r"[^a-z0-9]+", "_", part.lower()).strip("_") or "part"
        slug, counter = base, 1
        while slug in taken:
            counter += 1
            slug = f"{base}_{counter}"
        taken.add(slug)
        slugs[part] = slug
    return slugs


def network_config(network: keras.Model) -> dict[str, Any]:
    """The network's serialized Keras config, without its compile settings (an inference network)."""
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    config = keras.saving.serialize_keras_object(network)
    config.pop("compile_config", None)
    return config


def network_from_config(config: Mapping[str, Any]) -> keras.Model:
    """Rebuild an (uncompiled) network from :func:`network_config`'s output in Keras' safe mode."""
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow()
    import plancast.cells  # noqa: F401  registers PlanLSTMCell for deserialization

    # deepcopy: deserialize_keras_object consumes the nested dicts it is given
    return keras.saving.deserialize_keras_object(copy.deepcopy(dict(config)), safe_mode=True)


def save_networks(
    model_dir: str | Path,
    model_name: str,
    scope: str,
    delays: list[int],
    networks: Mapping[str, keras.Model],
) -> dict[str, Any]:
    """Write ``networks`` (part -> network; one shared object for scope ``global``) as a model folder.

    All networks must share one architecture. Only the layer weights are saved (no optimizer state):
    each network is copied into an uncompiled network rebuilt from ``network.json`` first, which also
    proves the written config loads. The folder is assembled beside ``model_dir`` and swapped in,
    so a failed run leaves the old folder intact and no stale weights files survive. Returns the manifest.
    """
    if not networks:
        raise ValueError("save_networks needs at least one network")
    model_dir = Path(model_dir)
    parts = sorted(networks)
    config = network_config(networks[parts[0]])
    _, lookback, features = networks[parts[0]].input_shape
    if scope == "global":
        files = dict.fromkeys(parts, GLOBAL_WEIGHTS)
    else:
        files = {part: f"{slug}.weights.h5" for part, slug in part_slugs(parts).items()}
    manifest = {
        "model": model_name,
        "scope": scope,
        "lookback": int(lookback),
        "features": int(features),
        "delays": [int(delay) for delay in delays],
        "weights": files,
    }
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.", suffix=".tmp", dir=model_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would otherwise become the model folder's mode
        write_json(staging / NETWORK_FILE, config, digits=_EXACT_DIGITS)
        written: set[str] = set()
        for part in parts:
            if files[part] in written:
                continue
            inference = network_from_config(config)
            inference.set_weights(networks[part].get_weights())
            inference.save_weights(staging / files[part])
            written.add(files[part])
        write_json(staging / MANIFEST_FILE, manifest)
        _swap_in(staging, model_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return manifest


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.replace(target, retired / target.name)
    os.replace(staging, target)
    shutil.rmtree(retired)


def load_networks(model_dir: str | Path) -> tuple[dict[str, Any], dict[str, keras.Model]]:
    """Read a model folder: its manifest and one network per part (the same object for all, if global).

    Networks are rebuilt from ``network.json`` in Keras' safe mode and given their weights; they are
    not compiled (for ``predict`` only). A missing or unreadable file raises InputDataError naming it.
    """
    model_dir = Path(model_dir)
    manifest = _read_model_json(model_dir / MANIFEST_FILE)
    config = _read_model_json(model_dir / NETWORK_FILE)
    networks: dict[str, keras.Model] = {}
    by_file: dict[str, keras.Model] = {}
    for part, file in sorted(manifest["weights"].items()):
        if file not in by_file:
            path = model_dir / file
            if not path.is_file():
                raise InputDataError(f"{path}: weights file named in {MANIFEST_FILE} is missing")
            network = network_from_config(config)
            network.load_weights(path)
            by_file[file] = network
        networks[part] = by_file[file]
    return manifest, networks


def _read_model_json(path: Path) -> dict[str, Any]:
    try:
        return read_json(path)
    except FileNotFoundError:
        raise InputDataError(f"{path}: not found (train the model first: dvc repro train)") from None
    except ValueError as exc:
        raise InputDataError(f"{path}: not valid JSON ({exc})") from None
