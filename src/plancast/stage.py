"""The common edge of every stage script: its params, its files by catalog, user errors as one line.

``run_stage(name, body)`` loads and validates ``params.yaml``, checks that every input the stage reads
(per :data:`plancast.catalog.STAGES`) exists, and calls ``body(params, io)``. ``params`` is a read-only
view that refuses keys the stage does not declare (the declaration is what DVC reruns the stage on, so
reading an undeclared key would be a silent staleness bug); ``io`` hands out the paths of the stage's
declared artifacts only. With ``PLANCAST_TRACE=<folder>`` set, each run writes what it read and wrote
to ``<folder>/<stage>.json``; the end-to-end test holds that equal to the catalog.
"""

from __future__ import annotations

import json
import os
import sys
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
        return artifact.at(model)

    def read(self, artifact: Artifact, model: str | None = None) -> Path:
        """The path of an input; one line naming the stage to run first if it is missing."""
        path = self._path(artifact, "reads", model)
        if not path.exists():
            raise InputDataError(f"{path}: not found (run `dvc repro {producer(artifact, model)}` first)")
        return path

    def write(self, artifact: Artifact, model: str | None = None) -> Path:
        return self._path(artifact, "writes", model)


def invoke(name: str, body: Callable[[Any, StageIO], None], params: Any, item: str | None = None) -> None:
    """Call a stage body with already loaded ``params`` as :func:`run_stage` would (for tests and tools)."""
    recorder = _Recorder(STAGES[name], item)
    body(ParamsView(params, "", recorder), StageIO(recorder))


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
        body(ParamsView(load_params(path), "", recorder), StageIO(recorder))
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
