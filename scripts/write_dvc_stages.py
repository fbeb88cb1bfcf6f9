"""Rewrite the `stages:` section of dvc.yaml from the catalog and the code each stage imports.

Usage: python scripts/write_dvc_stages.py   (after changing src/plancast/catalog.py or a stage's imports)

Each stage's deps are its script, every plancast module it imports (directly or through other plancast
modules, package __init__ files included) and the artifacts it reads; outs and metrics are what it
writes, with the catalog's cache and persist flags; params are the catalog's keys. tests/test_pipeline_definition.py
fails until dvc.yaml and the catalog agree. Everything after `stages:` up to the next top-level key is
replaced; the rest of dvc.yaml (plots, artifacts) is kept as written.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_pipeline_definition import library_closure  # noqa: E402

from plancast.catalog import STAGES  # noqa: E402


def stage_lines() -> list[str]:
    lines = []
    for spec in STAGES.values():
        deps = [spec.script, *sorted(library_closure(ROOT / spec.script))]
        deps += [a.dvc_path(bool(spec.foreach)) for a in spec.reads] + list(spec.external)
        ind = "      " if spec.foreach else "    "
        lines.append(f"  {spec.name}:")
        if spec.foreach:
            lines += [f"    foreach: ${{{spec.foreach}}}", "    do:", f"{ind}cmd: python {spec.script} ${{item}}"]
        else:
            lines.append(f"{ind}cmd: python {spec.script}")
        lines += [f"{ind}deps:", *(f"{ind}  - {d}" for d in deps)]
        if spec.params:
            lines += [f"{ind}params:", *(f"{ind}  - {p}" for p in spec.params)]
        for role, key in (("out", "outs"), ("metrics", "metrics")):
            written = [a for a in spec.writes if a.role == role]
            if written:
                lines.append(f"{ind}{key}:")
                for a in written:
                    options = ([] if a.cache else ["cache: false"]) + (["persist: true"] if a.persist else [])
                    lines.append(f"{ind}  - {a.dvc_path()}" + (":" if options else ""))
                    lines += [f"{ind}      {option}" for option in options]
        lines.append("")
    return lines


def main() -> None:
    path = ROOT / "dvc.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("stages:\n") + len("stages:\n")
    after = re.search(r"^\S", text[start:], flags=re.M)
    end = start + after.start() if after else len(text)
    path.write_text(text[:start] + "\n".join(stage_lines()) + text[end:], encoding="utf-8")
    print(f"{path.name}: {len(STAGES)} stages written from plancast.catalog")


if __name__ == "__main__":
    main()
