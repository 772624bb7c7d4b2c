"""The notebooks as a learner meets them: `./lab` (the README's first command) serves
JupyterLab on the learner's copy of the notebooks, headless Chromium lands on notebook 00, runs
it and clicks the dashboard's cable button, which is 00's exercise, so its check says well
done; then every other notebook runs top to bottom through JupyterLab's Run menu with its
exercise left undone, so its check says what is still missing (and nothing fails); in 04 the
learner asks for a hint (one is revealed), then types the answer into the exercise's cell and
the check passes; in 00 a cell typed under the dashboard opens a terminal on the lab, and a
command typed in it shows on the dashboard; the checkout's own notebooks are as they were.

Screenshots go to artifacts/browser/ (LABKIT_ARTIFACTS overrides), also when a test fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("LABKIT_ARTIFACTS", REPO / "artifacts")) / "browser"
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("0*.ipynb"))
WELL_DONE = "Well done: everything the exercise asks for is in place."
NOT_YET = "Not yet:\n  - "

pytestmark = pytest.mark.skipif(browser.missing() is not None,
                                reason=browser.missing() or "")


def committed() -> dict[str, str]:
    """The checkout's notebooks/ as it is now: name -> digest."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((REPO / "notebooks").iterdir()) if p.is_file()}


BEFORE = committed()  # when this module is collected, before any notebook runs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[browser.Server]:
    with browser.served_lab(REPO, tmp_path_factory.mktemp("jupyterlab")) as running:
        yield running


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    with browser.chromium() as running:
        yield running


@contextlib.contextmanager
def shot_on_failure(driver, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"{name}-failed.png"))
        raise


def test_lab_lands_on_notebook_00_and_its_dashboard_follows_a_click(server, driver) -> None:
    assert "[labkit] engine: " in server.printed()  # ./lab says which engine and why
    # ./lab made the learner's copy, says where, and serves it
    assert f"[labkit] your notebooks: {server.notebooks} " in server.printed()
    assert sorted(p.name for p in server.notebooks.glob("*.ipynb")) == sorted(
        p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    driver.get(f"{server.url}/?token={server.token}")  # where ./lab's browser goes
    page = browser.NotebookPage(driver, "00-start-here.ipynb")
    with shot_on_failure(driver, "00-start-here"):
        # run up to the dashboard (the cells after it pull a cable and close the lab); the
        # cells are JupyterLab's model of the notebook, out of view or not
        cells = json.loads((REPO / "notebooks" / "00-start-here.ipynb").read_text())["cells"]
        assert [c["source"] for c in page.cells()] == ["".join(c["source"]) for c in cells]
        dash = next(i for i, cell in enumerate(page.cells())
                    if "lab.dashboard(" in cell["source"])
        page.select_cell(dash + 1)
        page.run("notebook:run-all-above", slice(0, page.code_cells_before(dash + 1)), 180)
        by = page.by
        page.show_cell(dash)
        drawing = page.wait_for(lambda: page.panel().find_element(
            by.CSS_SELECTOR, "svg.labkit-diagram"), 30, "the dashboard's drawing did not appear")
        assert "[bond0 active]" in drawing.text and "sw37: plugged" in drawing.text

        def active() -> str:
            return page.panel().find_element(by.CSS_SELECTOR, ".labkit-active").text

        def button(label: str):
            return page.panel().find_element(
                by.XPATH, f".//button[contains(@class, 'widget-button')][text()='{label}']")

        page.wait_for(lambda: active() == "ens37", 30, "the dashboard did not show ens37 active")
        page.screenshot("svg.labkit-diagram", ARTIFACTS / "00-dashboard-before.png")
        button("unplug ens37").click()
        page.wait_for(lambda: active() == "ens38", 30,
                      "clicking 'unplug ens37' did not make ens38 the active slave shown")
        assert button("plug ens37").is_displayed()
        bonding = page.panel().find_element(by.CSS_SELECTOR, "pre.labkit-bonding").text
        assert "Currently Active Slave: ens38" in bonding
        cable = page.panel().find_element(by.CSS_SELECTOR, "svg.labkit-diagram .cable-ens37")
        assert cable.get_attribute("stroke-dasharray")  # drawn pulled
        page.screenshot("svg.labkit-diagram", ARTIFACTS / "00-dashboard-after-unplug.png")

        # then the rest of the notebook, as the learner goes on
        page.select_cell(dash + 1)
        page.run("notebook:run-all-below", slice(None), 180)
        assert page.errors() == []
        assert WELL_DONE in page.output_text()

        # what the learner saves lands in their copy, not in the checkout
        saved = server.notebooks / "00-start-here.ipynb"
        page.menu("File", "docmanager:save")
        page.wait_for(lambda: saved.read_bytes() != (REPO / "notebooks" / saved.name).read_bytes(),
                      30, "saving notebook 00 did not write the learner's copy")
        assert WELL_DONE in saved.read_text()


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if not n.startswith("00")])
def test_notebook_runs_top_to_bottom_in_jupyterlab(server, driver, name: str) -> None:
    page = browser.open_notebook(driver, server, name)
    with shot_on_failure(driver, name.removesuffix(".ipynb")):
        page.run_all()
        assert page.errors() == []
        # the exercise is the learner's to do: its check says what is missing, and how
        assert NOT_YET in page.output_text() and WELL_DONE not in page.output_text()


def test_a_learner_types_the_answer_and_the_check_says_well_done(server, driver) -> None:
    name = "04-who-is-active.ipynb"
    page = browser.open_notebook(driver, server, name)
    with shot_on_failure(driver, "04-typed"):
        cells = page.cells()
        exercise = next(i for i, c in enumerate(cells) if "# Make ens37 the active slave" in
                        c["source"])
        check, help_cell, close = exercise + 1, exercise + 2, exercise + 3
        assert "checks.check(" in cells[check]["source"]
        assert "help.hints('04-active'" in cells[help_cell]["source"]
        assert "lab.close()" in cells[close]["source"]
        page.select_cell(close)  # all but the close, as the learner who reads the check
        page.run("notebook:run-all-above", slice(0, page.code_cells_before(close)), 180)
        cells = page.cells()
        assert NOT_YET in "".join(o["text"] for o in cells[check]["outputs"])
        # stuck: the learner asks for one hint, and gets the first one only
        by = page.by
        shown = page.show_cell(help_cell)
        page.wait_for(lambda: shown.find_element(
            by.XPATH, ".//button[text()='Show a hint']").is_displayed(), 30,
            "the hints cell shows no 'Show a hint' button")
        assert not shown.find_elements(by.CSS_SELECTOR, ".labkit-hint")
        shown.find_element(by.XPATH, ".//button[text()='Show a hint']").click()
        hints = page.wait_for(lambda: shown.find_elements(by.CSS_SELECTOR, ".labkit-hint"), 30,
                              "clicking 'Show a hint' revealed no hint")
        assert len(hints) == 1 and "/proc/net/bonding/bond0" in hints[0].text, hints[0].text
        page.type_into(exercise, "ip link set bond0 type bond active_slave ens37")
        typed = "".join(o["text"] for o in page.run_cell(exercise))
        assert "[root@server ~]# ip link set bond0 type bond active_slave ens37" in typed
        shown = "".join(o["text"] for o in page.run_cell(check))
        assert WELL_DONE in shown, shown
        assert page.errors() == []


def test_a_learner_opens_a_terminal_and_the_dashboard_follows_what_they_type(server, driver
                                                                           ) -> None:
    """lab.terminal() typed into a cell of its own under 00's dashboard: its link opens
    JupyterLab's terminal on the notebook's lab in a tab of its own; a command typed there
    changes the lab, and the dashboard in the notebook's tab shows it."""
    name = "00-start-here.ipynb"
    page = browser.open_notebook(driver, server, name)
    by = page.by
    with shot_on_failure(driver, "00-terminal"):
        dash = next(i for i, cell in enumerate(page.cells()) if "lab.dashboard(" in cell["source"])
        page.select_cell(dash + 1)
        page.run("notebook:run-all-above", slice(0, page.code_cells_before(dash + 1)), 180)
        page.wait_for(lambda: page.panel().find_element(
            by.CSS_SELECTOR, ".labkit-active").text == "ens37", 30,
            "the dashboard did not show ens37 active")
        page.select_cell(dash)
        driver.execute_script("window.jupyterapp.commands.execute('notebook:insert-cell-below')")
        page.wait_for(lambda: len(page.cells()) > dash + 1 and page.cells()[dash + 1]["source"]
                      == "" and page.state()["active"] == dash + 1, 10, "no new cell below")
        page.type_into(dash + 1, "lab.terminal()")
        page.run_cell(dash + 1)
        link = page.wait_for(lambda: page.show_cell(dash + 1).find_element(
            by.CSS_SELECTOR, "a.labkit-terminal-link"), 30, "lab.terminal() showed no link")
        notebook_tab = driver.current_window_handle
        link.click()  # target=_blank: JupyterLab again, in a tab of its own, on the terminal
        page.wait_for(lambda: len(driver.window_handles) == 2, 30, "the link opened no tab")
        driver.switch_to.window(next(h for h in driver.window_handles if h != notebook_tab))
        try:
            screen = page.wait_for(lambda: driver.find_element(
                by.CSS_SELECTOR, ".jp-Terminal .xterm-screen"), 90, "no terminal in the new tab")
            page.wait_for(lambda: "~]#" in _terminal_text(driver), 60,
                          "the terminal showed no prompt of the lab's server:\n"
                          + _terminal_text(driver))
            screen.click()
            driver.find_element(by.CSS_SELECTOR, ".jp-Terminal .xterm-helper-textarea"
                                ).send_keys("ip link set bond0 type bond active_slave ens38\n")
            page.wait_for(lambda: _terminal_text(driver).count("~]#") >= 2, 30,
                          "the command typed in the terminal did not finish:\n"
                          + _terminal_text(driver))
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "00-terminal-tab.png"))
            driver.close()
            driver.switch_to.window(notebook_tab)
        page.wait_for(lambda: page.panel().find_element(
            by.CSS_SELECTOR, ".labkit-active").text == "ens38", 30,
            "the dashboard did not follow the terminal's ip link set ... active_slave ens38")
        assert "Currently Active Slave: ens38" in page.panel().find_element(
            by.CSS_SELECTOR, "pre.labkit-bonding").text
        assert page.errors() == []
        page.menu("File", "docmanager:save")  # nothing left unsaved to hold the page back


def _terminal_text(driver) -> str:
    """What JupyterLab's terminal in front shows: xterm.js's buffer, line by line (its
    renderer draws on a canvas, so the page holds no text of it)."""
    return driver.execute_script("""
        const widget = window.jupyterapp.shell.currentWidget;
        const term = widget && widget.content && widget.content._term;
        if (!term) return '';
        const buffer = term.buffer.active, lines = [];
        for (let i = 0; i < buffer.length; i++)
            lines.push(buffer.getLine(i).translateToString(true));
        return lines.join('\\n');""") or ""


def test_running_every_notebook_left_the_checkouts_notebooks_as_they_were(server) -> None:
    assert committed() == BEFORE
