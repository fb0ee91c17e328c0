"""A stage in the real JupyterLab 4, driven in headless Chromium as a
student drives it, through the menus the release README names.

A copy of the release whose stage 1 holds a student's answers with one
known mistake is served by ``jupyter lab`` on 127.0.0.1 (its own settings,
workspace and runtime folders, so nothing of this machine's Jupyter set-up
counts).  Then: every menu path the README gives exists under that name;
Run > Run All Cells stops at the first failing test, as the README warns;
the Check everything cell, run on its own, prints every check, naming the
cells Jupyter did not run; File > Save Notebook writes the file, and the
student's pytest prints the same table with no note about unsaved work.
About 30 s.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from .support.handed_in import with_a_mistake
from .support.stage_notebooks import ASSIGNMENTS, STUDENT_KIT, release_path
from .support.student_env import points_table, run_pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                 reason="Debian's chromium and chromium-driver are not installed")]

STAGE = "01_activations"
WAIT = 120   # seconds for anything the page has to do
MENU_ITEM = ".lm-Menu-content .lm-Menu-itemLabel"
MENU_PATH = re.compile(r"\*\*((?:File|Edit|View|Run|Kernel) > [^*]+)\*\*")   # the README writes them in bold


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """``jupyter lab`` on a folder, and a headless Chromium looking at it."""

    def __init__(self, root: Path, scratch: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "JUPYTER"))}
        for name in ("CONFIG", "RUNTIME", "DATA"):
            env[f"JUPYTER_{name}_DIR"] = str(scratch / name.lower())
        env.update(JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"),
                   JUPYTERLAB_SETTINGS_DIR=str(scratch / "settings"))
        self.server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={root}"],
            env=env, stdout=subprocess.DEVNULL, stderr=(scratch / "server.log").open("w"))
        self._wait_for_server()
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                     f"--user-data-dir={scratch / 'chromium'}"):
            options.add_argument(flag)
        self.browser = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)

    def _wait_for_server(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token={self.token}", timeout=5)
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("jupyter lab did not start")

    def close(self) -> None:
        self.browser.quit()
        self.server.terminate()
        self.server.wait(timeout=30)

    def js(self, script: str, *args):
        return self.browser.execute_script(script, *args)

    def until(self, what: str, test, timeout: float = WAIT):
        """Poll ``test()`` until it returns something true; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = test()
            if found:
                return found
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}")

    def open(self, notebook: str) -> None:
        self.browser.get(f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?token={self.token}")
        self.until("the kernel to be idle", lambda: re.search(r"\| Idle", self.status_bar()))

    def status_bar(self) -> str:
        return self.js("const bar = document.querySelector('#jp-main-statusbar'); return bar ? bar.textContent : ''")

    def menu_labels(self, menu: str) -> list[str]:
        """Open a menu of the menu bar (with real mouse events, which Lumino
        listens to); the labels of its items."""
        (item,) = [item for item in self.browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")
                   if item.text.strip() == menu]
        item.click()
        return self.until(f"the {menu} menu", lambda: [
            label.text.strip() for label in self.browser.find_elements(
                By.CSS_SELECTOR, MENU_ITEM) if label.text.strip()])

    def choose(self, menu: str, item: str) -> None:
        assert item in self.menu_labels(menu), f"{menu} > {item}"
        (label,) = [label for label in self.browser.find_elements(By.CSS_SELECTOR, MENU_ITEM)
                    if label.text.strip() == item]
        label.click()

    def close_menus(self) -> None:
        ActionChains(self.browser).send_keys(Keys.ESCAPE).perform()
        self.until("the menu to close", lambda: not self.browser.find_elements(By.CSS_SELECTOR, ".lm-Menu-content"))

    ORDERED = """return Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).sort(
        (a, b) => Number(a.dataset.windowedListIndex) - Number(b.dataset.windowedListIndex))"""

    def cells(self) -> list[dict]:
        """Every code cell in notebook order (JupyterLab 4 renders a long
        notebook in a windowed list, not in DOM order): its prompt ("[3]:",
        "[ ]:", "[*]:") and output text."""
        return self.js(self.ORDERED + """.filter(cell => cell.classList.contains('jp-CodeCell')).map(cell => ({
            prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
            output: Array.from(cell.querySelectorAll('.jp-OutputArea-output'))
                         .map(output => output.textContent).join('\\n')}))""")

    def select_last_cell(self) -> None:
        last = self.js(self.ORDERED + ".pop()")
        ActionChains(self.browser).move_to_element(last).perform()
        last.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()

    def idle(self) -> bool:
        return "| Idle" in self.status_bar() and not any("*" in cell["prompt"] for cell in self.cells())


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not ASSIGNMENTS.is_dir():
        pytest.fail("no assignments/ folder: run `mlpkit release`")
    base = tmp_path_factory.mktemp("jupyterlab")
    folder, notebook = with_a_mistake(base / "course", STAGE)
    scratch = base / "scratch"
    scratch.mkdir()
    session = Lab(folder, scratch)
    try:
        session.open(f"{STAGE}/{STAGE}.ipynb")
        yield session, folder
    finally:
        session.close()


def test_the_menus_the_readme_names_exist(lab):
    session, _ = lab
    text = " ".join(STUDENT_KIT.joinpath("README.md").read_text(encoding="utf-8").split())
    paths = sorted(set(MENU_PATH.findall(text)))
    assert {"Run > Run All Cells", "Kernel > Restart Kernel and Run All Cells", "File > Save Notebook"} <= set(paths)
    mentions = re.findall(r"\b(?:File|Edit|View|Run|Kernel) > ", text)
    assert len(mentions) == len(MENU_PATH.findall(text)), "every menu path in the README is in bold"
    for path in paths:
        menu, item = path.split(" > ")
        labels = session.menu_labels(menu)
        session.close_menus()
        assert any(label.rstrip("…") == item for label in labels), (path, labels)


def test_run_all_stops_then_the_last_cell_checks_everything_and_pytest_agrees(lab, tmp_path):
    session, folder = lab
    session.choose("Run", "Run All Cells")
    cells = session.until("Run All Cells to stop at a failing test", lambda: session.idle() and any(
        "Error" in cell["output"] for cell in session.cells()) and session.cells())
    stopped = next(index for index, cell in enumerate(cells) if "Error" in cell["output"])
    assert cells[0]["prompt"].strip() == "[1]:"
    assert all(cell["prompt"].strip() == "[ ]:" for cell in cells[stopped + 1:]), "Run All stops at a failing test"

    session.select_last_cell()
    session.choose("Run", "Run Selected Cell and Do not Advance")
    printed = session.until("the last cell's table", lambda: session.idle() and "total" in session.cells()[-1]["output"]
                            and session.cells()[-1]["output"])
    table = points_table(printed)[STAGE]
    assert {status for status, *_ in table["checks"].values()} == {"PASS", "FAIL"}
    assert "not run in this kernel, so checked as saved" in " ".join(printed.split())

    session.choose("File", "Save Notebook")
    session.until("the notebook to be saved", lambda: nbformat.read(
        str(release_path(folder, STAGE)), as_version=4).cells[-1].outputs)
    _, output = run_pytest(folder, STAGE, runner_folder=tmp_path)
    assert points_table(output)[STAGE] == table, output[-3000:]
    assert "holds no outputs" not in output and "disagree" not in output
