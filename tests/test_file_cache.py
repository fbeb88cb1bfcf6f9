"""Tests of plancast.data.file_cache: ingest with the parsed-file cache gives what ingest without it
gives, reads only new or changed files, and forgets files no longer read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from export_files import HEADER, ROWS, ingest_params, write_export

from plancast.data.file_cache import file_key
from plancast.data.ingest import IngestResult, ingest
from plancast.errors import InputDataError

CACHE = "cache"
# The later file: a revision of Part 95's 18:30 snapshot, Tuesday's snapshot and a bad target.
LATER = [
    ["P100", "Part 95", 114, 0, 274, "EA", 202109131830],
    ["P100", "Part 94", 50, 31, 30, "EA", 202109140632],
    ["P100", "Part 96", "x", 1, 1, "EA", 202109140632],
]


@pytest.fixture
def exports(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_export(Path("data/raw/a.xls"), HEADER, [*ROWS, ["P100", "Part 94", "?", 1, 1, "EA", 202109130900]])
    write_export(Path("data/raw/b.csv"), HEADER, LATER)
    return tmp_path


def assert_same(cached: IngestResult, plain: IngestResult) -> None:
    pd.testing.assert_frame_equal(cached.snapshots, plain.snapshots)
    pd.testing.assert_frame_equal(cached.rejects, plain.rejects)
    pd.testing.assert_frame_equal(cached.conflicts, plain.conflicts)
    assert cached.metrics == plain.metrics


def entries() -> list[str]:
    return sorted(path.name for path in Path(CACHE).iterdir())


def test_a_warm_cache_reads_no_file_and_gives_the_same_tables(exports) -> None:
    params = ingest_params("data/raw", on_bad_rows="quarantine")
    plain = ingest(params)
    cold = ingest(params, cache_dir=CACHE)
    warm = ingest(params, cache_dir=CACHE)
    assert (cold.cache.parsed, cold.cache.cached) == (2, 0)
    assert (warm.cache.parsed, warm.cache.cached) == (0, 2)
    assert_same(cold, plain)
    assert_same(warm, plain)
    # The rejects of both files, in reading order, came back from the cache renumbered to their sheets.
    assert warm.rejects[["source_file", "source_row"]].values.tolist() == [["data/raw/a.xls", 5], ["data/raw/b.csv", 4]]
    assert len(warm.conflicts) == 1 and warm.metrics["rows_kept"] == 4


def test_only_a_changed_file_is_read_again_and_a_removed_one_is_forgotten(exports) -> None:
    params = ingest_params("data/raw", on_bad_rows="quarantine")
    ingest(params, cache_dir=CACHE)
    write_export(Path("data/raw/b.csv"), HEADER, LATER[:2])  # the bad row fixed by removing it
    changed = ingest(params, cache_dir=CACHE)
    assert (changed.cache.parsed, changed.cache.cached, changed.cache.dropped) == (1, 1, 1)
    assert_same(changed, ingest(params))
    assert changed.metrics["rows_rejected"] == 1

    Path("data/raw/a.xls").unlink()
    removed = ingest(params, cache_dir=CACHE)
    assert (removed.cache.parsed, removed.cache.cached, removed.cache.dropped) == (0, 1, 1)
    assert_same(removed, ingest(params))
    assert len(entries()) == 2  # b.csv's .json and .npz


def test_changed_params_read_every_file_again(exports) -> None:
    ingest(ingest_params("data/raw", on_bad_rows="quarantine"), cache_dir=CACHE)
    other = ingest_params("data/raw", on_bad_rows="quarantine", parts=["Part 94"])
    result = ingest(other, cache_dir=CACHE)
    assert (result.cache.parsed, result.cache.cached) == (2, 0)
    assert_same(result, ingest(other))
    assert set(result.snapshots["part"]) == {"Part 94"}


def test_a_failed_run_leaves_the_cache_as_it_was(exports) -> None:
    ingest(ingest_params("data/raw", on_bad_rows="quarantine"), cache_dir=CACHE)
    before = {name: (Path(CACHE) / name).read_bytes() for name in entries()}
    with pytest.raises(InputDataError, match=r"data/raw/a\.xls, sheet Sheet1, row 5"):
        ingest(ingest_params("data/raw"), cache_dir=CACHE)
    assert {name: (Path(CACHE) / name).read_bytes() for name in entries()} == before


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [
        (".json", "JSONDecodeError: Expecting property name enclosed in double quotes: line 5 column 7 (char 50)"),
        (".npz", "BadZipFile: File is not a zip file"),
    ],
)
def test_a_damaged_entry_is_a_miss_that_is_read_again_and_heals(exports, capsys, suffix, reason) -> None:
    # issue 22 case 8: an entry cut short failed every later run (JSONDecodeError / BadZipFile), for ever
    params = ingest_params("data/raw", on_bad_rows="quarantine")
    ingest(params, cache_dir=CACHE)
    key = file_key("data/raw/a.xls", params)
    damaged = Path(CACHE) / f"{key}{suffix}"
    damaged.write_bytes(damaged.read_bytes()[:50])  # a disk that filled up while it was written
    capsys.readouterr()
    healed = ingest(params, cache_dir=CACHE)
    assert capsys.readouterr().err.splitlines() == [
        f"warning: {CACHE}/{key}.json: cache entry of data/raw/a.xls cannot be read ({reason}); reading the file again"
    ]
    assert (healed.cache.parsed, healed.cache.cached) == (1, 1)
    assert_same(healed, ingest(params))
    again = ingest(params, cache_dir=CACHE)
    assert (again.cache.parsed, again.cache.cached) == (0, 2)  # the entry was written anew
    assert capsys.readouterr().err == ""
