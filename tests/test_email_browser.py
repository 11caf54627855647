"""The HTML email and page in a real headless browser: phone and desktop widths, nothing wider than the screen.

Needs Debian's chromium (scripts/test.sh installs it when it can); skipped, with the reason, if absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing.digest_json import load_digest
from briefing.models import Digest
from briefing.render import to_email_html, to_html
from tests.support.data import EXAMPLES
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import DATE, run_day, seed_embeddings
from tests.support.servers import serve_folder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# A translation's original long enough to wrap several times, with a 154-letter word that must break too.
LONG_ORIGINAL = (
    "Eduskunnan valtiovarainvaliokunta hyväksyi tiistaina hallituksen esityksen, jonka mukaan "
    + "lentokonesuihkuturbiinimoottoriapumekaanikkoaliupseerioppilaskoulutusohjelma" * 2
    + " lakkautetaan vuoden 2027 alusta, ja säästöjen arvioidaan nousevan 120 miljoonaan euroon. " * 4
).strip()
# Opens every <details> (the page's originals), measures after layout and reports to the page around it,
# which --dump-dom prints: window width, scroll width, rightmost edge, how many originals are visible.
PROBE = """<script>
window.addEventListener('load', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var width = window.innerWidth, worst = 0, shown = 0;
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > worst) { worst = r.right; }
  });
  document.querySelectorAll('span[title^="Original ("], details.orig[open] > .orig-text').forEach(function (el) {
    if (el.getBoundingClientRect().width > 0) { shown += 1; }
  });
  var root = document.documentElement;
  parent.document.body.setAttribute('data-probe', [width, root.scrollWidth, Math.ceil(worst), shown].join(','));
});
</script></body>"""
# Headless Chromium windows are at least 500px wide: a phone screen is an iframe of its width.
FRAME = """<!DOCTYPE html><html><body style="margin:0;background:#888">
<iframe src="{page}" style="width:{width}px;height:2400px;border:0;display:block;background:#fff"></iframe>
</body></html>"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (same origin for the frame and the email)."""
    with serve_folder(tmp_path) as base:
        yield tmp_path, base


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory, sample_embeddings: Path) -> Digest:
    """A real run's digest, its first sentence made a translation with a long original."""
    folder = tmp_path_factory.mktemp("digest")
    seed_embeddings(folder / "cache", sample_embeddings)
    with ScriptedOpenAI() as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("BRIEFING_LLM_BASE_URL", server.base_url)
        mp.setenv("BRIEFING_LLM_MODEL", "scripted")
        mp.setenv("BRIEFING_CACHE_DIR", str(folder / "cache"))
        mp.setenv("BRIEFING_STATE_PATH", str(folder / "state.sqlite"))
        outcome = run_day([EXAMPLES], folder, summary={"mode": "abstractive"})
    assert outcome.status == "ok"
    digest = load_digest(folder / DATE)
    summary = digest.stories[0].summary
    assert summary is not None
    summary.sentences[0].original, summary.sentences[0].original_language = LONG_ORIGINAL, "fi"
    return digest


@pytest.fixture(scope="module")
def pages(digest: Digest) -> dict[str, str]:
    """The email and the digest page, by name."""
    return {"email": to_email_html(digest, "mailto:unsubscribe@news.example"), "page": to_html(digest)}


def chromium(args: list[str], user_dir: Path) -> str:
    assert CHROMIUM is not None
    proc = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={user_dir}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize("width", [375, 1000])
@pytest.mark.parametrize("name", ["email", "page"])
def test_html_fits_the_screen(
    pages: dict[str, str], name: str, width: int, served: tuple[Path, str], tmp_path: Path
) -> None:
    folder, base = served
    (folder / f"{name}.html").write_text(pages[name].replace("</body>", PROBE), encoding="utf-8")
    (folder / "frame.html").write_text(FRAME.format(page=f"{name}.html", width=width), encoding="utf-8")
    window = f"--window-size={max(width, 500) + 40},2400"
    dom = chromium(["--virtual-time-budget=5000", window, "--dump-dom", f"{base}/frame.html"], tmp_path / "u1")
    match = re.search(r'data-probe="(\d+),(\d+),(\d+),(\d+)"', dom)
    assert match, "the probe did not run"
    viewport, scroll_width, rightmost, originals = (int(g) for g in match.groups())
    assert viewport == width
    assert originals == 1, "the long original is not there to hover (email) or open (page)"
    assert scroll_width <= viewport, f"page scrolls sideways: {scroll_width}px wide in {viewport}px"
    assert rightmost <= viewport, f"an element reaches {rightmost}px in a {viewport}px screen"
    shot = Path(os.environ.get("BRIEFING_SCREENSHOT_DIR", tmp_path)) / f"{name}-{width}.png"
    chromium(["--virtual-time-budget=5000", window, f"--screenshot={shot}", f"{base}/frame.html"], tmp_path / "u2")
    assert shot.stat().st_size > 10_000  # a real picture, not a blank page
