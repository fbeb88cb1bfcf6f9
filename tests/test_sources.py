"""Tests of sources: which files ingest.source names, in which order, and which are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from export_files import HEADER, ROWS, ingest_params, write_export

from plancast.data.ingest import ingest
from plancast.data.sources import natural_key, source_files
from plancast.errors import InputDataError, ParamsError


def test_folder_files_by_pattern_sorted_without_hidden_or_lock_files(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/2021-09-14.csv"), HEADER, ROWS)
    write_export(Path("exports/2021-09-13.xlsx"), HEADER, ROWS)
    Path("exports/.~lock.csv").write_text("junk")
    Path("exports/~$2021-09-13.xlsx").write_text("junk")
    assert source_files("exports", "*.csv") == ["exports/2021-09-14.csv"]
    assert source_files("exports", "2021-*") == ["exports/2021-09-13.xlsx", "exports/2021-09-14.csv"]


def test_folder_files_in_natural_order(tmp_path, monkeypatch) -> None:
    """Issue 22 case 3: export_9 sorted after export_10 as text, so under file_order: name the older
    revision won. Digit runs compare as numbers; export_09 and export_9 tie and go by text."""
    monkeypatch.chdir(tmp_path)
    for name in ("export_10.csv", "export_9.csv", "export_09.csv", "export_100.csv", "export_2a.csv", "Export_1.csv"):
        write_export(Path("exports") / name, HEADER, ROWS)
    assert source_files("exports", "*") == [
        "exports/Export_1.csv", "exports/export_2a.csv", "exports/export_09.csv", "exports/export_9.csv",
        "exports/export_10.csv", "exports/export_100.csv",
    ]  # fmt: skip
    assert sorted(["b/x10", "b/x9", "a10/x", "a9/x"], key=natural_key) == ["a9/x", "a10/x", "b/x9", "b/x10"]


def test_missing_source_and_empty_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputDataError, match=r"^nope.xls: no such file or folder \(ingest.source\)$"):
        source_files("nope.xls", "*")
    Path("empty").mkdir()
    with pytest.raises(InputDataError, match=r"^empty: no file in the folder matches ingest.pattern '\*.xls'$"):
        source_files("empty", "*.xls")


@pytest.mark.parametrize("pattern", ["../../../../elsewhere/*", "sub/../../*", "/etc/*", "/abs/x.csv"])
def test_pattern_that_leaves_the_source_is_a_one_line_params_error(tmp_path, monkeypatch, pattern) -> None:
    monkeypatch.chdir(tmp_path)
    Path("data/raw/x").mkdir(parents=True)
    with pytest.raises(ParamsError, match=r"^ingest.pattern: ") as caught:
        source_files("data/raw/x", pattern)
    assert "\n" not in str(caught.value)
    with pytest.raises(ParamsError, match=r"^ingest.pattern: "):  # also when params were not validated
        ingest(ingest_params("data/raw/x").model_copy(update={"pattern": pattern}))


def test_link_to_a_file_outside_the_project_is_refused_without_its_content(tmp_path, monkeypatch) -> None:
    outside = tmp_path / "elsewhere"
    project = tmp_path / "project"
    write_export(outside / "secret.csv", ["top secret line", "x"], [["1", "2"]])
    (project / "data/raw/x").mkdir(parents=True)
    os.symlink(outside / "secret.csv", project / "data/raw/x/export.csv")
    os.symlink(outside, project / "data/raw/linked_folder")
    monkeypatch.chdir(project)
    for source in ("data/raw/x", "data/raw/x/export.csv", "data/raw/linked_folder"):
        with pytest.raises(InputDataError, match=r"refused: it resolves .* outside the project folder") as caught:
            ingest(ingest_params(source))
        assert "top secret line" not in str(caught.value) and "\n" not in str(caught.value)


def test_link_inside_the_project_is_read(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("data/raw/real.csv"), HEADER, ROWS)
    Path("data/raw/x").mkdir()
    os.symlink(tmp_path / "data/raw/real.csv", "data/raw/x/link.csv")
    assert ingest(ingest_params("data/raw/x")).metrics["rows_kept"] == 3
