"""Byte-stable, pickle-free outputs."""

import json
import math
import time

import numpy as np
import pytest

from plancast.artifacts import atomic_path, load_npz, read_json, round_floats, save_npz, write_json


def test_npz_bytes_do_not_depend_on_the_clock(tmp_path):
    arrays = {
        "inputs": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        "part": np.array(["Part 1", "Part 2"]),
    }
    save_npz(tmp_path / "a.npz", **arrays)
    time.sleep(2.1)  # zip timestamps have 2-second resolution; np.savez would differ after this
    save_npz(tmp_path / "b.npz", **arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = load_npz(tmp_path / "a.npz")
    np.testing.assert_array_equal(loaded["inputs"], arrays["inputs"])
    assert loaded["part"].tolist() == ["Part 1", "Part 2"]


def test_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(TypeError, match="pickle"):
        save_npz(tmp_path / "x.npz", bad=np.array([{"a": 1}], dtype=object))


def test_pickled_npz_is_not_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, bad=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        load_npz(path)["bad"]


def test_json_is_sorted_rounded_and_nan_free(tmp_path):
    path = tmp_path / "m.json"
    write_json(path, {"b": 1 / 3, "a": [float("nan"), float("inf"), np.float32(2.5)], "c": 123456789.0})
    text = path.read_text(encoding="utf-8")
    assert text.index('"a"') < text.index('"b"')
    assert read_json(path) == {"a": [None, None, 2.5], "b": 0.333333, "c": 123457000.0}
    assert "NaN" not in text and text.endswith("\n")
    json.loads(text)


def test_round_floats_keeps_ints_and_zero():
    assert round_floats({"n": 3, "z": 0.0, "x": -0.000123456789}) == {"n": 3, "z": 0.0, "x": -0.000123457}
    assert math.isclose(round_floats(2 / 3, digits=3), 0.667)


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("boom")
    assert path.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [path]
