"""A real two-node Ray cluster on this machine: per-part training and evaluate run through `dvc repro` on it
write the same files as a local run, and their tasks ran on both nodes.

Two ``ray start`` processes (a head and a second node, one CPU each, each with its own temp dir) stand
for two machines. The tiny project runs ``dvc repro evaluate`` locally first, then again with
``train.backend: ray`` and ``train.ray_address`` at the head: DVC reruns train and evaluate (their params
changed) and dvc.lock's hashes of their outputs must not move. Token authentication is on, with a token
made for the test (Ray's own ``~/.ray/auth_token`` is left alone). Both nodes are stopped by their
process ids at the end, never by ``ray stop``, which would stop every Ray on the machine.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
import yaml
from e2e_project import BIN, Project

pytestmark = [pytest.mark.e2e, pytest.mark.ray]

OVERRIDES = {
    "train.models": ["lstm"],
    "train.scope": "per_part",  # one task per part's network: 3 parts
    "models.lstm.epochs": 1,
    "evaluate.tabular": ["plan_linear", "boosted"],
}
STARTED = "Ray runtime started"
RAN = ("train@lstm", "evaluate")


class Node:
    """``ray start --block`` in its own process: its node's processes live and die with it."""

    def __init__(self, args: list[str], temp_dir: Path, env: dict[str, str]) -> None:
        temp_dir.mkdir()
        command = [str(BIN / "ray"), "start", "--block", "--num-cpus=1", f"--temp-dir={temp_dir}", *args]
        command += ["--node-ip-address=127.0.0.1"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.started = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:  # drained to the end, so the pipe never fills
        for line in self.process.stdout:
            self.lines.append(line)
            if STARTED in line:
                self.started.set()

    def wait_started(self, timeout: float = 90) -> None:
        if not self.started.wait(timeout):
            raise AssertionError("ray start did not start:\n" + "".join(self.lines))

    def stop(self) -> None:
        """SIGTERM: ``ray start --block`` stops its node's processes, then itself; SIGKILL if it lingers."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def output_hashes(project: Project) -> dict[str, dict[str, str]]:
    """dvc.lock's md5 of every output of train@lstm and evaluate (a folder's covers each file in it)."""
    lock = yaml.safe_load((project.path / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    return {stage: {out["path"]: out["md5"] for out in lock[stage]["outs"]} for stage in RAN}


def test_training_and_evaluate_on_a_two_node_cluster_write_the_same_files_as_local(tmp_path):
    pytest.importorskip("ray")
    project = Project.create(tmp_path / "project", OVERRIDES)
    ray_env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_USAGE_STATS_ENABLED": "0"}
    project.env.update(ray_env)
    # The nodes' workers import this checkout's plancast from what the stage ships them, not from a path.
    node_env = {key: value for key, value in {**os.environ, **ray_env}.items() if key != "PYTHONPATH"}
    # Ray's socket paths live under the temp dir and must stay under 108 characters: a short one in /tmp.
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    port = free_port()
    nodes: list[Node] = []
    try:
        # Every fixed port of a head on a free one: another Ray on this machine may hold the defaults.
        head_args = ["--head", f"--port={port}", f"--ray-client-server-port={free_port()}", "--include-dashboard=false"]
        head = Node(head_args, temp / "head", node_env)
        nodes.append(head)
        project.repro("evaluate")  # local, while the head starts
        local = output_hashes(project)
        head.wait_started()
        second = Node([f"--address=127.0.0.1:{port}", '--resources={"second": 1}'], temp / "second", node_env)
        nodes.append(second)
        second.wait_started()

        project.set_params({"train.backend": "ray", "train.ray_address": f"127.0.0.1:{port}"})
        out = project.dvc("repro", "evaluate").stdout
        assert set(re.findall(r"Running stage '([^']+)'", out)) == set(RAN), out
        assert "lstm 3 networks on 2 Ray nodes" in out, out
        assert re.search(r"^evaluate: \d+ fits on 2 Ray nodes$", out, re.MULTILINE), out
        assert output_hashes(project) == local
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(temp, ignore_errors=True)
