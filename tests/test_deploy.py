"""The Ray cluster recipe (deploy/): the cluster launcher's YAML agrees with Ray's schema, with the image
deploy/Dockerfile builds, with itself (ports, CPUs) and with docs/scale.md's address for `dvc repro`."""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def cluster() -> dict:
    return yaml.safe_load((DEPLOY / "ray-cluster.yaml").read_text(encoding="utf-8"))


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def flag(command: str, name: str) -> str:
    found = re.findall(rf"--{name}=(\S+)", command)
    assert len(found) == 1, f"--{name} in {command!r}"
    return found[0]


def test_the_cluster_runs_the_image_the_dockerfile_builds_from_the_lock():
    tags = re.findall(r"docker build -f deploy/Dockerfile -t (\S+) \.", dockerfile())
    assert tags and tags[0] == cluster()["docker"]["image"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert tags[0] == f"plancast-ray:{project['version']}"
    # Ray refuses a driver on another Python: the image's is the one the project requires (3.11 here)
    python = re.search(r"^FROM python:(\d+)\.(\d+)\.\d+-slim$", dockerfile(), re.MULTILINE)
    assert python and project["requires-python"] == f">={python[1]}.{python[2]},<{python[1]}.{int(python[2]) + 1}"
    steps = [line for line in dockerfile().splitlines() if line.startswith(("COPY", "RUN"))]
    lock = steps.index("RUN pip install --no-cache-dir -r requirements.lock")
    assert steps[lock - 1] == "COPY requirements.lock ./"
    assert steps[-1] == "RUN pip install --no-cache-dir --no-deps ."  # the package, nothing unpinned
    # the build context lets in what the Dockerfile copies, and that only
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    copied = {name for step in steps if step.startswith("COPY") for name in step.split()[1:-1]}
    assert {f"!{name}" for name in copied} <= {line.rstrip("/") for line in ignored} and "*" in ignored


def test_the_workers_join_the_heads_port_and_every_node_offers_cpus():
    config = cluster()
    head, worker = " ".join(config["head_start_ray_commands"]), " ".join(config["worker_start_ray_commands"])
    assert flag(worker, "address") == f"$RAY_HEAD_IP:{flag(head, 'port')}"
    assert int(flag(head, "num-cpus")) >= 1 and int(flag(worker, "num-cpus")) >= 1
    assert flag(head, "include-dashboard") == "false"  # the pinned environment has ray, not ray[default]
    assert config["max_workers"] == len(config["provider"]["worker_ips"])
    assert "--env RAY_AUTH_MODE=token" in config["docker"]["run_options"]


def test_docs_point_dvc_at_the_heads_ray_client_port():
    client = flag(" ".join(cluster()["head_start_ray_commands"]), "ray-client-server-port")
    head = cluster()["provider"]["head_ip"]
    scale = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    assert "ray up deploy/ray-cluster.yaml" in scale
    assert f"train.ray_address=ray://{head}:{client}" in scale


def test_the_cluster_yaml_is_valid_for_rays_cluster_launcher():
    spec = importlib.util.find_spec("ray")
    if spec is None:
        pytest.skip("ray is not installed")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(spec.origin).parent / "autoscaler" / "ray-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(cluster(), schema)
