"""Render this project's DVC plots page offline in headless Chromium, screenshot it and check it.

Usage: python scripts/screenshot_plots.py [--out DIR] [--height PX] [REV ...]

Runs `dvc plots show` (or `dvc plots diff REV ...`) into DIR/page, opens the page in Chromium with no
host name resolving (as on a machine without network), writes DIR/plots.png and checks that no element
loads from the network, that every plot drew (vega: a canvas; image: an img) and that the screenshot is
not blank. Prints one line per problem and exits 1 if any. Needs `chromium` (Debian: apt-get install chromium).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from plancast.reporting import plots_page

MOSTLY_WHITE = 0.97  # a page whose plots did not draw is white but for the image plots' frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revs", nargs="*", help="revisions for `dvc plots diff` (none: `dvc plots show`)")
    parser.add_argument("--out", type=Path, default=Path("dvc_plots_check"))
    parser.add_argument("--height", type=int, default=4000, help="screenshot height in pixels")
    args = parser.parse_args()
    chromium = plots_page.find_chromium()
    if chromium is None:
        print(f"error: no Chromium found (looked for {', '.join(plots_page.CHROMIUM_NAMES)}); "
              "Debian: apt-get install chromium", file=sys.stderr)  # fmt: skip
        return 2
    page_dir = args.out / "page"
    command = ["plots", "diff", *args.revs] if args.revs else ["plots", "show"]
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *command, "-o", str(page_dir)], capture_output=True, text=True
    )
    if result.returncode != 0:
        print(f"error: dvc {' '.join(command)} failed: {result.stderr.strip()}", file=sys.stderr)
        return 2
    page = page_dir / "index.html"
    problems = [f"the page loads {url} from the network" for url in plots_page.external_references(page.read_text())]
    dom = plots_page.rendered_dom(chromium, page)
    problems += [f"plot {ident!r} drew nothing" for ident in plots_page.undrawn_plots(dom)]
    if not plots_page.plot_contents(dom):
        problems.append("the page holds no plots")
    png = args.out / "plots.png"
    plots_page.screenshot(chromium, page, png, height=args.height)
    white = plots_page.blank_fraction(png)
    if white > MOSTLY_WHITE:
        problems.append(f"the screenshot is {white:.0%} white: nothing drew")
    for problem in problems:
        print(f"problem: {problem}")
    drawn = len(plots_page.plot_contents(dom)) - len(plots_page.undrawn_plots(dom))
    print(f"{page} ({'offline, ' if not problems else ''}{drawn} plot(s) drawn); screenshot {png}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
