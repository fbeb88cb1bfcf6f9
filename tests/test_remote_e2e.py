"""End to end: sharing results through DVC remotes, with the real git, dvc and an S3-compatible server.

The session's tiny first run (a copy, committed) is given one experiment (`dvc exp run --temp`) and a git
remote (a bare repository, as GitHub would be). HOME points into the test's folder, so the committed
default remote `~/.local/share/plancast/dvc-remote` resolves there, in the project and in every clone.

- the default folder remote: `./dev.sh pull` (what the PR workflow runs) skips it before it exists;
  `./dev.sh push` creates it; a fresh clone pulls in seconds and `dvc repro` then runs nothing;
  `dvc exp push`/`exp pull` carry the experiment and its data; `dvc artifacts get` serves a model;
- a real S3-compatible server (moto's, on a free port for this module; skipped only without moto): the
  README's team remote (`endpointurl` committed, credentials in `.dvc/config.local` on one side and in
  the environment on the other), push, a clone that pulls through `./dev.sh pull`, exp push/pull.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from e2e_project import Project

pytestmark = pytest.mark.e2e

EXPERIMENT = "ridge-half"  # only `evaluate` reruns: new cached outputs for exp push/pull to carry
MACHINE_REMOTE = Path(".local/share/plancast/dvc-remote")  # under HOME, as .dvc/config says with `~`
PULL_SECONDS = 30  # "in seconds": the tiny project's ~20 files; a recompute takes about a minute
BUCKET = "plancast-e2e"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def isolated_env(env: dict, home: Path) -> dict:
    """``env`` with its own HOME (the `~` of the default remote) and no AWS settings of the machine's."""
    return {**{k: v for k, v in env.items() if not k.startswith("AWS_")}, "HOME": str(home)}


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("plancast_origin") / "plancast.git"


@pytest.fixture(scope="module")
def project(first_run, tmp_path_factory, origin) -> Project:
    root = tmp_path_factory.mktemp("plancast_remote")
    project = first_run[0].copy_to(root / "project")  # the session's tiny first run, committed
    project.env = isolated_env(project.env, root / "home")
    project.dvc("exp", "run", "--temp", "--name", EXPERIMENT, "-S", "evaluate.ridge_alpha=0.5")
    project.run("git", "init", "-q", "--bare", "-b", "main", str(origin))
    project.run("git", "remote", "add", "origin", str(origin))
    project.run("git", "push", "-q", "origin", "main")
    return project


def clone(project: Project, origin: Path, dest: Path, home: Path, extra_env: dict | None = None) -> Project:
    project.run("git", "clone", "-q", str(origin), str(dest))
    copy = Project(dest)
    copy.env = {**isolated_env(copy.env, home), **(extra_env or {})}
    return copy


def home_of(project: Project) -> Path:
    return Path(project.env["HOME"])


def lock_outputs(project: Project) -> list[str]:
    """Every output path dvc.lock records (cached data and models, git-tracked results)."""
    lock = yaml.safe_load((project.path / "dvc.lock").read_text(encoding="utf-8"))
    return sorted(out["path"] for stage in lock["stages"].values() for out in stage.get("outs", []))


def tree(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def assert_same_outputs(copy: Project, project: Project) -> None:
    outputs = lock_outputs(project)
    assert "models/lstm" in outputs and "data/windows/windows.npz" in outputs
    for out in outputs:
        assert (copy.path / out).exists(), f"{out} not restored"
        assert tree(copy.path / out) == tree(project.path / out), out


def timed(action) -> tuple[object, float]:
    start = time.monotonic()
    result = action()
    return result, time.monotonic() - start


def test_default_remote_is_one_folder_for_every_clone_on_the_machine(project, origin, tmp_path):
    first = clone(project, origin, tmp_path / "first", home_of(project))
    # the PR workflow's pull on a runner, or a machine's first clone: nothing to pull from yet
    skipped = first.run("./dev.sh", "pull").stdout
    assert skipped.startswith("pull: skipped: remote 'machine'") and "does not exist yet" in skipped
    assert not (first.path / "models" / "lstm").exists()

    assert not (home_of(project) / MACHINE_REMOTE).exists()
    project.run("./dev.sh", "push")
    assert (home_of(project) / MACHINE_REMOTE / "files" / "md5").is_dir()
    assert not project.run("git", "status", "--porcelain").stdout  # the remote is outside the project

    fresh = clone(project, origin, tmp_path / "fresh", home_of(project))
    pulled, seconds = timed(lambda: fresh.run("./dev.sh", "pull"))
    assert "fetched" in pulled.stdout, pulled.stdout
    assert seconds < PULL_SECONDS, f"pull took {seconds:.1f} s"
    assert_same_outputs(fresh, project)
    assert fresh.repro() == set()  # every stage restored, none rerun
    assert not fresh.run("git", "status", "--porcelain").stdout


def test_exp_push_and_pull_carry_an_experiment_with_its_data(project, origin, tmp_path):
    project.dvc("exp", "push", "origin", EXPERIMENT)  # git refs to origin, data to the default remote
    teammate = clone(project, origin, tmp_path / "teammate", home_of(project))
    teammate.dvc("exp", "pull", "origin", EXPERIMENT)
    teammate.dvc("exp", "apply", EXPERIMENT)
    assert teammate.params()["evaluate"]["ridge_alpha"] == 0.5
    numstat = teammate.run("git", "diff", "--numstat", "params.yaml").stdout
    assert numstat.split() == ["1", "1", "params.yaml"]  # params.yaml is in the form DVC writes
    assert teammate.dvc("status", "--json").stdout.strip() == "{}"  # its outputs came with it
    assert teammate.repro() == set()


def test_artifacts_get_serves_a_registered_model_from_the_remote(project, origin, tmp_path):
    project.run("./dev.sh", "push")
    # what `gto register plancast-lstm` writes: an annotated tag <artifact>@v<semver>
    project.run("git", "tag", "-a", "plancast-lstm@v0.1.0", "-m", "Registering artifact plancast-lstm version v0.1.0")
    project.run("git", "push", "-q", "origin", "plancast-lstm@v0.1.0")
    served = tmp_path / "serving" / "lstm"
    # from the bare repository: no workspace, no cache, so the files come from the remote
    project.dvc("artifacts", "get", str(origin), "plancast-lstm", "-o", str(served))
    assert tree(served) == tree(project.path / "models" / "lstm")
    assert {"manifest.json", "network.json", "training.json"} <= set(tree(served))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's standalone S3-compatible server on a free local port, for this module; stopped after."""
    pytest.importorskip("moto.server", reason="moto[server] (the dev extra) is not installed: no S3 server to test")
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"moto server did not start on {url}:\n{log.read()[-2000:]}")
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def bucket_keys(endpoint: str) -> list[str]:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    if BUCKET not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_team_remote_on_an_s3_compatible_server(project, origin, s3_endpoint, tmp_path):
    assert bucket_keys(s3_endpoint) == []  # creates the bucket
    # the README's recipe: the remote committed with its endpoint, credentials in the git-ignored
    # config.local beside a whole copy of the remote (DVC merges config.local into every revision it
    # reads; credentials alone there make the commits before the remote unreadable)
    for scope in ((), ("--local", "-f")):
        project.dvc("remote", "add", *scope, "team", f"s3://{BUCKET}/plancast")
        project.dvc("remote", "modify", *scope[:1], "team", "endpointurl", s3_endpoint)
    project.dvc("remote", "default", "team")
    for key, env in (("access_key_id", "AWS_ACCESS_KEY_ID"), ("secret_access_key", "AWS_SECRET_ACCESS_KEY")):
        project.dvc("remote", "modify", "--local", "team", key, DUMMY_CREDENTIALS[env])
    assert project.run("git", "status", "--porcelain").stdout.split() == ["M", ".dvc/config"]
    assert "testing" not in (project.path / ".dvc" / "config").read_text(encoding="utf-8")
    project.commit("team remote")
    project.run("git", "push", "-q", "origin", "main")
    assert project.dvc("params", "diff", "HEAD~1").stdout == ""  # the commit before the remote still reads

    project.run("./dev.sh", "push")
    # an experiment's data goes where the remote of its own commit points: one made on this commit
    project.dvc("exp", "run", "--temp", "--name", "ridge-quarter", "-S", "evaluate.ridge_alpha=0.25")
    project.dvc("exp", "push", "origin", "ridge-quarter")
    keys = bucket_keys(s3_endpoint)
    assert any(key.startswith("plancast/files/md5/") for key in keys)
    assert any(key.startswith("plancast/runs/") for key in keys)  # the run-cache, for CI's `dvc repro`

    # a CI runner: credentials in the environment, no folder remote, an empty cache
    runner = clone(project, origin, tmp_path / "runner", tmp_path / "runner-home", DUMMY_CREDENTIALS)
    pulled, seconds = timed(lambda: runner.run("./dev.sh", "pull"))
    assert "fetched" in pulled.stdout, pulled.stdout
    assert seconds < PULL_SECONDS, f"pull took {seconds:.1f} s"
    assert_same_outputs(runner, project)
    assert runner.repro() == set()

    runner.dvc("exp", "pull", "origin", "ridge-quarter")
    runner.dvc("exp", "apply", "ridge-quarter")
    assert runner.params()["evaluate"]["ridge_alpha"] == 0.25
    assert runner.dvc("status", "--json").stdout.strip() == "{}"
