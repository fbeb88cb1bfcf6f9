"""Config files replay as `dvc exp run --temp -S` overrides in the Hydra grammar DVC reads."""

import pytest

from plancast.errors import ParamsError
from plancast.experiments import check_config, exp_run_args


def test_overrides_quote_only_what_needs_it(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: trial\nset:\n  window.delays: [1, 2]\n  ingest.part_column: null\n"
        "  ingest.time_format: '%Y%m%d%H%M'\n  train.scope: per_part\n  split_scale.fractions: [0.7, 0.1, 0.2]\n"
        '  ingest.target_column: "D일 투입예정 수량(D일계획)"\n',
        encoding="utf-8",
    )
    assert exp_run_args(config) == [
        "dvc", "exp", "run", "--temp", "--name", "trial",
        "-S", "window.delays=[1,2]",
        "-S", "ingest.part_column=null",
        "-S", "ingest.time_format='%Y%m%d%H%M'",
        "-S", "train.scope=per_part",
        "-S", "split_scale.fractions=[0.7,0.1,0.2]",
        "-S", "ingest.target_column='D일 투입예정 수량(D일계획)'",
    ]  # fmt: skip


def test_config_without_set_is_one_line_error(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"c.yaml: needs `name"):
        exp_run_args(config)


def test_config_is_checked_against_the_schema_naming_file_and_key(tmp_path):
    params = {"window": {"lookback": 10, "delays": [1]}}
    config = tmp_path / "c.yaml"
    config.write_text("name: x\nset:\n  windw.lookback: 3\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"^.*c\.yaml: windw: is not a section of params\.yaml$"):
        check_config(config, params)
