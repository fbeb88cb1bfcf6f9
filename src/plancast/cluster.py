"""The one door to Ray: independent fits run as Ray tasks, on a running cluster or on a Ray started here.

Nothing imports Ray but :func:`ray_session`, which a caller enters only under ``train.backend: ray``.
Joining a running cluster (``train.ray_address`` ``auto`` or ``host:port``), the tasks run this
checkout's plancast package, shipped with the job (Ray's ``py_modules``): a node's image brings the
pinned environment (``deploy/Dockerfile``), the driver brings the code, so every node runs the commit
that ``dvc repro`` runs and the results are the same bits as ``local``'s. Each task reports the node it
ran on; how many nodes took part goes to a progress line only, never into an output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from plancast.errors import ParamsError

PACKAGE = Path(__file__).resolve().parent  # what a joined cluster's tasks import as plancast

# One task: the positional and the keyword arguments of its function; an object from
# RaySession.put may stand for an argument (the task gets the value).
Call = tuple[tuple[Any, ...], dict[str, Any]]


def _on_node(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """A task: ``function``'s result with the id of the node that ran it."""
    import ray

    return ray.get_runtime_context().get_node_id(), function(*args, **kwargs)


@dataclass
class RaySession:
    """A connected Ray: put shared values once, run calls as tasks, count the nodes they ran on."""

    ray: ModuleType
    nodes: set[str] = field(default_factory=set)  # ids of the nodes that ran a task of this session

    def put(self, value: Any) -> Any:
        """``value`` in Ray's object store once, for many tasks to read (a node fetches it once)."""
        return self.ray.put(value)

    def run(
        self, function: Callable[..., Any], calls: Sequence[Call], done: Callable[[int, Any], None] | None = None
    ) -> list[Any]:
        """``function(*args, **kwargs)`` of every call, each a task of one CPU spread over the nodes; the
        results in the order of ``calls``. ``done(index, result)`` is called as each task finishes."""
        task = self.ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(_on_node)
        pending = {task.remote(function, *args, **kwargs): index for index, (args, kwargs) in enumerate(calls)}
        results: list[Any] = [None] * len(calls)
        waiting = list(pending)
        while waiting:
            finished, waiting = self.ray.wait(waiting, num_returns=1)
            index = pending[finished[0]]
            node, results[index] = self.ray.get(finished[0])
            self.nodes.add(node)
            if done is not None:
                done(index, results[index])
        return results

    def where(self, count: int, what: str) -> str:
        """``"<count> <what> on <n> Ray node(s)"``, the one line that says where a stage's tasks ran."""
        nodes = len(self.nodes)
        return f"{count} {what} on {nodes} Ray node{'' if nodes == 1 else 's'}"


@contextmanager
def ray_session(address: str) -> Iterator[RaySession]:
    """Ray for the block: ``""`` starts one on this machine with its CPUs, shut down after (Ray's ``local``:
    never a cluster already running here); ``auto`` or ``host:port`` joins a running cluster, left running.
    A Ray this process already started (a test's) is used as it is."""
    try:
        import ray
    except ImportError as exc:
        raise ParamsError("train.backend: ray needs the ray package (pip install ray)") from exc
    started_here = not ray.is_initialized()
    if started_here:
        joined = {"py_modules": [str(PACKAGE)], "excludes": ["__pycache__"]} if address else None
        ray.init(
            address=address or "local", runtime_env=joined, include_dashboard=False, logging_level="ERROR",
            log_to_driver=False,
        )  # fmt: skip
    try:
        yield RaySession(ray)
    finally:
        if started_here:
            ray.shutdown()
