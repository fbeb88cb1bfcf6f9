"""Vendor into plots-template/page.html the vega, vega-lite and vega-embed builds the installed DVC expects.

Usage: python scripts/vendor_vega.py   (needs npm and the npm registry; run after upgrading DVC)

Takes the versions from DVC's renderer (the CDN tags it would write), fetches each package with
`npm pack`, inlines the file the CDN serves for it (package.json's "jsdelivr" entry) with its sha256,
and copies each package's LICENSE to plots-template/licenses/. tests/test_plots_page.py holds the page
to those versions and hashes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from plancast.reporting.plots_page import PAGE_TEMPLATE, VENDORED, expected_versions, with_vendored

ROOT = Path(__file__).resolve().parents[1]


def fetch(package: str, version: str, folder: Path) -> tuple[str, str]:
    """(the CDN's build file of ``package@version``, its LICENSE text) from the npm registry."""
    name = (
        subprocess.run(
            ["npm", "pack", "--silent", f"{package}@{version}"], cwd=folder, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with tarfile.open(folder / name) as tar:
        manifest = json.load(tar.extractfile("package/package.json"))
        code = tar.extractfile(f"package/{manifest['jsdelivr']}").read().decode("utf-8")
        licence = tar.extractfile("package/LICENSE").read().decode("utf-8")
    return code, licence


def main() -> int:
    versions = expected_versions()
    missing = [package for package in VENDORED if package not in versions]
    if missing:
        print(f"error: the installed dvc_render does not name {missing} in its scripts", file=sys.stderr)
        return 2
    page_path = ROOT / PAGE_TEMPLATE
    page = page_path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        for package in VENDORED:
            code, licence = fetch(package, versions[package], Path(folder))
            page = with_vendored(page, package, versions[package], code)
            (ROOT / "plots-template/licenses" / f"{package}.LICENSE").write_text(licence, encoding="utf-8")
            print(f"vendored {package}@{versions[package]} ({len(code):,} bytes)")
    page_path.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
