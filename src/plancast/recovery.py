"""Put the last good state back after a failed or killed run: ``python -m plancast.recovery``.

DVC deletes a stage's outputs before running it. Outputs kept in DVC's cache come back with
``dvc checkout``, but the small results committed to git (metrics, reports, figures: ``cache: false``
in :mod:`plancast.catalog`) do not, and a killed run can leave half-built model folders, DVC's
read/write lock and even a running stage behind. This module restores all of it from the last commit:

1. stops this project's own processes that still run: ``kill -9`` of ``dvc`` alone leaves its stage
   (``python stages/<stage>.py``) running and writing, and it would overwrite what restore puts back;
2. removes leftover temporary files and folders of our atomic writes (``.<name>.*.tmp``/``.old``);
3. clears DVC's stage lock (``.dvc/tmp/rwlock``);
4. ``git checkout HEAD --`` every git-tracked output and ``dvc.lock``;
5. ``dvc checkout --force`` for the cached outputs;
6. hashes every cached output in the workspace and compares it with ``dvc.lock``, and re-checks out
   what differs (see "Verifying" below).

Afterwards ``dvc status`` reports what differs from the last commit, which after a killed run of
committed code and params is nothing.

**Which processes are this project's own** (step 1), and how they are stopped, is told in
:mod:`plancast.processes`; one that will not stop stops restore with an error, and DVC's lock is kept.

**Verifying** (step 6): DVC trusts its cache and its record of what it checked out (inode, mtime,
size), so a corrupted object in ``.dvc/cache`` that ``dvc checkout`` copied into the workspace passes
``dvc status`` and only shows as the next stage's traceback. Restore hashes the workspace itself, with
DVC's own hash functions (``dvc_data``: the file's md5, and for a folder the md5 of its ``.dir``
listing), so the values are the ones ``dvc.lock`` holds. For each output that differs it checks the
cache objects it would be restored from: a corrupted one (its md5 is not its name) is removed and said
so; the output is then checked out again from the cache or, when the cache has no good copy, rebuilt
with ``dvc repro --single-item <stage>``. ``.dvcignore`` patterns inside an output folder are not
applied (the project's ``.dvcignore`` has none).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from dvc_data.hashfile.hash import file_md5
from dvc_data.hashfile.hash_info import HashInfo
from dvc_data.hashfile.meta import Meta
from dvc_data.hashfile.tree import Tree

from plancast.catalog import STAGES
from plancast.errors import PlancastError
from plancast.processes import stop_project_processes

_LEFTOVER_SUFFIXES = (".tmp", ".old")


def _output_roots() -> list[Path]:
    return sorted({Path(artifact.path.split("/{model}")[0]).parts[0] for s in STAGES.values() for artifact in s.writes})


def _committed_paths() -> set[str]:
    """The outputs committed to git (``cache: false``): a file, or the folder of all models."""
    return {a.path.split("/{model}")[0] for spec in STAGES.values() for a in spec.writes if not a.cache}


def leftovers(root: Path) -> list[Path]:
    """Temporary files and folders our atomic writes leave when killed: ``.<name>.<random>.tmp|.old``."""
    found = []
    for top in _output_roots():
        folder = root / top
        if folder.is_dir():
            found += [p for p in folder.rglob(".*") if p.name.endswith(_LEFTOVER_SUFFIXES) and p.name.count(".") >= 2]
    return sorted(found)


def tracked_outputs(root: Path) -> list[str]:
    """The outputs committed to git (``cache: false`` in the catalog) that git knows, plus ``dvc.lock``."""
    paths = ["dvc.lock", *sorted(_committed_paths())]
    listed = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    return [path for path in listed if path]


def clear_stage_lock(root: Path) -> list[str]:
    """Remove DVC's rwlock (its holders are stopped by now); one line naming what held it, if anything did."""
    lock = root / ".dvc" / "tmp" / "rwlock"
    if not lock.exists():
        return []
    try:
        entries = json.loads(lock.read_text(encoding="utf-8") or "{}")
        holders = [
            *entries.get("write", {}).values(),
            *(i for infos in entries.get("read", {}).values() for i in infos),
        ]
    except (json.JSONDecodeError, AttributeError, TypeError):
        holders = [{"pid": "?", "cmd": "unreadable lock file"}]
    lock.unlink()
    named = sorted({f"`{_dvc_command(info.get('cmd', '?'))}` (pid {info.get('pid', '?')})" for info in holders})
    return [f"cleared DVC's stage lock left by {', '.join(named)}"] if named else []


def _dvc_command(recorded: str) -> str:
    """DVC records ``sys.argv`` joined: ``/…/bin/dvc repro`` or ``/…/dvc/__main__.py repro`` read as ``dvc repro``."""
    program, _, rest = recorded.partition(" ")
    if Path(program).name == "dvc" or program.endswith(("dvc/__main__.py", "dvc\\__main__.py")):
        program = "dvc"
    return f"{program} {rest}".strip()


# --- 6. the workspace against dvc.lock -------------------------------------------------------------


@dataclass(frozen=True)
class LockedOutput:
    """A cached output as ``dvc.lock`` records it: ``md5`` ends in ``.dir`` for a folder."""

    stage: str
    path: str
    hash_name: str  # "md5", or "md5-dos2unix" for outputs recorded by DVC 2
    md5: str

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


def locked_outputs(root: Path) -> list[LockedOutput]:
    """Every output of ``dvc.lock`` kept in DVC's cache (the git-tracked ones are restored by git), in stage order."""
    lock_file = root / "dvc.lock"
    if not lock_file.is_file():
        return []
    lock = yaml.safe_load(lock_file.read_text(encoding="utf-8")) or {}
    committed = _committed_paths()
    found = []
    for stage, entry in (lock.get("stages") or {}).items():
        for out in entry.get("outs") or []:
            path = out["path"]
            if "md5" in out and not any(path == c or path.startswith(f"{c}/") for c in committed):
                # DVC 3 writes `hash: md5`; an entry without it is DVC 2's text-normalised md5
                found.append(LockedOutput(stage, path, out.get("hash", "md5-dos2unix"), out["md5"]))
    return found


def folder_files(folder: Path, hash_name: str) -> dict[str, str]:
    """Each file under ``folder`` by its relative POSIX path, with its md5 as DVC computes it."""
    return {
        path.relative_to(folder).as_posix(): file_md5(str(path), name=hash_name)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def folder_md5(files: dict[str, str], hash_name: str) -> str:
    """The ``<md5>.dir`` DVC records for a folder holding ``files``: the md5 of its sorted JSON listing."""
    tree = Tree()
    for relpath, md5 in files.items():
        tree.add(tuple(relpath.split("/")), Meta(), HashInfo(hash_name, md5))
    tree.digest()
    return tree.hash_info.value


def workspace_md5(root: Path, out: LockedOutput) -> str | None:
    """The output's hash in the workspace, computed from its bytes (never from DVC's record); None if missing."""
    path = root / out.path
    if out.is_dir:
        return folder_md5(folder_files(path, out.hash_name), out.hash_name) if path.is_dir() else None
    return file_md5(str(path), name=out.hash_name) if path.is_file() else None


def _cache_object(cache: Path, hash_name: str, md5: str) -> Path:
    folder = cache / "files" / "md5" if hash_name == "md5" else cache  # DVC 2 kept objects at the top
    return folder / md5[:2] / md5[2:]


@dataclass
class _Repair:
    """What restoring one damaged output takes: workspace files to delete, and whether the cache can do it."""

    out: LockedOutput
    found: str | None  # its md5 in the workspace; None when missing
    stale: list[str]  # what to delete first: the file, or a folder's files that differ or are not listed
    restorable: bool = True
    differ: tuple[str, ...] = ()  # a folder's files that differ from its listing, relative to the folder

    def reason(self) -> str:
        if self.found is None:
            return "it was missing"
        if self.differ:
            return f"{', '.join(self.differ)} did not match dvc.lock"
        return f"its md5 {self.found} is not dvc.lock's {self.out.md5}"


def _check_object(root: Path, cache: Path, hash_name: str, md5: str, holds: str, lines: list[str]) -> bool:
    """Whether the cache holds a good copy of ``md5``; a corrupted one is removed and said so."""
    obj = _cache_object(cache, hash_name, md5)
    if not obj.is_file():
        return False
    # a `.dir` listing is JSON, hashed as DVC hashes it: plain md5
    actual = file_md5(str(obj), name="md5" if md5.endswith(".dir") else hash_name)
    if actual == md5.removesuffix(".dir"):
        return True
    obj.chmod(0o644)  # DVC keeps cache objects read-only
    obj.unlink()
    shown = obj.relative_to(root) if obj.is_relative_to(root) else obj
    lines.append(f"removed {shown} from DVC's cache: its copy of {holds} was corrupted (md5 {actual})")
    return False


def _plan_repair(root: Path, cache: Path, out: LockedOutput, found: str | None, lines: list[str]) -> _Repair:
    whole = [out.path] if (root / out.path).exists() else []
    if not out.is_dir:
        return _Repair(out, found, whole, _check_object(root, cache, out.hash_name, out.md5, out.path, lines))
    if not _check_object(root, cache, out.hash_name, out.md5, f"{out.path}'s listing", lines):
        return _Repair(out, found, whole, restorable=False)
    listing = _cache_object(cache, out.hash_name, out.md5).read_text(encoding="utf-8")
    listed = {entry["relpath"]: entry["md5"] for entry in json.loads(listing)}
    folder = root / out.path
    present = folder_files(folder, out.hash_name) if folder.is_dir() else {}
    differ = sorted(rel for rel in listed.keys() | present.keys() if listed.get(rel) != present.get(rel))
    # only the files that differ go: the others' cache objects were not checked, their workspace copies were
    checks = [
        _check_object(root, cache, out.hash_name, listed[rel], f"{out.path}/{rel}", lines)
        for rel in differ
        if rel in listed
    ]
    return _Repair(out, found, [f"{out.path}/{rel}" for rel in differ if rel in present], all(checks), tuple(differ))


def _remove(root: Path, paths: list[str]) -> None:
    for name in paths:
        path = root / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def repair_outputs(root: Path, dvc: str = "dvc") -> Iterator[str]:
    """Re-check out (or rebuild) every cached output whose workspace bytes differ from ``dvc.lock``; one line each."""
    root = root.resolve()
    damaged = [(out, found) for out in locked_outputs(root) if (found := workspace_md5(root, out)) != out.md5]
    if not damaged:
        return
    cache_dir = subprocess.run([dvc, "cache", "dir"], cwd=root, capture_output=True, text=True, check=True)
    cache = (root / cache_dir.stdout.strip()).resolve()
    removed: list[str] = []
    repairs = [_plan_repair(root, cache, out, found, removed) for out, found in damaged]
    yield from removed
    for repair in repairs:
        _remove(root, repair.stale)
    from_cache = [r for r in repairs if r.restorable]
    if from_cache:
        subprocess.run([dvc, "checkout", "--force", "--quiet", *(r.out.path for r in from_cache)], cwd=root, check=True)
        yield from (f"re-checked out {r.out.path} from DVC's cache: {r.reason()}" for r in from_cache)
    for stage in dict.fromkeys(r.out.stage for r in repairs if not r.restorable):
        # --quiet keeps DVC's own lines out; the stage still prints its summary
        subprocess.run([dvc, "repro", "--quiet", "--single-item", stage], cwd=root, check=True)
        for r in repairs:
            if r.out.stage == stage and not r.restorable:
                differs = workspace_md5(root, r.out) != r.out.md5
                note = "; the new one differs from the last commit's: `dvc status` lists what depends on it"
                yield (
                    f"rebuilt {r.out.path} with `dvc repro --single-item {stage}` ({r.reason()} and DVC's cache "
                    f"held no good copy){note if differs else ''}"
                )


def restore(root: Path = Path("."), dvc: str = "dvc") -> Iterator[str]:
    """Restore the last committed results in ``root``, saying one line per action as it is done."""
    yield from stop_project_processes(root)
    for path in leftovers(root):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        yield f"removed leftover {path.relative_to(root)}"
    yield from clear_stage_lock(root)
    tracked = tracked_outputs(root)
    if tracked:
        subprocess.run(["git", "checkout", "HEAD", "--", *tracked], cwd=root, check=True)
        yield f"restored {len(tracked)} git-tracked output(s) and dvc.lock from the last commit"
    subprocess.run([dvc, "checkout", "--force", "--quiet"], cwd=root, check=True)
    yield "restored the cached outputs with dvc checkout"
    yield from repair_outputs(root, dvc)


def main() -> int:
    try:
        for line in restore(dvc=str(Path(sys.executable).with_name("dvc"))):
            print(line, flush=True)  # before the output of the next dvc command
    except subprocess.CalledProcessError as exc:
        print(f"error: `{' '.join(map(str, exc.cmd))}` failed with status {exc.returncode}", file=sys.stderr)
        return 2
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
