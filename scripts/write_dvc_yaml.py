"""Write dvc.yaml from the catalog and the code each stage imports (:func:`plancast.dvc_yaml.render`).

Usage: python scripts/write_dvc_yaml.py   (after changing src/plancast/catalog.py or a stage's imports)

The whole file is written: stages, model artifacts, plots. tests/test_pipeline_definition.py fails
until dvc.yaml equals the rendering, so edit the catalog, not dvc.yaml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from plancast.catalog import STAGES
from plancast.dvc_yaml import ROOT, render

PROJECT = Path(__file__).resolve().parents[1]


def main() -> None:
    if ROOT != PROJECT:  # an install of another checkout would write its own stages' deps here
        sys.exit(f"plancast is imported from {ROOT}, not {PROJECT}: run with PYTHONPATH={PROJECT / 'src'}")
    path = PROJECT / "dvc.yaml"
    path.write_text(render(), encoding="utf-8")
    print(f"{path.name}: {len(STAGES)} stages, artifacts and plots written from plancast.catalog")


if __name__ == "__main__":
    main()
