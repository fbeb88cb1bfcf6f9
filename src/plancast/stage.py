"""The common edge of every stage script: its params, its files by catalog, user errors as one line.

``run_stage(name, body)`` loads and validates ``params.yaml``, checks that every input the stage reads
(per :data:`plancast.catalog.STAGES`) exists, and calls ``body(params, io)``. ``params`` is a read-only
view that refuses keys the stage does not declare (the declaration is what DVC reruns the stage on, so
reading an undeclared key would be a silent staleness bug); ``io`` hands out the paths of the stage's
declared artifacts only. With ``PLANCAST_TRACE=<folder>`` set, each run writes what it read and wrote
to ``<folder>/<stage>.json``; the end-to-end test holds that equal to the catalog.

Files are the other errors a user causes, so they are turned into one line here, once for all stages:
an input that is not what its format says (a garbage Parquet, ``.npz`` or JSON file) names the file and
the stage that makes it again, before the stage reads it; an output the OS refuses to write (a read-only
folder, a full disk) names the path and the OS's reason. Outputs are written to a temporary file beside
them and renamed (:mod:`plancast.artifacts`), so a refused write loses nothing already there.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from plancast.catalog import STAGES, Artifact, StageSpec, producer
from plancast.errors import InputDataError, PlancastError
from plancast.params import PARAMS_FILE, load_params

EXIT_USER_ERROR = 2
TRACE_ENV = "PLANCAST_TRACE"


class _Recorder:
    def __init__(self, spec: StageSpec, item: str | None) -> None:
        self.spec = spec
        self.declared = [key.replace("${item}", item or "${item}") for key in spec.params]
        self.params: set[str] = set()
        self.paths: dict[str, set[str]] = {"reads": set(), "writes": set()}
        self.files: dict[str, set[Path]] = {"reads": set(), "writes": set()}  # with the model filled in

    def read_param(self, key: str) -> None:
        if not any(key == d or key.startswith(f"{d}.") or d.startswith(f"{key}.") for d in self.declared):
            raise RuntimeError(
                f"stage {self.spec.name} reads params key {key!r}, which plancast.catalog does not declare"
            )
        self.params.add(key)


class ParamsView:
    """Read-only attribute access to a params section that records every key it hands out."""

    def __init__(self, node: Any, key: str, recorder: _Recorder) -> None:
        self._node, self._key, self._recorder = node, key, recorder

    def __getattr__(self, name: str) -> Any:
        return _view(getattr(self._node, name), f"{self._key}.{name}" if self._key else name, self._recorder)

    def __getitem__(self, name: str) -> Any:
        return _view(self._node[name], f"{self._key}.{name}", self._recorder)

    def __contains__(self, name: object) -> bool:
        return name in self._node

    def __iter__(self) -> Iterator[Any]:
        self._recorder.read_param(self._key)
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)


def unwrap(view: Any) -> Any:
    """The params section behind a view (recorded as read whole), to hand to the library."""
    if isinstance(view, ParamsView):
        view._recorder.read_param(view._key)
        return view._node
    return view


def _view(value: Any, key: str, recorder: _Recorder) -> Any:
    if isinstance(value, BaseModel | Mapping):
        return ParamsView(value, key, recorder)
    recorder.read_param(key)
    return value


class StageIO:
    """The paths of one stage's declared artifacts; anything else is a bug in the stage script."""

    def __init__(self, recorder: _Recorder) -> None:
        self._recorder = recorder

    def _path(self, artifact: Artifact, side: str, model: str | None) -> Path:
        spec = self._recorder.spec
        if artifact not in getattr(spec, side):
            raise RuntimeError(f"stage {spec.name} {side} {artifact.path}, which plancast.catalog does not declare")
        self._recorder.paths[side].add(artifact.path)
        self._recorder.files[side].add(artifact.at(model))
        return artifact.at(model)

    def read(self, artifact: Artifact, model: str | None = None) -> Path:
        """The path of an input; one line naming the stage to run first if it is missing or not a file
        of its format (cut short, overwritten: :func:`format_problem`)."""
        path = self._path(artifact, "reads", model)
        if not path.exists():
            raise InputDataError(f"{path}: not found (run `dvc repro {producer(artifact, model)}` first)")
        problem = format_problem(path, artifact.format)
        if problem:
            raise InputDataError(f"{path}: {problem}; rerun `dvc repro {producer(artifact, model)}`")
        return path

    def write(self, artifact: Artifact, model: str | None = None) -> Path:
        return self._path(artifact, "writes", model)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def format_problem(path: Path, fmt: str) -> str | None:
    """Why ``path`` is not a readable file of format ``fmt`` (parquet, npz, json, csv), or None.

    Cheap checks of what makes each format: a Parquet footer, a zip of ``.npy`` headers, JSON text, UTF-8
    CSV text; others (folders, models) are their loaders' to check.
    """
    if not path.is_file():
        return None if fmt in ("folder", "xls", "xlsx", "png") else "is not a file"
    try:
        if fmt == "parquet":
            import pyarrow.parquet

            pyarrow.parquet.ParquetFile(path).close()
        elif fmt == "npz":
            import numpy as np

            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if not name.endswith(".npy"):
                        return f"is not a NumPy .npz file (it holds {name!r})"
                    with archive.open(name) as member:  # the header (shape, dtype), not the data
                        version = np.lib.format.read_magic(member)
                        if version == (1, 0):
                            np.lib.format.read_array_header_1_0(member)
                        elif version == (2, 0):
                            np.lib.format.read_array_header_2_0(member)
        elif fmt == "json":
            json.loads(path.read_text(encoding="utf-8"))
        elif fmt == "csv":
            with path.open(encoding="utf-8") as text:
                for _ in text:  # decodes it all, a line at a time
                    pass
    except OSError:
        raise  # permissions, a vanished disk: the OS's reason, named by _call, not "rerun the producer"
    except Exception as exc:  # each reader has its own error types (ArrowInvalid, BadZipFile, JSONDecodeError)
        return f"is not a readable {fmt} file ({type(exc).__name__}: {_one_line(exc)})"
    return None


_OUT_OF_SPACE = tuple(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS") if hasattr(errno, name))


def _os_error_line(exc: OSError, recorder: _Recorder) -> str | None:
    """The one line of an OS error on a declared input or output of the stage, or None (not ours to name).

    The failing path may be the file itself, the temporary file beside it (``.<name>.<random>.tmp``), a
    file inside a folder output, or a folder above it that could not be made.
    """
    reason = exc.strerror or _one_line(exc)
    names = [name for name in (exc.filename, exc.filename2) if name is not None]
    for side, verb in (("writes", "written"), ("reads", "read")):
        for declared in sorted(recorder.files[side]):
            target = declared.absolute()
            for name in names:
                failed = Path(os.fsdecode(name)).absolute()
                temporary = failed.parent == target.parent and failed.name.startswith(f".{target.name}.")
                if failed == target or temporary or target in failed.parents or failed in target.parents:
                    return f"{declared}: cannot be {verb} ({reason})"
    if not names and exc.errno in _OUT_OF_SPACE and recorder.files["writes"]:
        return f"stage {recorder.spec.name}: its outputs cannot be written ({reason})"
    return None


def _call(body: Callable[[Any, StageIO], None], params: Any, recorder: _Recorder) -> None:
    """``body(params, io)``, an OS error on one of the stage's files raised as one line (InputDataError)."""
    try:
        body(ParamsView(params, "", recorder), StageIO(recorder))
    except OSError as exc:
        line = _os_error_line(exc, recorder)
        if line is None:
            raise
        raise InputDataError(line) from None


def invoke(name: str, body: Callable[[Any, StageIO], None], params: Any, item: str | None = None) -> None:
    """Call a stage body with already loaded ``params`` as :func:`run_stage` would (for tests and tools)."""
    _call(body, params, _Recorder(STAGES[name], item))


def run_stage(
    name: str, body: Callable[[Any, StageIO], None], item: str | None = None, params_path: str | Path | None = None
) -> None:
    """Validate ``params.yaml`` and call ``body(params, io)`` for stage ``name`` of the catalog.

    ``item``: the foreach item (the model of train@<model>). A :class:`PlancastError` prints
    ``error: <one line>`` to stderr and exits with status 2; other exceptions propagate with their
    traceback, since they are bugs.
    """
    path = params_path or os.environ.get("PLANCAST_PARAMS", PARAMS_FILE)
    recorder = _Recorder(STAGES[name], item)
    try:
        _call(body, load_params(path), recorder)
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    trace = os.environ.get(TRACE_ENV)
    if trace:
        record = {
            "stage": name,
            "item": item,
            "params": sorted(recorder.params),
            **{side: sorted(paths) for side, paths in recorder.paths.items()},
        }
        target = Path(trace) / f"{name}{'@' + item if item else ''}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
