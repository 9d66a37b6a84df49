"""JupyterLab, driven in a real browser as a researcher would: open notebook 01, Run All,
drag the ``rho`` slider of its explorer, and see the reproduction table and the verdicts
change in place. The screenshot is saved as reports/screenshots/lab-explore.png (as the
reader test saves its own); docs/lab-explore.png is a copy of one such run.

Needs Debian's chromium (Playwright drives it; no browser download); skipped with a
reason when it is missing. The notebook runs from a scratch copy, so Lab's autosave can
never write outputs into notebooks/.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, stop_group

NB01 = ROOT / "notebooks" / "01_spinal_shrinkage_vs_pace.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOT = ROOT / "reports" / "screenshots" / "lab-explore.png"

pytestmark = [pytest.mark.slow, pytest.mark.long(30),
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a scratch copy of notebook 01; yields (url, log path)."""
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NB01, work / NB01.name)
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items()
           if k not in ("RUNSPINE_OUTPUT_DIR", "RUNSPINE_EXPLORE")}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")  # no user settings
    log = tmp_path / "lab.log"
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--notebook-dir={work}", "--ServerApp.ip=127.0.0.1",
           "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while f":{port}/" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/lab/tree/{NB01.name}?token={token}", log
    finally:
        stop_group(proc)


def _explore_state(page) -> dict:
    """What a researcher reads in the explorer: the table caption and rows, the verdicts."""
    return page.evaluate("""() => {
        const box = document.querySelector('.runspine-explore');
        const figs = [...box.querySelectorAll('figure.runspine-tablefig')];
        return {
          slider: box.querySelector('.widget-slider .widget-readout').textContent.trim(),
          caption: figs[0].querySelector('figcaption').innerText,
          table: figs[0].querySelector('tbody').innerText,
          verdicts: figs[1].querySelector('tbody').innerText,
          images: box.querySelectorAll('img[src^="data:image/png"]').length,
          error: (box.querySelector('.runspine-explore-error') || {}).innerText || '',
        };
    }""")


def test_dragging_rho_in_jupyterlab_updates_table_and_verdicts(lab):
    from playwright.sync_api import sync_playwright

    url, log = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update"])
        try:
            # tall enough for the whole explorer (controls, two tables, figure) in one shot
            page = browser.new_page(viewport={"width": 1300, "height": 2600})
            page.set_default_timeout(400_000)
            page.goto(url)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            # a fresh Lab may ask which kernel to start, with the notebook's preselected;
            # else it starts the notebook's kernel: wait for whichever comes first
            dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
            page.wait_for_function("""() => [...document.querySelectorAll('.jp-Dialog')]
                .some(d => d.innerText.includes('Select Kernel'))
                || (document.querySelector(
                      ".jp-Notebook-ExecutionIndicator[data-status='idle']")
                    && [...document.querySelectorAll('.jp-KernelName')]
                      .some(k => k.innerText.includes('Python (runspine)')))""")
            if dialog.count():
                assert "Python (runspine)" in dialog.inner_text()
                dialog.get_by_role("button", name="Select", exact=True).click()
            # the project kernel, idle, then Run > Run All Cells
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            assert "Python (runspine)" in page.locator(".jp-KernelName").first.inner_text()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
            page.wait_for_selector(".runspine-explore figure.runspine-tablefig",
                                   state="attached")
            box = page.locator(".runspine-explore")
            box.scroll_into_view_if_needed()
            page.wait_for_function("""() => document.querySelectorAll(
                '.runspine-explore figure.runspine-tablefig').length >= 2 &&
                document.querySelector('.runspine-explore img[src^="data:image/png"]')""")
            before = _explore_state(page)
            assert before["slider"] == "0.50", before
            assert "rho = 0.5," in before["caption"] and before["images"] == 1, before

            # drag the rho slider's handle to the right, as a mouse would, once every
            # cell has run (Lab scrolls the notebook while it runs) and the handle is in
            # view and stays put
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            rho = box.locator(".widget-slider", has_text="rho")
            handle = rho.locator(".noUi-handle").first
            track = rho.locator(".noUi-target").first
            hb = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                handle.scroll_into_view_if_needed()
                page.wait_for_timeout(250)
                hb, tb = handle.bounding_box(), track.bounding_box()
                if hb == handle.bounding_box():
                    break
            page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
            page.mouse.down()
            page.mouse.move(tb["x"] + tb["width"] * 0.93, hb["y"] + hb["height"] / 2, steps=12)
            page.mouse.up()
            readout = rho.locator(".widget-readout").first
            deadline = time.monotonic() + 15
            while readout.inner_text().strip() == "0.50" and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            if readout.inner_text().strip() == "0.50":  # the drag was lost (a busy machine):
                readout.click()                         # type into the slider's readout
                page.keyboard.press("Control+A")
                page.keyboard.type("0.9")
                page.keyboard.press("Enter")
            page.wait_for_function(
                """old => {const c = document.querySelector(
                    '.runspine-explore figure.runspine-tablefig figcaption');
                    return c && !c.innerText.includes(old);}""", arg="rho = 0.5,")
            page.wait_for_function("""() => document.querySelector(
                '.runspine-explore img[src^="data:image/png"]')""")
            page.wait_for_timeout(500)
            after = _explore_state(page)
            moved = float(after["slider"])
            assert 0.8 < moved <= 0.99, after
            assert f"rho = {moved:g}," in after["caption"], after
            assert after["table"] != before["table"], "the reproduction table did not change"
            assert after["verdicts"] != before["verdicts"], "the verdicts did not change"
            assert f"rho = {moved:g}" in after["verdicts"]
            assert after["error"] == "" and after["images"] == 1
            news = page.get_by_role("button", name="No", exact=True)  # Lab's news prompt
            if news.count():
                news.first.click()
            box.scroll_into_view_if_needed()
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            box.screenshot(path=str(SHOT))
        finally:
            browser.close()
    assert SHOT.stat().st_size > 20_000
    assert "Traceback" not in log.read_text()
