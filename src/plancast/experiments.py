"""Named parameter sets (``configs/*.yaml``) turned into ``dvc exp run -S key=value`` overrides.

A config file is ``{"name": str, "set": {dotted.key: value}}``; every value is written in the
Hydra override grammar DVC reads (strings quoted, lists and null as YAML flow), so a config replays
exactly as a DVC experiment that ``dvc exp show`` lists beside the others.

The run is ``dvc exp run --temp``: DVC applies the overrides in a temporary copy of the repository,
never to the workspace's ``params.yaml``, so one config cannot carry its values into the next one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from plancast.errors import ParamsError
from plancast.params import apply_overrides, parse_params


def _override_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./\-]*", value) and value not in ("null", "true", "false"):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ",".join(_override_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{_override_value(item)}" for key, item in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as a DVC override")


def read_config(path: str | Path) -> tuple[str, dict[str, Any]]:
    """Return the experiment name and the dotted-key overrides of a config file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ParamsError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})".splitlines()[0]) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("set"), dict) or not isinstance(raw.get("name"), str):
        raise ParamsError(f"{path}: needs `name: <experiment name>` and `set: {{dotted.key: value}}`")
    return raw["name"], raw["set"]


def check_config(path: str | Path, params: dict[str, Any]) -> None:
    """Validate ``params`` with the config's overrides applied; errors name the config file and the key."""
    _, overrides = read_config(path)
    merged = apply_overrides(params, overrides, str(path))
    parse_params(merged, str(path))


def exp_run_args(path: str | Path) -> list[str]:
    """The ``dvc exp run`` argument list that replays a config file as a named experiment."""
    name, overrides = read_config(path)
    args = ["dvc", "exp", "run", "--temp", "--name", name]
    for key, value in overrides.items():
        args += ["-S", f"{key}={_override_value(value)}"]
    return args
