"""Which files ``ingest.source`` names: one file, or a folder's files matching ``ingest.pattern``.

- Every file read must lie inside the project folder (the working directory, the repo root under DVC)
  after globbing and resolving links; anything else is refused before a byte of it is read, so a link
  to a file elsewhere can never show up in an output or an error message.
- A folder's files are read in natural order of their paths: digit runs compare as numbers, so
  ``export_9`` comes before ``export_10`` (plain text order would put it after, and ``file_order: name``
  would let the older revision win); ``export_09`` and ``export_9`` tie and then go by text.
- Hidden files (``.name``) and Excel lock files (``~$name``) in a source folder are skipped; the folder
  is searched recursively only when ``pattern`` says so (``**/``).

What each file holds is read by :mod:`plancast.data.reading`.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from plancast.data.reading import one_line
from plancast.errors import InputDataError, ParamsError
from plancast.params_ingest import pattern_problem


def inside_root(file: str | Path, root: str | Path | None = None) -> bool:
    """Whether ``file``, links resolved, lies inside ``root`` (default: the working directory)."""
    base = Path(root if root is not None else Path.cwd()).resolve()
    return Path(file).resolve().is_relative_to(base)


def _refuse_outside(file: str, root: str | Path | None) -> None:
    if not inside_root(file, root):
        # Name only the path as configured: the target may be anything, and is none of our business.
        raise InputDataError(
            f"{file}: refused: it resolves (through a link or the path) to a file outside the project folder; "
            "ingest reads only files inside it"
        )


def natural_key(path: str) -> tuple[list[str | int], str]:
    """Sort key of ``path`` in natural order: ``export_9`` before ``export_10`` (digit runs as numbers),
    ties such as ``export_09`` and ``export_9`` by the text."""
    runs = re.split(r"([0-9]+)", path)
    return [int(run) if index % 2 else run for index, run in enumerate(runs)], path


def source_files(source: str, pattern: str, root: str | Path | None = None) -> list[str]:
    """The files to read: ``source`` itself, or the files in folder ``source`` matching ``pattern``.

    Paths come back as given (POSIX separators), a folder's files in natural order of their path
    (:func:`natural_key`). Each one, links resolved, must lie inside ``root`` (default: the working
    directory).
    """
    problem = pattern_problem(pattern)
    if problem:
        raise ParamsError(f"ingest.pattern: {problem}")
    path = Path(source)
    if path.is_file():
        file = PurePosixPath(path).as_posix()
        _refuse_outside(file, root)
        return [file]
    if not path.exists():
        raise InputDataError(f"{source}: no such file or folder (ingest.source)")
    if not path.is_dir():
        raise InputDataError(f"{source}: not a regular file or folder (ingest.source)")
    try:
        matches = list(path.glob(pattern))
    except (ValueError, NotImplementedError) as exc:
        raise ParamsError(f"ingest.pattern: {pattern!r} is not a usable glob ({one_line(exc)})") from None
    files = sorted(
        (
            PurePosixPath(match).as_posix()
            for match in matches
            if match.is_file() and not match.name.startswith((".", "~$"))
        ),
        key=natural_key,
    )
    if not files:
        raise InputDataError(f"{source}: no file in the folder matches ingest.pattern {pattern!r}")
    for file in files:
        _refuse_outside(file, root)
    return files
