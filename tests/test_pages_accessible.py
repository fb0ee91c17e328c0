"""Every kind of HTML page the kit writes passes axe-core's WCAG 2.1 AA rules
(and its best practices: headings in order, landmarks, one main) with zero
violations, in a real headless Chromium driven by Selenium through Debian's
chromedriver, the pages served over HTTP on 127.0.0.1 by the test itself.

The pages are the real ones: ``python -m autograder grade-batch`` on a
small class (the solutions, the release stubs, and a copy of the solutions
with one stage missing) writes the feedback pages with their plots, each
student's index, the class report and the similarity report.

axe-core comes from npm (``npm ci --prefix tests/axe``, which .ci/run does):
the current release, rather than the 2018 copy bundled in the
axe-selenium-python wheel.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
STAGES = ["01_activations", "05_moons", "06_extensions"]
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def _missing() -> str:
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    if not AXE.is_file():
        return f"axe-core is not installed: npm ci --prefix {AXE.parents[2].relative_to(ROOT)}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return ""


if _missing() and os.environ.get("CI"):
    raise RuntimeError(f"the accessibility test cannot run in CI: {_missing()}")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """A graded class: OUT with every kind of page."""
    base = tmp_path_factory.mktemp("accessible")
    root = base / "submitted"
    shutil.copytree(ROOT / "solutions", root / "solver", ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(ROOT / "assignments", root / "stubber", ignore=shutil.ignore_patterns(".*", "*.py", "*.txt",
                                                                                      "*.ini", "*.md"))
    shutil.copytree(ROOT / "solutions", root / "copier", ignore=shutil.ignore_patterns(".*", "06_extensions"))
    out = base / "out"
    command = [sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out), "--seed", "5",
               "--no-progress", "--jobs", "2", *(part for stage in STAGES for part in ("--stage", stage))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stdout, result.stdout
    return out


def pages(out: Path) -> list[str]:
    """Every HTML page of the batch, relative to OUT."""
    return sorted(path.relative_to(out).as_posix() for path in out.rglob("*.html"))


@pytest.fixture(scope="module")
def server(batch):
    handler = functools.partial(_Quiet, directory=str(batch))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}/"
        finally:
            httpd.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1024",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_batch_wrote_every_kind_of_page(batch):
    found = pages(batch)
    for student in ("solver", "stubber", "copier"):
        assert f"{student}/feedback/index.html" in found
        for stage in STAGES:
            assert f"{student}/feedback/{stage}.html" in found
    assert "class-report.html" in found and "similarity.html" in found
    assert "copier" in (batch / "similarity.csv").read_text()   # a pair to show side by side


def axe_violations(driver, url: str) -> list[dict]:
    driver.get(url)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {json.dumps(RULES)}).then(r => done(r.violations), e => done([{{id: 'axe-error', "
        "help: String(e), nodes: []}]));")
    return result


PAGE_KINDS = ["solver/feedback/index.html", "solver/feedback/01_activations.html", "solver/feedback/05_moons.html",
              "solver/feedback/06_extensions.html", "stubber/feedback/05_moons.html",
              "stubber/feedback/06_extensions.html", "copier/feedback/06_extensions.html",
              "copier/feedback/index.html", "class-report.html", "similarity.html"]


@pytest.mark.parametrize("page", PAGE_KINDS)
def test_axe_finds_no_violation(browser, server, page):
    violations = axe_violations(browser, server + page)
    described = [f"{v['id']} ({v.get('impact')}): {v['help']}; "
                 + "; ".join(str(node.get("target")) + " " + node.get("failureSummary", "")[:200]
                             for node in v["nodes"][:3]) for v in violations]
    assert described == [], f"{page}:\n" + "\n".join(described)


def test_every_page_of_the_batch_was_checked(batch):
    """The list above covers each kind: every other page is one of these kinds."""
    kinds = {page.split("/")[-1] if "/" in page else page for page in PAGE_KINDS}
    assert {page.split("/")[-1] for page in pages(batch)} <= kinds


@pytest.mark.parametrize("page, back", [("solver/feedback/05_moons.html", "index.html"),
                                        ("copier/feedback/06_extensions.html", "index.html"),
                                        ("similarity.html", "class-report.html")])
def test_keyboard_reaches_the_skip_link_then_the_way_back_to_the_index(browser, server, page, back):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(server + page)
    focused = []
    for _ in range(3):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused.append(browser.execute_script(
            "const e = document.activeElement; return [e.tagName, e.getAttribute('href'), e.textContent.trim()];"))
    assert focused[0][:2] == ["A", "#main"] and focused[0][2] == "Skip to the content"
    assert focused[1][:2] == ["A", back], focused
    browser.get(server + page)
    ActionChains(browser).send_keys(Keys.TAB).send_keys(Keys.ENTER).perform()   # the skip link, followed
    assert browser.execute_script("return document.activeElement.id") == "main"


def test_every_link_and_scrolling_region_is_reachable_with_tab(browser, server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "similarity.html")
    wanted = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href], [tabindex=\"0\"]')).length;")
    browser.execute_script("document.activeElement.blur();")
    seen = set()
    for _ in range(wanted + 2):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        seen.add(browser.execute_script(
            "const e = document.activeElement; return e.outerHTML.slice(0, 120) + (e.getAttribute('href') || '') "
            "+ e.getBoundingClientRect().top;"))
    assert len(seen) >= wanted


def test_plots_are_shown_at_full_size_with_alternatives_that_say_what_they_show(browser, server):
    browser.get(server + "solver/feedback/05_moons.html")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.width, +i.getAttribute('width'), i.naturalWidth]);")
    assert len(images) == 3
    for alt, shown, width, natural in images:
        assert shown == width and natural == 2 * width, "plots are shown at their CSS size (fonts >= 13 px)"
        assert len(alt) > 80 and any(character.isdigit() for character in alt), alt
    loss = images[-1][0]
    assert loss.startswith("Line chart of the training loss") and "lies on the reference's" in loss
    assert "falls from" in loss and "2000 epochs" in loss
    browser.get(server + "class-report.html")
    alts = browser.execute_script("return Array.from(document.images).map(i => i.alt);")
    assert alts and all(alt.startswith("Bar chart of the scores of stage") for alt in alts)


def test_the_harness_does_find_violations(browser, tmp_path):
    """A page without a language, landmarks or text alternatives fails: the check can fail."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body><h3>Scores</h3>"
                   "<img src=\"data:image/png;base64,iVBORw0KGgo=\"><p style=\"color:#aaa\">low contrast</p>"
                   "</body></html>")
    found = {violation["id"] for violation in axe_violations(browser, bad.as_uri())}
    assert {"html-has-lang", "image-alt", "color-contrast", "region"} <= found, found
