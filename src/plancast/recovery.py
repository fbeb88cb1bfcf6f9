"""Put the last good state back after a failed or killed run: ``python -m plancast.recovery``.

DVC deletes a stage's outputs before running it. Outputs kept in DVC's cache come back with
``dvc checkout``, but the small results committed to git (metrics, reports, figures: ``cache: false``
in :mod:`plancast.catalog`) do not, and a killed run can leave half-built model folders and DVC's
read/write lock behind. This module restores all of it from the last commit:

1. removes leftover temporary files and folders of our atomic writes (``.<name>.*.tmp``/``.old``);
2. clears DVC's stage lock file when no DVC process is running any more;
3. ``git checkout HEAD --`` every git-tracked output and ``dvc.lock``;
4. ``dvc checkout --force`` for the cached outputs.

Afterwards ``dvc status`` reports what differs from the last commit, which after a killed run of
committed code and params is nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from plancast.catalog import STAGES

_LEFTOVER_SUFFIXES = (".tmp", ".old")


def _output_roots() -> list[Path]:
    return sorted({Path(artifact.path.split("/{model}")[0]).parts[0] for s in STAGES.values() for artifact in s.writes})


def leftovers(root: Path) -> list[Path]:
    """Temporary files and folders our atomic writes leave when killed: ``.<name>.<random>.tmp|.old``."""
    found = []
    for top in _output_roots():
        folder = root / top
        if folder.is_dir():
            found += [p for p in folder.rglob(".*") if p.name.endswith(_LEFTOVER_SUFFIXES) and p.name.count(".") >= 2]
    return sorted(found)


def _dvc_running() -> bool:
    result = subprocess.run(["pgrep", "-f", r"dvc (repro|exp)"], capture_output=True, text=True, check=False)
    return result.returncode == 0


def tracked_outputs(root: Path) -> list[str]:
    """The outputs committed to git (``cache: false`` in the catalog) that git knows, plus ``dvc.lock``."""
    committed = {a.path.split("/{model}")[0] for spec in STAGES.values() for a in spec.writes if not a.cache}
    paths = ["dvc.lock", *sorted(committed)]
    listed = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    return [path for path in listed if path]


def restore(root: Path = Path("."), dvc: str = "dvc") -> list[str]:
    """Restore the last committed results in ``root``; returns one line per action taken."""
    done = []
    for path in leftovers(root):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        done.append(f"removed leftover {path.relative_to(root)}")
    lock = root / ".dvc" / "tmp" / "rwlock"
    if lock.exists() and not _dvc_running():
        lock.unlink()
        done.append("cleared DVC's stage lock (no DVC process is running)")
    tracked = tracked_outputs(root)
    if tracked:
        subprocess.run(["git", "checkout", "HEAD", "--", *tracked], cwd=root, check=True)
        done.append(f"restored {len(tracked)} git-tracked output(s) and dvc.lock from the last commit")
    subprocess.run([dvc, "checkout", "--force", "--quiet"], cwd=root, check=True)
    done.append("restored the cached outputs with dvc checkout")
    return done


def main() -> int:
    try:
        for line in restore(dvc=str(Path(sys.executable).with_name("dvc"))):
            print(line)
    except subprocess.CalledProcessError as exc:
        print(f"error: `{' '.join(map(str, exc.cmd))}` failed with status {exc.returncode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
