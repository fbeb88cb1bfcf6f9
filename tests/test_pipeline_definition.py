"""dvc.yaml stays exact: it is the catalog's rendering, and every stage's deps, outs and params equal the
catalog's map and the code it runs (checked on the parsed file, so a fault of the renderer shows too).

- deps: the stage script, every library module it imports (directly or through other plancast modules,
  package ``__init__`` files included), the artifacts it reads (``plancast.catalog``), nothing else;
- outs and metrics: the artifacts it writes, with the same ``cache`` flag;
- params: the keys the catalog declares (the end-to-end test checks the stage reads exactly those).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from plancast.catalog import (
    IMAGES,
    MODEL,
    NETWORK_ARTIFACTS,
    PLOTS,
    RECOMMENDED_ARTIFACT,
    RECOMMENDED_FORECAST,
    RECOMMENDED_MODEL,
    STAGES,
    model_artifact,
)
from plancast.dvc_yaml import library_closure, render

ROOT = Path(__file__).resolve().parents[1]


def test_dvc_yaml_is_the_rendering_of_the_catalog():
    assert (ROOT / "dvc.yaml").read_text(encoding="utf-8") == render(), "run: python scripts/write_dvc_yaml.py"


def _dvc_stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def _entries(body: dict, key: str, flag: str = "cache", default: bool = True) -> dict[str, bool]:
    """Paths under ``key`` (deps, outs, metrics) -> their ``flag`` (cache, persist)."""
    found = {}
    for entry in body.get(key, []):
        if isinstance(entry, str):
            found[entry] = default
        else:
            ((path, options),) = entry.items()
            found[path] = (options or {}).get(flag, default)
    return found


def test_dvc_yaml_has_exactly_the_catalog_stages():
    assert list(_dvc_stages()) == list(STAGES)


def test_every_stage_depends_on_its_script_its_library_code_and_its_inputs_only():
    for name, stage in _dvc_stages().items():
        spec = STAGES[name]
        body = stage.get("do", stage)
        assert body["cmd"].split()[1] == spec.script, name
        expected = {spec.script} | library_closure(ROOT / spec.script)
        expected |= {artifact.dvc_path(bool(spec.foreach)) for artifact in spec.reads} | set(spec.external)
        listed = set(_entries(body, "deps"))
        assert listed == expected, (
            f"dvc.yaml stage {name}: deps missing {sorted(expected - listed)}, extra {sorted(listed - expected)}"
        )


def test_every_stage_declares_what_it_writes_with_the_catalog_cache_flag():
    for name, stage in _dvc_stages().items():
        spec = STAGES[name]
        body = stage.get("do", stage)
        for role, key in (("out", "outs"), ("metrics", "metrics")):
            expected = {a.dvc_path(): a.cache for a in spec.writes if a.role == role}
            assert _entries(body, key) == expected, f"dvc.yaml stage {name} {key}"


def test_every_stage_declares_the_catalog_persist_flag():
    persisted = set()
    for name, stage in _dvc_stages().items():
        body = stage.get("do", stage)
        expected = {a.dvc_path(): a.persist for a in STAGES[name].writes if a.role == "out"}
        assert _entries(body, "outs", "persist", False) == expected, f"dvc.yaml stage {name} outs persist"
        persisted |= {path for path, persist in expected.items() if persist}
    # the check above compares something: ingest's cache, and the monitor's log and history (docs/monitoring.md)
    assert persisted == {"data/interim/ingest_cache", "data/monitor/forecasts", "data/monitor/history.csv"}


def test_every_stage_declares_the_catalog_params_and_foreach():
    for name, stage in _dvc_stages().items():
        spec = STAGES[name]
        body = stage.get("do", stage)
        assert list(body.get("params", [])) == list(spec.params), f"dvc.yaml stage {name} params"
        assert stage.get("foreach") == (f"${{{spec.foreach}}}" if spec.foreach else None), name


def test_architecture_doc_shows_the_catalog_table():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    from plancast.catalog import markdown_table

    assert markdown_table() in doc, "docs/architecture.md: paste the output of `python -m plancast.catalog`"


def test_every_network_and_the_recommended_forecast_are_model_artifacts_at_their_catalog_folders():
    # `dvc artifacts get <repo> plancast-<name>` serves any network evaluate may pick as best_network,
    # and plancast-recommended the recommended forecast
    networks = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["models"]
    artifacts = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["artifacts"]
    assert {name: (entry["path"], entry["type"]) for name, entry in artifacts.items()} == {
        RECOMMENDED_ARTIFACT: (RECOMMENDED_MODEL.path, "model"),
        **{model_artifact(network): (MODEL.at(network).as_posix(), "model") for network in networks},
    }


def test_model_artifacts_keep_the_catalog_desc_and_labels():
    artifacts = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["artifacts"]
    assert artifacts == {
        a.name: {"path": a.path, "type": a.type, "desc": a.desc, "labels": list(a.labels)}
        for a in (RECOMMENDED_FORECAST, *NETWORK_ARTIFACTS)
    }


def test_plots_are_the_catalog_charts_and_images_of_uncached_artifacts():
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["plots"]
    charts = [
        {
            p.title: {
                "template": p.template,
                "x": p.x,
                "y": {p.table.path: p.y},
                "x_label": p.x_label,
                "y_label": p.y_label,
            }
        }
        for p in PLOTS
    ]
    assert plots == charts + [image.path for image in IMAGES]
    # `dvc plots diff` reads them from git at each revision, and draws each chart with its own template
    assert all(not artifact.cache for artifact in [p.table for p in PLOTS] + list(IMAGES))
    assert all((ROOT / ".dvc" / "plots" / f"{p.template}.json").is_file() for p in PLOTS)
