"""docs/results.md is what plancast.reporting.results renders from the committed outputs."""

from pathlib import Path

import pytest

from plancast.reporting import results

ROOT = Path(__file__).resolve().parents[1]


def test_results_doc_is_rendered_from_the_outputs():
    assert (ROOT / results.RESULTS).read_text(encoding="utf-8") == results.render(ROOT), (
        "docs/results.md differs from the outputs: run python -m plancast.reporting.results"
    )


def test_p_values_read_as_one_digit_and_the_exponent():
    assert results._p(2.847e-07) == "3e-7"
    assert results._p(0.021) == "2e-2"


def test_an_unknown_marker_in_the_template_is_named(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / results.TEMPLATE).write_text("<!-- rendered: nonsense -->\n", encoding="utf-8")
    with pytest.raises(ValueError, match="nonsense"):
        results.render(tmp_path)
