"""Every lesson as a person meets it: JupyterLab in a real browser (headless Chromium).

A JupyterLab server on localhost (token set, no browser of its own) serves a copy of each
lesson's solution notebook; Playwright drives the system's Chromium to open it, runs all
cells in smoke mode (``GAN_COURSE_SMOKE=1``) and checks what a person would see:

- every code cell ran, and none has an error output (read from the notebook JupyterLab saves);
- no output shows a figure as text (``<Figure size ...>``, ``Figure(...)``): figures are
  images; the live loss curves (cells with ``LossCurves``) show an image;
- every widget cell renders controls, not text, and moving its first control (a click on a
  slider's track, or on a checkbox) changes the image below it;
- a screenshot of the executed notebook goes to ``screenshots/browser/<lesson>.png`` (and of
  the page as it was, to ``<lesson>-failed.png``, when a check fails).

Every wait is for an event in the page, never a fixed time: the kernel indicator turning idle,
the cells attached, the first prompt showing ``[*]``, every prompt numbered, the save's HTTP
response, a slider's value and then its image changing. The ceilings (``RUN_CEILING_S``,
``STEP_CEILING_S``) only bound how long a broken page is waited for.

Lessons come from ``solutions/`` (tests/nbtools.py) and widget cells from each notebook (its
calls of the course's widget views and the widget outputs it saved), so a new lesson is
checked without edits. Skipped, with the reason, where the ``playwright`` package or a
Chromium is missing, and failed instead with ``GAN_COURSE_REQUIRE_BROWSER=1`` (``.ci/run``
installs Debian's ``chromium`` and sets it; Playwright cannot download its own browser here).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbtools import ASSIGNMENTS, ROOT, source_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = ROOT / "screenshots" / "browser"
# "Run All Cells" of one lesson in smoke mode takes 25-90 s on a loaded 2-core machine
RUN_CEILING_S = 600
# every other event: JupyterLab loaded, kernel idle, a widget drawn, a slider's redraw
STEP_CEILING_S = 180
FIGURE_AS_TEXT = re.compile(r"<Figure size \d+x\d+|Figure\(\d+x\d+\)")
WIDGET_CALL = re.compile(r"\bwidgets\.(slider_view|latent_explorer)\(")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# JupyterLab settings for the test: every cell in the DOM (no windowing), no autosave of the
# copies, no news or update checks (no network)
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
# Predicates over a part of the page, checked by `wait_for_change` whenever that part changes.
# "Run All" is over: the first code cell has its number and no cell shows [*] (queued and
# running cells show [*]; after an error the cells left over show [ ])
RUN_IS_OVER = """(notebook, _) => {
    const prompts = [...notebook.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
        .map(prompt => prompt.textContent);
    return prompts.length > 0 && /\\d/.test(prompts[0]) && !prompts.some(t => t.includes('*'));
}"""
# a cell shows images, and not the ones it showed before
IMAGES_CHANGED = """(cell, before) => {
    const now = [...cell.querySelectorAll('.jp-OutputArea img')].map(img => img.src);
    return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before);
}"""
# resolves true when `ready(root, arg)` holds, checked now and after every change under root
# (a MutationObserver: elements added or removed, text, an image's source), or false after
# `ms` milliseconds
WAIT_FOR_CHANGE = """(root, [arg, ms]) => new Promise(resolve => {
    const ready = %s;
    if (ready(root, arg)) return resolve(true);
    const observer = new MutationObserver(() => {
        if (ready(root, arg)) { observer.disconnect(); clearTimeout(timer); resolve(true); }
    });
    observer.observe(root, {subtree: true, childList: true, characterData: true,
                            attributeFilter: ['src']});
    const timer = setTimeout(() => { observer.disconnect(); resolve(false); }, ms);
})"""
# the notebook fills the viewport it was given (Lumino lays out on the next animation frame)
FILLS_VIEWPORT = """height => {
    const panel = document.querySelector('.jp-NotebookPanel');
    return panel !== null && panel.getBoundingClientRect().bottom > height - 200;
}"""


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A JupyterLab server on a copy of the solutions, in smoke mode, and a headless Chromium."""
    # CI, which installs Chromium, sets GAN_COURSE_REQUIRE_BROWSER=1: fail there, do not skip
    missing = pytest.fail if os.environ.get("GAN_COURSE_REQUIRE_BROWSER") == "1" else pytest.skip
    try:
        from playwright import sync_api
    except ImportError:
        missing("playwright is not installed (pip install playwright)")
    chromium = chromium_path()
    if chromium is None:
        missing("no Chromium on PATH (Debian: apt-get install chromium)")
    home = tmp_path_factory.mktemp("lab")
    root = home / "course"
    for assignment in ASSIGNMENTS:  # copies: a run must never write outputs into solutions/
        (root / assignment).mkdir(parents=True)
        shutil.copy(source_notebook(assignment), root / assignment)
    for plugin, values in LAB_SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    token, port = "gan-course-browser-test", free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NBGRADER", "MPLBACKEND"))},
        "GAN_COURSE_SMOKE": "1",
        "GAN_COURSE_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None"]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    log_path = home / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={token}", server, log_path)
        sync_api.expect.set_options(timeout=STEP_CEILING_S * 1000)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox"] if os.geteuid() == 0 else [],
            )
            try:
                yield {
                    "browser": browser,
                    "base": base,
                    "token": token,
                    "root": root,
                    "log": log_path,
                    "timeout": sync_api.TimeoutError,
                }
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def wait_for_server(status_url: str, server: subprocess.Popen, log_path: Path) -> None:
    """Wait until the server answers its status API (the connection is refused until it
    listens); fail at once if it exits."""
    deadline = time.monotonic() + STEP_CEILING_S
    while True:
        try:
            urllib.request.urlopen(status_url, timeout=5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}"
                ) from None
            time.sleep(0.2)  # between connection attempts: the socket offers no event to wait on


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_lesson_in_a_real_browser(lab: dict[str, object], assignment: str) -> None:
    """Open the lesson, run every cell, and check what a person would see."""
    started = time.monotonic()
    page = lab["browser"].new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(STEP_CEILING_S * 1000)
    try:
        widget_cells = check_lesson(page, lab, assignment)
        print(
            f"{assignment}: {len(widget_cells)} widget cells, "
            f"{time.monotonic() - started:.0f} s in the browser"
        )
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):  # the page may be gone: keep the first error
            page.screenshot(path=str(SCREENSHOTS / f"{assignment}-failed.png"))
        print(f"JupyterLab's log (end):\n{lab['log'].read_text()[-3000:]}")
        raise
    finally:
        page.close()
        shut_down_kernels(lab)


def check_lesson(page, lab: dict[str, object], assignment: str) -> list[int]:  # noqa: ANN001
    """Everything a person would see in one lesson; returns the indices of its widget cells."""
    from playwright.sync_api import expect

    source = nbformat.read(source_notebook(assignment), as_version=4)
    saved = run_all_cells(page, lab, assignment, len(source.cells))
    errors = [
        (i, out.get("ename"), out.get("evalue"))
        for i, cell in enumerate(saved.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert errors == [], f"{assignment}: error outputs (cell, name, message): {errors}"
    unexecuted = [
        i for i, c in enumerate(saved.cells) if c.cell_type == "code" and c.execution_count is None
    ]
    assert not unexecuted, f"cells {unexecuted} never ran (an error stops 'Run All')"
    cells = page.locator(".jp-Notebook .jp-Cell")
    setup = next(i for i, c in enumerate(source.cells) if "setup_notebook" in c.source)
    expect(cells.nth(setup), "the kernel did not run in smoke mode").to_contain_text("mode: smoke")

    widget_cells = [
        i
        for i, cell in enumerate(saved.cells)
        if cell.cell_type == "code"
        and (
            WIDGET_CALL.search(cell.source)
            or any(WIDGET_MIME in out.get("data", {}) for out in cell.outputs)
        )
    ]
    for i in widget_cells:
        check_widget(page, lab, cells.nth(i), i)

    # figures are pictures, never their text form (checked once the widgets have drawn)
    code_cells = [i for i, c in enumerate(source.cells) if c.cell_type == "code"]
    as_text = [
        i
        for i in code_cells
        if FIGURE_AS_TEXT.search(cells.nth(i).locator(".jp-Cell-outputArea").inner_text())
    ]
    assert as_text == [], f"cells {as_text} show a figure as text instead of an image"
    for i in code_cells:
        if "LossCurves(" in source.cells[i].source:
            expect(
                cells.nth(i).locator(".jp-OutputArea img"),
                f"cell {i}: the live loss plot is no image",
            ).not_to_have_count(0)

    screenshot(page, assignment)
    return widget_cells


def run_all_cells(page, lab: dict[str, object], assignment: str, n_cells: int):  # noqa: ANN001, ANN201
    """Open the lesson, wait for its kernel, "Run All Cells", wait for the end, save; returns
    the notebook as JupyterLab saved it."""
    from playwright.sync_api import expect

    # a workspace of its own, so notebooks opened for earlier lessons do not reopen
    path = f"{assignment}/{assignment}.ipynb"
    page.goto(f"{lab['base']}/lab/workspaces/{assignment}/tree/{path}?reset&token={lab['token']}")
    wait_for_idle_kernel(lab, path, "after opening the notebook")
    cells = page.locator(".jp-Notebook .jp-Cell")
    expect(cells, "JupyterLab shows another number of cells").to_have_count(n_cells)

    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    first_prompt = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").first
    expect(first_prompt, "'Run All Cells' started nothing").to_have_text(re.compile(r"[\d*]"))
    assert wait_for_change(page.locator(".jp-Notebook"), RUN_IS_OVER, None, RUN_CEILING_S), (
        f"the notebook still runs after {RUN_CEILING_S} s"
    )
    wait_for_idle_kernel(lab, path, "after the last cell")

    with page.expect_response(
        lambda r: (
            r.request.method == "PUT" and r.url.split("?")[0].endswith(f"/api/contents/{path}")
        )
    ) as response:
        page.keyboard.press("Control+s")
    assert response.value.ok, f"saving failed: HTTP {response.value.status}"
    return nbformat.read(lab["root"] / path, as_version=4)


def check_widget(page, lab: dict[str, object], cell, i: int) -> None:  # noqa: ANN001
    """The widget renders controls and an image; moving its first control redraws the image."""
    from playwright.sync_api import expect

    output = cell.locator(".jp-Cell-outputArea")
    controls = output.locator(".widget-slider .noUi-handle, .widget-checkbox input")
    try:
        controls.first.wait_for(state="visible")
    except lab["timeout"]:
        text = output.inner_text()
        raise AssertionError(
            f"cell {i}: no widget control rendered; it shows {text[:300]!r}"
        ) from None
    images = cell.locator(".jp-OutputArea img")
    expect(images, f"cell {i}: the widget shows no image").not_to_have_count(0)
    before = images.evaluate_all("imgs => imgs.map(img => img.src)")

    control = controls.first
    control.scroll_into_view_if_needed()
    if control.get_attribute("type") == "checkbox":
        checked = control.is_checked()
        control.click()
        expect(control, f"cell {i}: the checkbox did not toggle").to_be_checked(checked=not checked)
    else:
        # click the track far from the handle: the value must change, whatever it starts at
        value, low, high = (
            float(control.get_attribute(f"aria-value{name}")) for name in ("now", "min", "max")
        )
        fraction = 0.9 if (value - low) <= (high - low) / 2 else 0.1
        start = control.get_attribute("aria-valuenow")
        box = cell.locator(".widget-slider .noUi-target").first.bounding_box()
        page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
        expect(
            control, f"cell {i}: a click on the slider's track moved no handle"
        ).not_to_have_attribute("aria-valuenow", start)
    assert wait_for_change(cell, IMAGES_CHANGED, before, STEP_CEILING_S), (
        f"cell {i}: moving the widget's control changed no image in {STEP_CEILING_S} s"
    )


def wait_for_change(root, ready: str, arg: object, timeout_s: float) -> bool:  # noqa: ANN001
    """Wait in the page until the JavaScript predicate ``ready(element, arg)`` holds for the
    element ``root`` locates: checked at once and after every DOM change under it. False when
    it still does not hold after ``timeout_s``."""
    return root.evaluate(WAIT_FOR_CHANGE % ready, [arg, timeout_s * 1000])


def screenshot(page, assignment: str) -> None:  # noqa: ANN001
    """The executed notebook, file browser hidden, as tall as it is (up to 16,000 pixels)."""
    from playwright.sync_api import expect

    page.keyboard.press("Control+b")  # hide the file browser: the notebook gets the width
    expect(page.locator("#jp-left-stack")).to_be_hidden()
    height = page.evaluate(
        "() => document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer').scrollHeight"
    )
    viewport = min(int(height) + 150, 16000)
    page.set_viewport_size({"width": 1280, "height": viewport})
    page.wait_for_function(FILLS_VIEWPORT, arg=viewport)
    page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{assignment}.png"))


def api(lab: dict[str, object], path: str, method: str = "GET") -> object:
    """One call of the Jupyter server's REST API; the decoded JSON answer (None if empty)."""
    request = urllib.request.Request(
        f"{lab['base']}{path}", headers={"Authorization": f"token {lab['token']}"}, method=method
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def wait_for_idle_kernel(lab: dict[str, object], path: str, when: str) -> None:
    """Wait until the server reports the notebook's kernel idle with the page connected to it.

    JupyterLab's own execution indicator starts out as "idle" before any kernel exists, and
    "Run All Cells" before the page has its kernel runs nothing; the server's session API
    tells the truth (its ``execution_state`` follows the kernel's status messages).
    """
    deadline = time.monotonic() + STEP_CEILING_S
    while True:
        kernels = [s["kernel"] for s in api(lab, "/api/sessions") if s["path"] == path]
        if kernels and kernels[0]["execution_state"] == "idle" and kernels[0]["connections"]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{path}: no idle kernel {when} in {STEP_CEILING_S} s: {kernels}")
        time.sleep(0.2)  # between questions to the server, which has no push for them


def shut_down_kernels(lab: dict[str, object]) -> None:
    """Stop every kernel the server runs, so lessons do not pile up in memory."""
    for kernel in api(lab, "/api/kernels"):
        api(lab, f"/api/kernels/{kernel['id']}", method="DELETE")
