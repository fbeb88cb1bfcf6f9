"""Each export file's validated rows, kept between ingest runs so a new daily file costs seconds.

A year of daily exports is 260 files; reading and validating them is most of ingest's time, and a new
day changes one file. The cache holds, per file, what :func:`plancast.data.validation.validate_sheet`
made of each of its sheets (the good rows, the rejects, the counts) and each sheet's header, keyed by
the file's path, the SHA-256 of its bytes and the ingest params (all but ``source`` and ``pattern``,
which only choose files). A file whose key is there is not read; a new or changed file is read and
validated as without a cache; entries of files no longer read are dropped. Merging overlaps and the
calendar checks always run over every file, so the result is the same with or without the cache.

A new or changed file's entry is written as soon as the file is validated, so its rows need not stay in
memory until ingest ends (a year of exports at 10,000 parts is 5 M rows); a run that fails removes the
entries it wrote, so the folder is as it was, and drops nothing.

Files: ``<key>.json`` (sheets, headers, counts, rejects) and ``<key>.npz`` (rows of every sheet, no
pickle) in the cache folder, a DVC output marked ``persist: true`` so DVC keeps it between runs.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from plancast.artifacts import save_npz, write_json
from plancast.data.reading import RawSheet
from plancast.data.validation import Reject, SheetRows
from plancast.params_ingest import IngestParams

FORMAT_VERSION = 1  # bump when what an entry holds, or how validation reads a cell, changes


@dataclass(frozen=True)
class CacheStats:
    """How many of the files read came from the cache and how many were parsed."""

    cached: int
    parsed: int
    dropped: int


def _params_text(params: IngestParams) -> str:
    kept = params.model_dump(mode="json", exclude={"source", "pattern"})
    return json.dumps({"version": FORMAT_VERSION, "ingest": kept}, sort_keys=True, ensure_ascii=False)


def file_key(file: str, params: IngestParams) -> str:
    """The cache key of ``file`` under ``params``: its path, its bytes and the params that shape its rows."""
    digest = hashlib.sha256()
    for text in (file, _params_text(params)):
        digest.update(text.encode("utf-8") + b"\0")
    digest.update(Path(file).read_bytes())
    return digest.hexdigest()


class FileCache:
    """The validated rows of every export file ingest read before, in ``folder``."""

    def __init__(self, folder: str | Path, params: IngestParams) -> None:
        self.folder = Path(folder)
        self.params = params
        self._keys: dict[str, str] = {}
        self._hits: dict[tuple[str, str], SheetRows] = {}
        self._written: set[str] = set()  # keys of the entries written this run

    def sheets(self, file: str) -> list[RawSheet] | None:
        """The sheets of ``file`` with headers only (no cells) when cached, else None (read it).

        An entry that cannot be read (cut short by a full disk, edited by hand, a bad sector) is a miss,
        not an error: a warning names it, it is removed, and the file is read and cached again, so the
        next run heals instead of failing on it for ever.
        """
        key = self._keys.setdefault(file, file_key(file, self.params))
        meta_path = self.folder / f"{key}.json"
        if not meta_path.is_file():
            return None
        try:
            sheets, hits = _read_entry(self.folder, key, file)
        except _UNREADABLE as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(
                f"warning: {meta_path}: cache entry of {file} cannot be read ({type(exc).__name__}: {reason}); "
                "reading the file again",
                file=sys.stderr,
            )
            for suffix in (".json", ".npz"):
                (self.folder / f"{key}{suffix}").unlink(missing_ok=True)
            return None
        self._hits.update(hits)
        return sheets

    def take(self, sheet: RawSheet) -> SheetRows | None:
        """The cached rows of ``sheet`` (as validated with sheet index -1), once; None when not cached."""
        return self._hits.pop((sheet.file, sheet.sheet), None)

    def remember(self, file: str, sheets: list[tuple[RawSheet, SheetRows | None]]) -> None:
        """Write the entry of ``file`` (not cached): each sheet just read with its validated rows, None for
        a sheet not validated (skipped for missing columns)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self._keys[file]
        self._written.add(key)
        _write_entry(self.folder, key, sheets)

    def discard(self) -> None:
        """Ingest failed: remove the entries written this run (none of them was there before)."""
        for key in self._written:
            for suffix in (".json", ".npz"):  # the JSON first: without it an entry does not count
                (self.folder / f"{key}{suffix}").unlink(missing_ok=True)
        self._written.clear()

    def save(self) -> CacheStats:
        """Ingest succeeded: drop the entries of files not read this run."""
        self.folder.mkdir(parents=True, exist_ok=True)
        wanted = set(self._keys.values())
        dropped = set()
        for path in self.folder.iterdir():
            if path.suffix in (".json", ".npz") and path.stem not in wanted:
                path.unlink()
                dropped.add(path.stem)
        parsed = len(self._written)
        return CacheStats(cached=len(self._keys) - parsed, parsed=parsed, dropped=len(dropped))


# What a damaged entry raises: bad JSON or UTF-8, a zip or .npy that is not one, a field missing or of
# the wrong type, an unreadable file.
_UNREADABLE = (ValueError, KeyError, TypeError, IndexError, OSError, EOFError, zipfile.BadZipFile)


def _read_entry(folder: Path, key: str, file: str) -> tuple[list[RawSheet], dict[tuple[str, str], SheetRows]]:
    """Entry ``key`` of ``file``: its sheets (headers only) and the validated rows of each sheet that has them."""
    meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    sheets, hits = [], {}
    with np.load(folder / f"{key}.npz", allow_pickle=False) as arrays:
        for i, entry in enumerate(meta["sheets"]):
            sheet = RawSheet(
                file=file,
                sheet=str(entry["sheet"]),
                header=list(entry["header"]),
                header_row=int(entry["header_row"]),
                cells=np.empty((0, len(entry["header"])), dtype=object),
                lengths=np.empty(0, dtype=np.int64),
                encoding=entry["encoding"],
            )
            sheets.append(sheet)
            if entry["rows"] is not None:
                hits[file, sheet.sheet] = _rows_from(entry["rows"], arrays, i, file, sheet.sheet)
    return sheets, hits


def _write_entry(folder: Path, key: str, sheets: list[tuple[RawSheet, SheetRows | None]]) -> None:
    arrays: dict[str, np.ndarray] = {}
    entries = []
    for i, (sheet, rows) in enumerate(sheets):
        entry: dict[str, Any] = {
            "sheet": sheet.sheet,
            "header": list(sheet.header),
            "header_row": int(sheet.header_row),
            "encoding": sheet.encoding,
            "rows": None,  # a sheet skipped for missing columns, or not validated: nothing kept
        }
        if rows is not None:
            arrays[f"part_{i}"] = np.asarray(rows.part, dtype=str)
            arrays[f"time_{i}"] = np.asarray(rows.time)
            arrays[f"quantities_{i}"] = np.asarray(rows.quantities, dtype=np.float64)
            arrays[f"source_row_{i}"] = np.asarray(rows.source_row, dtype=np.int64)
            entry["rows"] = {
                "rows_read": rows.rows_read,
                "rows_blank": rows.rows_blank,
                "rows_other_parts": rows.rows_other_parts,
                "parts_found": sorted(rows.parts_found),
                "renamed_parts": rows.renamed_parts,
                "rejects": [[r.row, r.column, r.kind, r.reason] for r in rows.rejects],
            }
        entries.append(entry)
    # The arrays first: an entry counts as cached only once its JSON is there. Byte-stable, so a rerun
    # that parses a file again leaves DVC's hash of the folder as it was.
    save_npz(folder / f"{key}.npz", **arrays)
    write_json(folder / f"{key}.json", {"sheets": entries})


def _shared_strings(texts: np.ndarray) -> np.ndarray:
    """``texts`` (a NumPy str array) as an object array holding one str per distinct value: a file's
    rows repeat each part's id, and one Python str per row would cost ~60 bytes a row."""
    if not len(texts):
        return texts.astype(object)
    distinct, inverse = np.unique(texts, return_inverse=True)
    return distinct.astype(object)[inverse.reshape(-1)]


def _rows_from(meta: dict[str, Any], arrays: Any, i: int, file: str, sheet: str) -> SheetRows:
    return SheetRows(
        sheet_index=-1,
        part=_shared_strings(arrays[f"part_{i}"]),
        time=arrays[f"time_{i}"],
        quantities=arrays[f"quantities_{i}"],
        source_row=arrays[f"source_row_{i}"],
        rejects=[
            Reject((-1, row), file, sheet, row, column, kind, reason) for row, column, kind, reason in meta["rejects"]
        ],
        rows_read=meta["rows_read"],
        rows_blank=meta["rows_blank"],
        rows_other_parts=meta["rows_other_parts"],
        parts_found=set(meta["parts_found"]),
        renamed_parts=dict(meta["renamed_parts"]),
    )
