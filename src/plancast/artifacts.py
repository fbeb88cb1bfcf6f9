"""Reading and writing the files stages hand to each other, byte-stable and never pickled.

- JSON: sorted keys, floats rounded to ``digits`` significant digits, NaN/inf written as null.
- ``.npz``: NumPy's format, but zip entries carry a fixed timestamp (``np.savez`` stamps the current
  time, so two identical runs would give different bytes); loaded with ``allow_pickle=False``.
- Every write goes to a temporary file (or folder) in the same folder and is renamed into place, so a
  failed run never leaves a half-written output behind.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp creates 0600; outputs are ordinary project files
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield an empty folder beside ``path``; it replaces ``path`` (a folder) only if the block succeeds,
    so a failed run leaves the old folder whole and no stale file of an earlier run survives."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        staging.chmod(0o755)  # mkdtemp creates 0700
        yield staging
        if path.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, retired / path.name)
            os.replace(staging, path)
            shutil.rmtree(retired)
        else:
            os.replace(staging, path)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def round_floats(value: Any, digits: int = 6) -> Any:
    """Round every float inside nested dicts/lists to ``digits`` significant digits; NaN/inf -> None."""
    if isinstance(value, Mapping):
        return {str(k): round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_floats(v, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value == 0.0:
            return 0.0
        return float(f"{value:.{digits}g}")
    return value


def write_json(path: str | Path, data: Any, digits: int = 6) -> None:
    """Write ``data`` as stable, human-readable JSON (sorted keys, rounded floats, trailing newline)."""
    text = json.dumps(round_floats(data, digits), indent=2, sort_keys=True, ensure_ascii=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_npz(path: str | Path, **arrays: np.ndarray) -> None:
    """Save arrays like ``np.savez_compressed`` but byte-identical for identical inputs."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            array = np.asarray(arrays[name])
            if array.dtype == object:
                raise TypeError(f"{name}: object arrays would need pickle; use str or numeric dtypes")
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file; pickled object arrays are refused."""
    with np.load(Path(path), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def write_csv(path: str | Path, frame: Any, float_format: str = "%.6g") -> None:
    """Write a pandas frame as CSV without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format=float_format, lineterminator="\n")


def write_parquet(path: str | Path, frame: Any) -> None:
    """Write a pandas frame as Parquet without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")
