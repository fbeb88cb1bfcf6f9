"""Each export file's validated rows, kept between ingest runs so a new daily file costs seconds.

A year of daily exports is 260 files; reading and validating them is most of ingest's time, and a new
day changes one file. The cache holds, per file, what :func:`plancast.data.validation.validate_sheet`
made of each of its sheets (the good rows, the rejects, the counts) and each sheet's header, keyed by
the file's path, the SHA-256 of its bytes and the ingest params (all but ``source`` and ``pattern``,
which only choose files). A file whose key is there is not read; a new or changed file is read and
validated as without a cache; entries of files no longer read are dropped. Merging overlaps and the
calendar checks always run over every file, so the result is the same with or without the cache.

Files: ``<key>.json`` (sheets, headers, counts, rejects) and ``<key>.npz`` (rows of every sheet, no
pickle) in the cache folder, a DVC output marked ``persist: true`` so DVC keeps it between runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from plancast.artifacts import save_npz, write_json
from plancast.data.reading import RawSheet
from plancast.data.validation import Columns, Reject, SheetRows, validate_sheet
from plancast.params import IngestParams

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
        self._fresh: dict[str, list[tuple[RawSheet, SheetRows | None]]] = {}

    def sheets(self, file: str) -> list[RawSheet] | None:
        """The sheets of ``file`` with headers only (no cells) when cached, else None (read it)."""
        key = self._keys.setdefault(file, file_key(file, self.params))
        meta_path = self.folder / f"{key}.json"
        if not meta_path.is_file():
            self._fresh[file] = []
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(self.folder / f"{key}.npz", allow_pickle=False) as arrays:
            sheets = []
            for i, entry in enumerate(meta["sheets"]):
                sheet = RawSheet(
                    file=file,
                    sheet=entry["sheet"],
                    header=entry["header"],
                    header_row=entry["header_row"],
                    cells=np.empty((0, len(entry["header"])), dtype=object),
                    lengths=np.empty(0, dtype=np.int64),
                    encoding=entry["encoding"],
                )
                sheets.append(sheet)
                if entry["rows"] is not None:
                    self._hits[file, sheet.sheet] = _rows_from(entry["rows"], arrays, i, file, sheet.sheet)
        return sheets

    def remember(self, file: str, sheets: list[RawSheet]) -> None:
        """The sheets of ``file`` just read (it was not cached); their rows are kept once validated."""
        self._fresh[file] = [(sheet, None) for sheet in sheets]

    def validate(self, sheet: RawSheet, columns: Columns, params: IngestParams, sheet_index: int) -> SheetRows:
        """:func:`validate_sheet`, or the cached rows of ``sheet`` (renumbered to ``sheet_index``)."""
        cached = self._hits.get((sheet.file, sheet.sheet))
        if cached is not None:
            rejects = [
                Reject((sheet_index, r.row), r.file, r.sheet, r.row, r.column, r.kind, r.reason) for r in cached.rejects
            ]
            return SheetRows(
                sheet_index, cached.part, cached.time, cached.quantities, cached.source_row, rejects,
                cached.rows_read, cached.rows_blank, cached.rows_other_parts, cached.parts_found,
                cached.renamed_parts,
            )  # fmt: skip
        rows = validate_sheet(sheet, columns, params, sheet_index)
        fresh = self._fresh.get(sheet.file, [])
        self._fresh[sheet.file] = [(s, rows if s is sheet else r) for s, r in fresh]
        return rows

    def save(self) -> CacheStats:
        """Write the entries of the files parsed this run; drop those of files not read."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for file, sheets in self._fresh.items():
            _write_entry(self.folder, self._keys[file], sheets)
        wanted = set(self._keys.values())
        dropped = set()
        for path in self.folder.iterdir():
            if path.suffix in (".json", ".npz") and path.stem not in wanted:
                path.unlink()
                dropped.add(path.stem)
        return CacheStats(cached=len(self._keys) - len(self._fresh), parsed=len(self._fresh), dropped=len(dropped))


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


def _rows_from(meta: dict[str, Any], arrays: Any, i: int, file: str, sheet: str) -> SheetRows:
    return SheetRows(
        sheet_index=-1,
        part=arrays[f"part_{i}"].astype(object),
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
