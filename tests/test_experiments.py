"""Config files replay as `dvc exp run --temp -S` overrides in the Hydra grammar DVC reads."""

from pathlib import Path

import pytest

from plancast.errors import ParamsError
from plancast.experiments import check_config, exp_run_args, read_config

ROOT = Path(__file__).resolve().parents[1]


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


def _leaves(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _get(tree, key):
    for part in key.split("."):
        tree = tree[part]
    return tree


@pytest.mark.parametrize("config", sorted(str(path) for path in ROOT.glob("configs/*.yaml")))
def test_dvc_writes_every_config_into_params_yaml_intact(config, tmp_path):
    """DVC's own `-S` writer (ruamel, keeping comments) once merged `select_features.horizons=[]` into the next
    section (`window: delays:`) because the list's comment sat on its key line: every config's overrides,
    and an empty list for every list in params.yaml, must leave a loadable file with exactly those values."""
    import shutil

    import yaml
    from dvc.utils.hydra import apply_overrides

    _, overrides = read_config(config)
    original = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    lists = [key for key, value in _leaves(original) if isinstance(value, list) and not key.endswith(".layers")]
    replayed = [arg for arg in exp_run_args(config) if "=" in arg]
    emptied = ([f"{key}=[]" for key in lists], {key: [] for key in lists})
    for sets, expected in ((replayed, dict(overrides)), emptied):
        target = tmp_path / "params.yaml"
        shutil.copy(ROOT / "params.yaml", target)
        apply_overrides(str(target), sets)
        written = yaml.safe_load(target.read_text(encoding="utf-8"))
        for key, value in _leaves(original):
            assert _get(written, key) == expected.get(key, value), key
