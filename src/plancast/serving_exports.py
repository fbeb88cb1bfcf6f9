"""Export files to the daily table the served model reads, as stages ingest and daily_last make it.

:meth:`plancast.serving.RecommendedModel.forecast_exports` forecasts straight from the planning
system's export files: they are read and validated by ingest's own code
(:func:`plancast.data.ingest.ingest_files`) with the reading the model was trained with (``design.ingest``
of ``recommended.json``), and laid on the model's calendar by stage daily_last's
(:func:`plancast.pipeline.daily_last.daily_last`). So a bad row stops it with ingest's line naming the
file, sheet, row and column, and the forecast is the pipeline's for the same exports.

Only the files given are read: the folder names none (``design.ingest`` has no ``source`` or
``pattern``), and nothing is written (no cache, no rejects file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from plancast.data.ingest import ingest_files
from plancast.data.sources import natural_key
from plancast.errors import InputDataError
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams
from plancast.pipeline.daily_last import daily_last


@dataclass(frozen=True)
class ExportsRead:
    """The exports as the served model reads them: ``daily`` as stage daily_last writes it, and
    ``rejects`` (ingest's REJECT_COLUMNS), the rows left out under ``on_bad_rows: quarantine``."""

    daily: pd.DataFrame
    rejects: pd.DataFrame


def daily_from_exports(paths: Sequence[str | Path], reading: IngestParams, daily: DailyParams) -> ExportsRead:
    """The daily table of the export files ``paths`` (``.xls``, ``.xlsx``, ``.csv``, ``.parquet``), read
    with ``reading`` (the ingest section; its ``source`` and ``pattern`` are not looked at) and laid on
    ``daily``'s calendar. Files are taken in natural order of their paths, as ingest takes a folder's
    (a revision in a later one wins under ``file_order: name``). A bad file or row raises ingest's
    InputDataError, one line naming the file, sheet, row and column."""
    if not paths:
        raise InputDataError("no export file given (name one or more .xls, .xlsx, .csv or .parquet files)")
    files = sorted((Path(path).as_posix() for path in paths), key=natural_key)
    named = files[0] if len(files) == 1 else f"{files[0]} and {len(files) - 1} more export(s)"
    params = reading.model_copy(update={"source": named, "pattern": "*"})  # names the files in messages only
    ingested = ingest_files(files, params, daily)
    return ExportsRead(daily_last(daily, ingested.snapshots, named).table, ingested.rejects)
