"""The page of `dvc plots show` / `dvc plots diff` that works offline, and its check in a headless browser.

DVC's own page loads vega, vega-lite and vega-embed from a CDN; on a machine without network (a factory
PC) every data-series plot then silently vanishes. ``.dvc/config`` points ``plots.html_template`` at
:data:`PAGE_TEMPLATE`, which carries inline the exact builds DVC's renderer asks the CDN for. Inline rather
than beside the page: DVC writes the page into whichever ``-o`` folder it is given (``dvc_plots/``,
``report/plots/``), so a relative script path would hold for one folder depth only, and a page mailed on
to a colleague would lose its scripts.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

PAGE_TEMPLATE = Path("plots-template/page.html")
VENDORED = ("vega", "vega-lite", "vega-embed")
# the placeholder where DVC puts its CDN <script> tags: the page must not have it
DVC_SCRIPTS_PLACEHOLDER = "{scripts}"
DVC_PLOTS_PLACEHOLDER = "{plot_divs}"

_BLOCK = re.compile(
    r'<script data-vendor="(?P<package>[a-z-]+)@(?P<version>[0-9.]+)" data-sha256="(?P<sha256>[0-9a-f]*)">\n'
    r"(?P<code>.*?)\n</script>",
    re.DOTALL,
)
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"' >]+)""", re.I
)


@dataclass(frozen=True)
class VendoredScript:
    """One vendored build inside the page: what it claims to be and the code it holds."""

    package: str
    version: str
    sha256: str  # as recorded in the page when vendored
    code: str

    @property
    def actual_sha256(self) -> str:
        return hashlib.sha256(self.code.encode("utf-8")).hexdigest()


def expected_versions() -> dict[str, str]:
    """The versions of vega, vega-lite and vega-embed that the installed DVC renderer loads from its CDN."""
    from dvc_render.vega import VegaRenderer

    return dict(re.findall(r"/npm/([a-z-]+)@([0-9.]+)", VegaRenderer.SCRIPTS))


def vendored_scripts(page: str) -> list[VendoredScript]:
    return [VendoredScript(m["package"], m["version"], m["sha256"], m["code"]) for m in _BLOCK.finditer(page)]


def with_vendored(page: str, package: str, version: str, code: str) -> str:
    """``page`` with the block of ``package`` holding ``code`` of ``version`` (and its sha256)."""
    if "</script" in code.lower() or "<!--" in code:
        raise ValueError(f"{package}@{version} cannot be inlined: it contains '</script' or '<!--'")
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    found = [m for m in _BLOCK.finditer(page) if m["package"] == package]
    if len(found) != 1:
        raise ValueError(f'the page needs exactly one <script data-vendor="{package}@..."> block, found {len(found)}')
    block = f'<script data-vendor="{package}@{version}" data-sha256="{digest}">\n{code}\n</script>'
    return page[: found[0].start()] + block + page[found[0].end() :]


def external_references(html: str) -> list[str]:
    """Every URL an element of ``html`` would fetch from the network (script/link/img/iframe src or href)."""
    return _EXTERNAL.findall(html)


# --- the check in a headless browser ------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in CI containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no host name resolves: the page is checked as if offline
    "--virtual-time-budget=8000",  # let vega-embed finish drawing before the snapshot
)


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _chromium(chromium: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="plancast-chromium-") as profile:
        return subprocess.run(
            [chromium, *_CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=180, check=True,
        )  # fmt: skip


def rendered_dom(chromium: str, page: Path) -> str:
    """The page's DOM after its scripts ran, as the browser holds it."""
    return _chromium(chromium, "--dump-dom", page.resolve().as_uri()).stdout


def screenshot(chromium: str, page: Path, png: Path, width: int = 1400, height: int = 4000) -> None:
    _chromium(chromium, f"--screenshot={png.resolve()}", f"--window-size={width},{height}", page.resolve().as_uri())


class _PlotDivs(HTMLParser):
    """The top-level plot divs of DVC's page (a div with an id inside body) and what each holds."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.current: str | None = None
        self.holds: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "div":
            self.depth += 1
            if self.current is None and named.get("id"):
                self.current, self.start_depth = named["id"], self.depth
                self.holds[self.current] = []
                return
        if self.current is not None:
            self.holds[self.current].append(f"{tag}.{named['class']}" if named.get("class") else tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            if self.current is not None and self.depth == self.start_depth:
                self.current = None
            self.depth -= 1


def plot_contents(dom: str) -> dict[str, list[str]]:
    """Plot div id -> the elements inside it in order, as ``tag`` or ``tag.class`` (``svg.marks``, ``img``)."""
    parser = _PlotDivs()
    parser.feed(dom)
    return parser.holds


def undrawn_plots(dom: str) -> list[str]:
    """Ids of the plot divs in which nothing was drawn.

    vega-embed replaces DVC's ``<script>`` in a vega plot's div with its chart, a ``canvas`` or ``svg`` of
    class ``marks`` (another svg, the actions menu's icon, proves nothing); an image plot's div holds an img.
    """
    drawn = {"canvas.marks", "svg.marks", "img"}
    return [ident for ident, elements in plot_contents(dom).items() if not drawn & set(elements)]


def blank_fraction(png: Path) -> float:
    """Share of the screenshot's pixels that are plain white: 1.0 is an empty page."""
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    return float(np.all(pixels >= 0.99, axis=-1).mean())
