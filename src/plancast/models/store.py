"""Model folders: writing a trained model's networks and manifest, and opening the folder again as a
:class:`~plancast.models.trained.TrainedModel` run by Keras or by ONNX Runtime.

A saved model is a folder ``models/<name>/``:

- ``network.json``: the network's Keras config (architecture only, no optimizer), exact floats;
- ``<slug>.weights.h5``: ``model.save_weights`` of one trained network (``global.weights.h5`` for
  scope ``global``, one file per part for ``per_part``);
- ``<slug>.onnx``: the same network exported to ONNX (:func:`write_onnx`);
- ``manifest.json``: the :class:`~plancast.models.manifest.Manifest`, the one source downstream of what
  the model takes (lookback, each part's input columns, delays) and how its inputs and outputs are scaled.

It loads back with Keras' safe mode (no pickle, no lambdas). Importing this module imports no
TensorFlow; the functions do, through :mod:`plancast.runtime`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from plancast.artifacts import atomic_folder, read_json, write_json
from plancast.errors import InputDataError
from plancast.models.manifest import GLOBAL, Manifest
from plancast.models.networks import network_config, network_from_config
from plancast.models.onnx import OnnxNetwork, export_onnx, onnx_file
from plancast.models.trained import TrainedModel

if TYPE_CHECKING:
    import keras

NETWORK_FILE = "network.json"
MANIFEST_FILE = "manifest.json"
GLOBAL_WEIGHTS = f"{GLOBAL}.weights.h5"
SLUG_LENGTH = 48  # file names from part names stay short: a long name is cut and given a hash
_EXACT_DIGITS = 17  # round-trips every float64, so configs are written exactly


def part_slugs(parts: Iterable[str]) -> dict[str, str]:
    """Map each part to a file-name slug: lowercase, runs of non-alphanumerics -> ``_``, bounded, unique.

    Parts are taken in sorted order; a slug already taken (``Part-1`` and ``part 1``) gets ``_2``,
    ``_3`` ..., and an empty one becomes ``part``. A name longer than :data:`SLUG_LENGTH` is cut and
    ends in 8 hex digits of its SHA-256, so a 300-character part name still makes a valid file name.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = {GLOBAL}  # global.weights.h5 is the global network's file
    for part in sorted(set(parts)):
        base = re.sub(r"[^a-z0-9]+", "_", part.lower()).strip("_") or "part"
        if len(base) > SLUG_LENGTH:
            base = f"{base[: SLUG_LENGTH - 9]}_{hashlib.sha256(part.encode()).hexdigest()[:8]}"
        slug, counter = base, 1
        while slug in taken:
            counter += 1
            slug = f"{base}_{counter}"
        taken.add(slug)
        slugs[part] = slug
    return slugs


def save_model(
    model_dir: str | Path,
    manifest: Manifest,
    networks: Mapping[str, keras.Model],
    extra: Callable[[Path], None] | None = None,
) -> Manifest:
    """Write ``networks`` (part -> network; one shared object for scope ``global``) as a model folder.

    The manifest's ``weights`` are filled in here (bounded, collision-free file names per part). All
    networks share one architecture. Only the layer weights are saved (no optimizer state): each
    network is copied into an uncompiled network rebuilt from ``network.json`` first, which also proves
    the written config loads. The folder is assembled beside ``model_dir`` and swapped in, so a failed
    run leaves the old folder intact and no stale weights files survive. ``extra(folder)`` may add
    files (the training record) before the swap. Returns the written manifest.
    """
    if not networks:
        raise ValueError("save_model needs at least one network")
    model_dir = Path(model_dir)
    parts = sorted(networks)
    config = network_config(networks[parts[0]])
    if manifest.scope == GLOBAL:
        files = dict.fromkeys(parts, GLOBAL_WEIGHTS)
    else:
        files = {part: f"{slug}.weights.h5" for part, slug in part_slugs(parts).items()}
    manifest = Manifest(**{**manifest.__dict__, "weights": files})
    with atomic_folder(model_dir) as staging:
        write_json(staging / NETWORK_FILE, config, digits=_EXACT_DIGITS)
        written: set[str] = set()
        for part in parts:
            if files[part] in written:
                continue
            inference = network_from_config(config)
            inference.set_weights(networks[part].get_weights())
            inference.save_weights(staging / files[part])
            written.add(files[part])
        write_json(staging / MANIFEST_FILE, manifest.to_json(), digits=_EXACT_DIGITS)
        if extra is not None:
            extra(staging)
    return manifest


def read_manifest(model_dir: str | Path) -> Manifest:
    """The manifest of a model folder; a missing or unreadable one raises InputDataError naming it."""
    path = Path(model_dir) / MANIFEST_FILE
    try:
        return Manifest.from_json(_read_model_json(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(f"{path}: not a plancast model manifest ({type(exc).__name__}: {exc})") from None


def load_keras_networks(model_dir: str | Path, manifest: Manifest) -> dict[str, keras.Model]:
    """One Keras network per part (the same object for all parts of a global model), for prediction.

    Networks are rebuilt from ``network.json`` in Keras' safe mode and given their weights; they are
    not compiled. A missing weights file raises InputDataError naming it.
    """
    model_dir = Path(model_dir)
    config = _read_model_json(model_dir / NETWORK_FILE)
    networks: dict[str, keras.Model] = {}
    by_file: dict[str, keras.Model] = {}
    for part, file in sorted(manifest.weights.items()):
        if file not in by_file:
            path = model_dir / file
            if not path.is_file():
                raise InputDataError(f"{path}: weights file named in {MANIFEST_FILE} is missing")
            network = network_from_config(config)
            network.load_weights(path)
            by_file[file] = network
        networks[part] = by_file[file]
    return networks


Engine = Literal["keras", "onnx"]


def load_model(model_dir: str | Path, engine: Engine = "keras") -> TrainedModel:
    """A saved model folder as a :class:`TrainedModel` run by Keras or, ``engine="onnx"``, ONNX Runtime.

    ONNX runs the ``<weights>.onnx`` files stage train wrote beside each weights file (Keras' own
    export, :func:`write_onnx`), the files the served model holds: no TensorFlow is imported.
    The two engines agree to ~1e-5.
    """
    if engine == "onnx":
        return load_onnx_model(Path(model_dir))
    manifest = read_manifest(model_dir)
    return TrainedModel.of(manifest, load_keras_networks(model_dir, manifest))


def load_onnx_model(model_dir: Path) -> TrainedModel:
    """A network's folder run by ONNX Runtime from its ``<weights>.onnx`` files (no TensorFlow)."""
    manifest = read_manifest(model_dir)
    opened: dict[str, Any] = {}
    for file in sorted(set(manifest.weights.values())):
        path = model_dir / onnx_file(file)
        if not path.is_file():
            raise InputDataError(f"{path}: not found (rerun `dvc repro train@{manifest.model}`)")
        try:
            opened[file] = OnnxNetwork(path)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise InputDataError(f"{path}: not a readable ONNX model ({reason})") from None
    return TrainedModel.of(manifest, {part: opened[file] for part, file in manifest.weights.items()})


def _read_model_json(path: Path) -> dict[str, Any]:
    try:
        return read_json(path)
    except FileNotFoundError:
        raise InputDataError(f"{path}: not found (train the model first: dvc repro train)") from None
    except ValueError as exc:
        raise InputDataError(f"{path}: not valid JSON ({exc})") from None


def write_onnx(model_dir: str | Path) -> list[Path]:
    """Export every network of a saved model folder to ONNX beside its weights: one ``<name>.onnx`` per
    distinct weights file ``<name>.weights.h5`` (``global.onnx`` for scope global).

    The networks are read back from the folder (``network.json`` + weights, Keras safe mode), so the
    files are the saved model's; they run with ONNX Runtime alone (:class:`OnnxNetwork`), no
    TensorFlow. Byte-identical for identical weights. About 1.5 s per network (tf2onnx). Returns the
    paths written.
    """
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    networks = load_keras_networks(model_dir, manifest)
    written = []
    for part, file in sorted(manifest.weights.items()):
        path = model_dir / onnx_file(file)
        if path not in written:
            export_onnx(networks[part], path)
            written.append(path)
    return written
