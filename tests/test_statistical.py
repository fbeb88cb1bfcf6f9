import numpy as np
import pytest
from statsforecast.models import AutoETS

from plancast.models.statistical import EtsFit, ets_windows, fit_ets


def _series(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 50 + 0.3 * np.arange(n) + 6 * np.sin(np.arange(n) * 2 * np.pi / 5) + rng.normal(0, 1, n)


def test_a_fit_forecasts_from_any_origin_as_statsforecasts_forward_and_survives_json():
    values = _series()
    fit = fit_ets(values[:80], 5)
    model = AutoETS(season_length=5).fit(values[:80])
    assert fit.components == model.model_["components"]
    again = EtsFit.from_json(fit.to_json())  # NaN parameters (a model without them) round-trip as null
    for origin in (30, 80, 119):
        want = model.forward(y=values[: origin + 1], h=4)["mean"]
        np.testing.assert_allclose(fit.forecast(values[: origin + 1], 4), want, rtol=1e-12)
        np.testing.assert_allclose(again.forecast(values[: origin + 1], 4), want, rtol=1e-12)


def test_a_trend_is_followed_out_of_the_training_range():
    values = 10.0 + 2.0 * np.arange(60)
    fit = fit_ets(values[:40], 5)
    np.testing.assert_allclose(fit.forecast(values[:50], 3), [110.0, 112.0, 114.0], rtol=1e-3)


def test_too_few_values_give_no_fit_and_an_origin_with_one_value_its_last():
    assert fit_ets(np.array([1.0, 2.0, np.nan, 3.0]), 5) is None
    fit = fit_ets(_series(), 5)
    np.testing.assert_array_equal(fit.forecast(np.array([np.nan, 7.0]), 3), [7.0, 7.0, 7.0])
    assert np.isnan(fit.forecast(np.array([np.nan]), 2)).all()


def test_ets_windows_forecast_each_window_from_its_own_origin():
    values = _series()
    fits = {"a": fit_ets(values[:80], 5)}
    series = {"a": values, "b": values}
    got = ets_windows(fits, series, np.array(["a", "a", "b"]), np.array([50, 90, 90]), np.array([1, 3]))
    for row, origin in enumerate([50, 90]):
        np.testing.assert_allclose(got[row], fits["a"].forecast(values[: origin + 1], 3)[[0, 2]])
    assert np.isnan(got[2]).all()  # part b has no fit


def test_a_malformed_fit_is_refused():
    with pytest.raises(ValueError, match="is not an ETS model"):
        EtsFit.from_json({"components": "XYZN", "m": 5, "par": [0.5], "n_params": 2})


def test_statsforecast_is_imported_only_where_a_fit_is_made_or_run():
    import subprocess
    import sys

    code = (
        "import sys\nimport plancast.pipeline.evaluate, plancast.pipeline.forecast, plancast.serving\n"
        "print('statsforecast' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"
