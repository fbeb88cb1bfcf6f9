"""The params schema: the shipped file is valid, and each kind of bad value names its key."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from plancast.errors import ParamsError
from plancast.params import apply_overrides, load_params, parse_params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def test_shipped_params_are_valid(raw):
    params = parse_params(raw)
    assert params.window.lookback >= 1
    assert set(params.train.models) <= set(params.models)


def test_every_seed_config_is_valid(raw):
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        overrides = yaml.safe_load(config.read_text(encoding="utf-8"))
        parse_params(apply_overrides(raw, overrides["set"], str(config)), str(config))


def _error_for(raw: dict, mutate) -> str:
    changed = copy.deepcopy(raw)
    mutate(changed)
    with pytest.raises(ParamsError) as info:
        parse_params(changed)
    return str(info.value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["window"].update(lookback=0), "params.yaml: window.lookback: "),
        (
            lambda r: r["window"].update(delays=[3, 1]),
            "params.yaml: window.delays: must be distinct and increasing",
        ),
        (lambda r: r["window"].update(extra=1), "params.yaml: window.extra: is not a known parameter"),
        (lambda r: r["ingest"].update(on_bad_rows="skip"), "params.yaml: ingest.on_bad_rows: "),
        (
            lambda r: r["ingest"].update(source="/etc/passwd"),
            "ingest.source: must be a path inside the project",
        ),
        (
            lambda r: r["ingest"].update(source="../outside.xls"),
            "ingest.source: must be a path inside the project",
        ),
        (
            lambda r: r["ingest"].update(horizon_pattern="D+("),
            "ingest.horizon_pattern: is not a valid regular",
        ),
        (lambda r: r["ingest"].update(pattern="../../../../elsewhere/*"), "ingest.pattern: must not contain '..'"),
        (lambda r: r["ingest"].update(pattern="/etc/*"), "ingest.pattern: must be a glob relative to ingest.source"),
        (lambda r: r["ingest"].update(encoding="klingon"), "ingest.encoding: must be auto or a codec"),
        (lambda r: r["ingest"].update(thousands="."), "ingest.thousands: "),
        (lambda r: r["ingest"].update(header_row=0), "ingest.header_row: "),
        (lambda r: r["ingest"].update(on_conflict="first"), "ingest.on_conflict: "),
        (lambda r: r["ingest"].update(file_order="mtime"), "ingest.file_order: "),
        (lambda r: r["daily"].update(calendar="weekdays"), "daily.calendar: "),
        (lambda r: r["daily"].update(holidays=["2025-13-01"]), "daily.holidays.0: "),
        (lambda r: r["daily"].update(country="XX"), "daily.country: is not a country code"),
        (lambda r: r["daily"].update(max_gap_days=0), "daily.max_gap_days: "),
        (
            lambda r: r["split_scale"].update(fractions=[0.5, 0.1, 0.1]),
            "split_scale.fractions: must be three",
        ),
        (
            lambda r: r["models"]["lstm"]["layers"][0].update(type="transformer"),
            "models.lstm.layers.0.type: ",
        ),
        (lambda r: r["models"]["lstm"]["layers"][0].update(units=-4), "models.lstm.layers.0.units: "),
        (
            lambda r: r["models"]["lstm_gru"]["layers"][0].update(return_sequences=False),
            "models.lstm_gru.layers.0.return_sequences: must be true",
        ),
        (
            lambda r: r["train"].update(models=["nope"]),
            "train.models: names 'nope', which is not under models",
        ),
        (lambda r: r["forecast"].update(recursive_steps=5), "forecast.recursive_steps: "),
        (lambda r: r["train"].update(backend="spark"), "train.backend: "),
        (lambda r: r["train"].update(ray_address="my head"), "train.ray_address: must be empty"),
        (lambda r: r["forecast"].update(engine="tflite"), "forecast.engine: "),
        (lambda r: r["report"].update(language="fr"), "report.language: Input should be 'en' or 'ko'"),
        (lambda r: r["monitor"].update(days=0), "monitor.days: Input should be greater than or equal to 1 (got 0)"),
        (lambda r: r["monitor"].update(plan_shift=0), "monitor.plan_shift: Input should be greater than 0"),
        (lambda r: r["sample"].update(bias_from="soon"), "sample.bias_from: "),
        (lambda r: r["window"].update(lookback=True), "window.lookback: Input should be a valid integer"),
        (lambda r: r["train"].update(seed=True), "train.seed: "),
        (lambda r: r["evaluate"].update(folds=False), "evaluate.folds: "),
        (lambda r: r["evaluate"].update(tabular=["xgboost"]), "evaluate.tabular.0: "),
        (lambda r: r["split_scale"].update(test_start="someday"), "split_scale.test_start: "),
        (
            lambda r: (
                r["train"].update(target="residual"),
                r["window"].update(delays=[1]),
                r["forecast"].update(recursive_steps=5),
            ),
            "train.target: residual networks add their output to the latest plan",
        ),
        (lambda r: r["train"].update(profile_period=0), "train.profile_period: "),
        (
            lambda r: r["window"].update(delays=[1, 2, 13]),
            "window.delays: delay 13 is beyond ingest.max_horizon = 12: the plan has no number that far ahead",
        ),
    ],
)
def test_bad_values_name_their_key(raw, mutate, expected):
    message = _error_for(raw, mutate)
    assert expected in message
    assert "\n" not in message
    assert message.count("(got ") <= 1  # a check that names what it got is not told again


def test_a_recursive_forecast_may_correct_the_season_profile(raw):
    seasonal = copy.deepcopy(raw)
    seasonal["train"].update(target="residual", profile_period=30)
    seasonal["window"].update(delays=[1])
    seasonal["forecast"].update(recursive_steps=5)
    seasonal["ingest"].update(max_horizon=0)
    assert parse_params(seasonal).train.profile_period == 30
    # a series without plans corrects its last value: allowed; one with plans: refused
    plain = copy.deepcopy(seasonal)
    plain["train"].update(context=["vintages"], profile_period=None)
    assert parse_params(plain).train.target == "residual"
    assert "train.target: residual networks" in _error_for(seasonal, lambda r: r["ingest"].update(max_horizon=3))


def test_unreadable_yaml_names_the_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("window:\n  lookback: [1\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"params.yaml: line \d+ is not valid YAML"):
        load_params(path)


def test_yaml_tags_that_would_run_code_are_refused(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("window: !!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="is not valid YAML"):
        load_params(path)


def test_stage_prints_one_line_and_exits_2(tmp_path):
    (tmp_path / "params.yaml").write_text("window:\n  lookback: -1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "plancast.params"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: params.yaml: window.lookback: Input should be greater than or equal to 1 (got -1)"
    ]


def _as_dvc_writes(tmp_path: Path, overrides: list[str]) -> tuple[str, str]:
    """params.yaml before and after `dvc exp run -S`'s own rewrite (``apply_overrides``) of a copy."""
    from dvc.utils.hydra import apply_overrides

    copy_ = tmp_path / "params.yaml"
    before = (ROOT / "params.yaml").read_text(encoding="utf-8")
    copy_.write_text(before, encoding="utf-8")
    apply_overrides(str(copy_), overrides)
    return before, copy_.read_text(encoding="utf-8")


def _changed_lines(before: str, after: str) -> list[str]:
    import difflib

    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_params_file_is_exactly_what_dvc_writes(tmp_path):
    # DVC rewrites the whole file on every -S, exp apply and exp branch; a file already in that form
    # makes a pull request's params diff show only the values that changed
    before, after = _as_dvc_writes(tmp_path, ["window.lookback=10"])
    assert after == before


def test_three_param_change_diffs_three_lines(tmp_path):
    before, after = _as_dvc_writes(
        tmp_path, ["window.lookback=20", "models.lstm.layers.0.units=64", "evaluate.ridge_alpha=0.5"]
    )
    assert _changed_lines(before, after) == [
        "-  lookback: 10               # past days in each input window",
        "+  lookback: 20               # past days in each input window",
        "-      units: 30",
        "+      units: 64",
        "-  ridge_alpha: 1.0           # L2 strength of the Ridge baseline",
        "+  ridge_alpha: 0.5           # L2 strength of the Ridge baseline",
    ]
    assert after.startswith("# plancast parameters")  # DVC keeps the comments


def test_changing_a_list_touches_only_its_items(tmp_path):
    # a list DVC rewrites loses whatever was attached to its items, so no list ends a section
    # (the blank line after it would go) and no comment sits among list items
    before, after = _as_dvc_writes(tmp_path, ["window.delays=[1,2]", "train.models=[gru]"])
    assert _changed_lines(before, after) == [
        *(f"-  - {delay}" for delay in range(3, 13)),
        "-  - lstm_sigmoid",
        "-  - lstm",
        "-  - lstm_gru",
        "-  - hand_lstm",
    ]


def test_checking_a_params_file_names_that_file(tmp_path):
    import subprocess
    import sys

    good = tmp_path / "mine.yaml"
    good.write_text("window: {lookback: 4}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "plancast.params", str(good)], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, f"{good} is valid")
    bad = tmp_path / "bad.yaml"
    bad.write_text("window: {lookback: true}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "plancast.params", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith(f"error: {bad}: window.lookback: ")


# ---------------------------------------------- issue 22 case 7: params the checker accepted, the stages did not


def _load_text(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "params.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(ParamsError) as info:
        load_params(path)
    return str(info.value).replace(str(path), "params.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "split_scale:\n  fractions: [1, 0, 0]\n",
            "params.yaml: split_scale.fractions: must be three fractions [train, validation, test] summing to 1, "
            "train and validation > 0 (got [1, 0, 0])",
        ),
        (
            "split_scale:\n  validation_start: '2025-11-04'\n  test_start: '2025-11-04'\n",
            "params.yaml: split_scale.test_start: must be after split_scale.validation_start, or validation holds "
            "no day (got 2025-11-04, validation from 2025-11-04)",
        ),
        (
            "split_scale:\n  validation_start: 200\n  test_start: '2025-11-04'\n",
            "params.yaml: split_scale.test_start: give split_scale.validation_start and test_start both as days or "
            "both as steps (got 200 and 2025-11-04)",
        ),
        (
            "evaluate:\n  ridge_alpha: .inf\n",
            "params.yaml: evaluate.ridge_alpha: Input should be a finite number (got inf)",
        ),
        ("sample:\n  trend: .nan\n", "params.yaml: sample.trend: Input should be a finite number (got nan)"),
        (
            "ingest:\n  target_column: CRET_TIME\n",
            "params.yaml: ingest.target_column: names the same column as ingest.time_column ('CRET_TIME'); each must "
            "be its own column",
        ),
        (
            "ingest:\n  part_column: D일 투입예정 수량(D일계획)\n",
            "params.yaml: ingest.target_column: names the same column as ingest.part_column "
            "('D일 투입예정 수량(D일계획)'); each must be its own column",
        ),
        (
            "window:\n  lookback: 4\n  delays: [1]\n  lookback: 6\n",
            "params.yaml: window.lookback: given twice (lines 2 and 4); keep one",
        ),
        (
            "models:\n  lstm:\n    layers:\n    - type: lstm\n      units: 3\n      units: 4\n",
            "params.yaml: models.lstm.layers.0.units: given twice (lines 5 and 6); keep one",
        ),
        (
            "ingest:\n  target_column: D일 계획\n".encode("cp949"),
            "params.yaml: byte 26 (line 2, column 19) is not UTF-8 (0xc0); save it as UTF-8",
        ),
    ],
)
def test_params_the_stages_cannot_run_are_refused_naming_the_key(tmp_path, text, expected):
    assert _load_text(tmp_path, text) == expected


def test_utf8_with_a_byte_order_mark_and_yaml_merge_keys_are_still_read(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_bytes("\ufeffwindow:\n  <<: {lookback: 4, delays: [2]}\n  delays: [1]\n".encode())
    window = load_params(path).window
    assert (window.lookback, window.delays) == (4, [1])  # a merge key's value yields to the mapping's own


def test_the_ray_backend_serves_a_global_network_too(raw):
    """``train.backend: ray`` also runs evaluate's tabular refits, so a global network (one fit, made in the
    stage) no longer rules it out; the address is a head's host:port, a Ray Client's ray://, auto or empty."""
    for scope in ("global", "per_part"):
        for address in ("", "auto", "10.0.0.10:6379", "ray://10.0.0.10:10001"):
            changed = copy.deepcopy(raw)
            changed["train"].update(backend="ray", scope=scope, ray_address=address)
            assert parse_params(changed).train.backend == "ray"
