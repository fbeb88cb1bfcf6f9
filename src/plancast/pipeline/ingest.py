"""Stage ingest in memory: the export(s) as the canonical snapshot table."""

from __future__ import annotations

from pathlib import Path

from plancast.data.ingest import IngestResult
from plancast.data.ingest import ingest as read_and_merge
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams

Ingested = IngestResult  # snapshots, rejects, conflicts, metrics (data/interim, metrics/ingest.json)


def ingest(
    params: IngestParams, daily: DailyParams, root: str | Path | None = None, cache_dir: str | Path | None = None
) -> Ingested:
    """The export(s) of ``params.source`` as the snapshot table; every file must lie inside ``root`` (default:
    the working directory, where a relative source is read from)."""
    return read_and_merge(params, daily, root=None if root is None else str(root), cache_dir=cache_dir)
