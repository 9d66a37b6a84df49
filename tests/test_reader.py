"""Reports tested as a reader would: headless Chromium, network blocked.

Every page of the default build opens with no failed request, no console error, every
image decoded, every link between reports resolving, the code toggle working, and each
page under 1.5 MB. Above all, a reader SEES the content: every rendered markdown block,
output, table, figure and heading that carries content is visible with a real size, each
study report shows its figures, and the visible text is close to the content text (a page
that parses into one giant link, or hides its sections, fails here). On a 390 px phone no
page scrolls sideways (wide tables scroll in their own box) and figures fit; printed
(media "print") the buttons are gone and every content block still shows. With
``--screenshots`` (``make screenshots``), full-page screenshots of every page at 1280 px
and 390 px, and page 1 of each print, are saved under reports/screenshots/ for people to
look at (they cost about a fifth of the suite's Chromium time, so ``make test`` takes
none). Needs Debian's chromium (``.ci/run`` installs it); skipped with a
reason when it is missing.

Speed: each page is opened once per view (a 1280 px screen, a 390 x 844 phone, A4 paper
at 794 px), by whichever test process asks first (``conftest.build_once``): that visit
runs every test's script on the loaded page, saves any screenshot and prints the PDF, and
the tests assert on what it saw. One Chromium per test process, started when first needed.
"""

import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import build_once, main_here

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MAX_BYTES = 1_500_000
SCREEN = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PAPER = {"width": 794, "height": 900}  # A4's width at 96 dpi

pytestmark = [pytest.mark.slow, pytest.mark.long(20),  # the visits, once each
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]


class Chromium:
    """One headless Chromium for this test process, started on the first call."""

    def __init__(self):
        self._playwright = self._browser = None

    def __call__(self):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync"])
        return self._browser

    def close(self):
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()


@pytest.fixture(scope="module")
def browser():
    """Module, not session, scope: while Playwright's synchronous API is started, its
    event loop counts as running in this thread, which other modules' in-process builds
    and papermill runs must not meet (pytest ends a module's fixtures before it runs a
    test of another module)."""
    chromium = Chromium()
    yield chromium
    chromium.close()


def pages_of(reports: Path) -> list[Path]:
    return [reports / "index.html", reports / "claims.html", reports / "glossary.html",
            reports / "consistency.html",
            *sorted(reports.glob("*/report.html"))]


def report_pages(reports: Path) -> list[Path]:
    return sorted(reports.glob("*/report.html"))


def offline_tab(browser, viewport: dict = SCREEN):
    """A new page (tab) at ``viewport`` that lets only file: and data: URLs load, and the
    list the problems it meets are appended to (console errors, page errors, failed or
    network requests)."""
    page = browser().new_page(viewport=viewport)
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))

    def block(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            problems.append(f"network request: {route.request.url}")
            route.abort()

    page.route("**/*", block)
    return page, problems


def open_offline(browser, path: Path, viewport: dict = SCREEN):
    page, problems = offline_tab(browser, viewport)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def swept_build(reports: Path, default_build: Path) -> None:
    """A copy of the default build with a 2-point sweep of notebook 04 added, run in
    this process (the pages are under test here, not the command)."""
    shutil.copytree(default_build, reports)
    grid = reports.parent / "swept-grid.yaml"
    grid.write_text("n_lbp_cases: [10, 15]\n")
    code = main_here("sweep", "04", "--grid", grid, "--reports", reports, "--jobs", "2",
                     root=ROOT)
    assert code == 0, "runspine sweep failed (its output is in the captured stderr)"


@pytest.fixture(scope="module")
def swept(default_build, tmp_path_factory) -> Path:
    """The default build plus a 2-point sweep of notebook 04 (built once per run)."""
    return build_once(tmp_path_factory, "reports-swept",
                      lambda path: swept_build(path, default_build))


def sweep_pages(reports: Path) -> list[Path]:
    return sorted(reports.glob("*/sweep/summary.html")) + sorted(
        reports.glob("*/sweep/*/report.html"))


# --------------------------------------------------------------------------- the scripts
# What a reader sees: content blocks (code inputs, hidden on purpose, excluded) that are
# invisible or have no size; the visible text against the content text; visible figures.
VISIBILITY_JS = """(skip) => {
  const blocks = document.querySelectorAll(
    '.jp-RenderedMarkdown, .jp-OutputArea-output, img, table, td, h1, h2, h3, p, li, dt, dd');
  const hidden = []; let count = 0;
  for (const el of blocks) {
    if (el.closest('.jp-InputArea') && !el.closest('.jp-RenderedMarkdown')) continue;
    if (el.closest('details:not([open])')) continue;  // folded on purpose, one click away
    if (skip && el.closest(skip)) continue;  // hidden on purpose (print: the contents box)
    const hasContent = el.tagName === 'IMG' || (el.textContent || '').trim() || el.querySelector('img');
    if (!hasContent) continue;
    count++;
    const r = el.getBoundingClientRect();
    const seen = el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
      && r.width > 1 && r.height > 1;
    const text = el.tagName === 'IMG' || el.querySelector('img') || (el.innerText || '').trim();
    if (!seen || !text) hidden.push(el.tagName + ': ' + (el.textContent || el.alt || '').trim().slice(0, 60));
  }
  const content = Array.from(document.querySelectorAll('body *'))
    .filter(el => !el.closest('.jp-InputArea, script, style, details:not([open])')
                  && !(skip && el.closest(skip)) && el.children.length === 0)
    .map(el => (el.textContent || '').trim()).join(' ').replace(/\\s+/g, ' ');
  const visible = (document.body.innerText || '').replace(/\\s+/g, ' ');
  const figures = Array.from(document.images).filter(i => {
    const r = i.getBoundingClientRect();
    return i.checkVisibility() && r.width > 100 && r.height > 100;
  }).length;
  return {count, hidden, content: content.length, visible: visible.length, figures};
}"""

BROKEN_IMAGES_JS = """() => Array.from(document.images)
  .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"""
MISSING_ALT_JS = "() => Array.from(document.images).filter(i => !i.alt).length"
LINKS_JS = "() => Array.from(document.links).map(a => a.href)"

# Wider than the screen: the page (not a table's own scroll box) scrolls sideways.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && !el.closest('.runspine-scroll, .scroll') && r.width > 0)
      wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""

# a figure fits the screen, or keeps its size in a box that scrolls
TOO_WIDE_FIGURES_JS = """() => Array.from(document.images)
  .map(i => i.closest('.runspine-scroll') || i)
  .filter(i => i.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(i => (i.alt || i.className).slice(0, 40))"""

READER_JS = """() => {
  const heads = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'))
    .filter(h => h.checkVisibility()).map(h => Number(h.tagName[1]));
  const skips = [];
  for (let i = 1; i < heads.length; i++)
    if (heads[i] > heads[i - 1] + 1) skips.push(heads[i - 1] + '->' + heads[i]);
  const plain = Array.from(document.querySelectorAll('main a[href], .runspine-header a[href], body > p a[href], td a[href], li a[href]'))
    .filter(a => !a.classList.contains('anchor-link') && a.checkVisibility() && (a.innerText || '').trim())
    .filter(a => !getComputedStyle(a).textDecorationLine.includes('underline'))
    .map(a => a.innerText.slice(0, 30));
  return {first: heads[0], skips, plain};
}"""

ANSWER_JS = """() => {
  const box = document.querySelector('.runspine-findings');
  if (!box) return null;
  const answer = box.querySelector('p.answer') || box.querySelector('p.finding');
  if (!answer) return null;
  const r = answer.getBoundingClientRect();
  return {text: answer.innerText, top: r.top + window.scrollY, bottom: r.bottom + window.scrollY};
}"""
TITLE_TOP_JS = """() => {
  const h1 = document.querySelector('h1');
  return h1 ? h1.getBoundingClientRect().top : null;
}"""
TABLE_ROWS_JS = """() => Array.from(document.querySelectorAll(
  'main table.runspine-table tbody tr')).map(tr => Array.from(tr.cells)
  .map(td => (td.textContent || '').replace(/\\s+/g, ' ').trim()))"""

UNEXPLAINED_JS = """() => {
  const out = [];
  const skip = 'a, code, pre, script, style, summary, button, title, .jp-InputArea-editor, textarea, '
    + '.runspine-words';  // the "Words used" list is the explanations themselves
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest(skip) || !(node.textContent || '').trim()) continue;
    if (!el.checkVisibility()) continue;
    out.push(node.textContent);
  }
  const terms = Array.from(document.querySelectorAll('a.term')).map(a => ({
    text: a.textContent, title: a.title, href: a.getAttribute('href'),
    target: !!document.getElementById(decodeURIComponent(a.hash.slice(1)))
             || !a.getAttribute('href').startsWith('#')}));
  return {texts: out, terms};
}"""
BODY_TEXT_JS = "() => document.body.innerText"
CELLS_JS = """() => Array.from(document.querySelectorAll('main td'))
  .filter(td => td.checkVisibility()).map(td => td.innerText.trim())"""

FIGURE_TEXT_JS = """() => Array.from(document.querySelectorAll('.runspine-figure img'))
  .filter(i => i.checkVisibility()).map(i => ({
    shown: i.getBoundingClientRect().width, natural: i.naturalWidth,
    narrow: !!i.closest('picture') && !!i.closest('picture').querySelector('source'),
    src: i.currentSrc.slice(0, 60)}))"""

PRINT_SKIP = ".runspine-toc, .runspine-controls"


# --------------------------------------------------------------------------- the visits
SHOTS = ROOT / "reports" / "screenshots"


def shot_name(reports: Path, path: Path, width: int) -> str:
    """``index-1280.png``, ``01_spinal_shrinkage_vs_pace-390.png``,
    ``04_hip_tightness_and_back_pain-sweep-n_lbp_cases=10-390.png``."""
    rel = path.relative_to(reports).with_suffix("")
    parts = [p for p in rel.parts if p != "report"]
    return "-".join(parts) + f"-{width}.png"


def on_screen(page, reports: Path, path: Path, out: Path, shoot: bool) -> dict:
    """At 1280 x 900: every script's answer, then (with ``shoot``) the full-page
    screenshot."""
    seen = {name: page.evaluate(js, *args) for name, js, *args in (
        ("visibility", VISIBILITY_JS, ""), ("broken", BROKEN_IMAGES_JS),
        ("missing_alt", MISSING_ALT_JS), ("links", LINKS_JS), ("reader", READER_JS),
        ("terms", UNEXPLAINED_JS), ("text", BODY_TEXT_JS), ("cells", CELLS_JS))}
    if shoot:
        page.screenshot(path=str(SHOTS / shot_name(reports, path, SCREEN["width"])),
                        full_page=True)
    return seen


def on_a_phone(page, reports: Path, path: Path, out: Path, shoot: bool) -> dict:
    """At 390 x 844: the full-page screenshot, then every script's answer."""
    if shoot:
        page.screenshot(path=str(SHOTS / shot_name(reports, path, PHONE["width"])),
                        full_page=True)
    seen = {name: page.evaluate(js, *args) for name, js, *args in (
        ("overflow", OVERFLOW_JS), ("visibility", VISIBILITY_JS, ""),
        ("too_wide", TOO_WIDE_FIGURES_JS), ("answer", ANSWER_JS),
        ("title_top", TITLE_TOP_JS), ("figures", FIGURE_TEXT_JS))}
    return seen


def on_paper(page, reports: Path, path: Path, out: Path, shoot: bool) -> dict:
    """At A4's width: the answer and the table rows as on screen; then as printed (media
    print) every script's answer and what shows of the controls; then the PDF (with
    backgrounds), saved as ``out``/<name>.pdf."""
    seen = {"answer": page.evaluate(ANSWER_JS), "rows": page.evaluate(TABLE_ROWS_JS)}
    page.emulate_media(media="print")
    seen["visibility"] = page.evaluate(VISIBILITY_JS, PRINT_SKIP)
    seen["overflow"] = page.evaluate(OVERFLOW_JS)
    seen["shown"] = {css: page.locator(css).is_visible() for css in (
        "#runspine-toggle-code", ".runspine-toc", ".runspine-findings")}
    pdf = out / shot_name(reports, path, 0).replace("-0.png", ".pdf")
    pdf.write_bytes(page.pdf(format="A4", print_background=True))
    seen["pdf"] = str(pdf)
    return seen


def visit(tmp_path_factory, browser, reports: Path, name: str, how, viewport: dict,
          pages: list[Path], shoot: list[Path]) -> dict[Path, dict]:
    """What ``how`` saw on each of ``pages`` at ``viewport``, visited once per test run (by
    the first test process that asks; the others read its notes): {path: seen}, with the
    problems met while the page loaded and was looked at. Screenshots of ``shoot``.

    The pages open one after the other in one tab, as a reader following links would
    (the ten pages of the default build in ten new tabs took Chromium 5.9 CPU-s, in one
    tab 2.4); each starts as a screen page (``on_paper`` leaves the tab emulating print)."""
    def build(out: Path) -> None:
        out.mkdir(parents=True)
        if shoot:
            SHOTS.mkdir(parents=True, exist_ok=True)
        page, problems = offline_tab(browser, viewport)
        notes = {}
        for path in pages:
            problems.clear()
            page.emulate_media(media="screen")
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            seen = how(page, reports, path, out, path in shoot)
            seen["problems"] = list(problems)
            notes[str(path.relative_to(reports))] = seen
        page.close()
        (out / "seen.json").write_text(json.dumps(notes), encoding="utf-8")

    out = build_once(tmp_path_factory, name, build)
    notes = json.loads((out / "seen.json").read_text(encoding="utf-8"))
    return {reports / rel: seen for rel, seen in notes.items()}


def screenshots_on(request) -> bool:
    return request.config.getoption("--screenshots")


def shots(request, pages: list[Path]) -> list[Path]:
    """The pages to screenshot: ``pages`` with ``--screenshots``, else none."""
    return pages if screenshots_on(request) else []


@pytest.fixture(scope="module")
def screen(default_build, browser, tmp_path_factory, request):
    pages = pages_of(default_build)
    return visit(tmp_path_factory, browser, default_build, "reader-screen", on_screen,
                 SCREEN, pages, shots(request, pages))


@pytest.fixture(scope="module")
def phone(default_build, browser, tmp_path_factory, request):
    pages = pages_of(default_build)
    return visit(tmp_path_factory, browser, default_build, "reader-phone", on_a_phone,
                 PHONE, pages, shots(request, pages))


@pytest.fixture(scope="module")
def paper(default_build, browser, tmp_path_factory):
    return visit(tmp_path_factory, browser, default_build, "reader-paper", on_paper,
                 PAPER, pages_of(default_build), [])  # (no screenshot: the PDF is saved)


@pytest.fixture(scope="module")
def swept_screen(swept, browser, tmp_path_factory, request):
    """The swept build's index (no screenshot: it would replace the default build's)
    and sweep pages."""
    pages = sweep_pages(swept)
    return visit(tmp_path_factory, browser, swept, "reader-swept-screen", on_screen,
                 SCREEN, [swept / "index.html", *pages], shots(request, pages))


@pytest.fixture(scope="module")
def swept_phone(swept, browser, tmp_path_factory, request):
    pages = sweep_pages(swept)
    return visit(tmp_path_factory, browser, swept, "reader-swept-phone", on_a_phone,
                 PHONE, pages, shots(request, pages))


# --------------------------------------------------------------------------- the tests
def assert_visible(seen: dict, path: Path) -> None:
    assert seen["count"] >= 5, (path, seen)
    assert seen["hidden"] == [], f"{path}: {len(seen['hidden'])} of {seen['count']} content blocks invisible, e.g. {seen['hidden'][:3]}"
    assert seen["visible"] >= 0.8 * seen["content"], (path, seen["visible"], seen["content"])
    if path.name == "report.html" and "sweep" not in path.parts:
        assert seen["figures"] >= 1, f"{path}: no visible figure"


def check_pages(screen: dict[Path, dict], pages: list[Path]) -> None:
    """Each page small; at 1280 px its content visible, its images decoded and
    described, its links resolving, and no problem while it loaded."""
    assert len(pages) >= 3
    for path in pages:
        assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"
        seen = screen[path]
        assert_visible(seen["visibility"], path)
        assert seen["broken"] == [], (path, seen["broken"])
        assert seen["missing_alt"] == 0, path
        for href in seen["links"]:
            url = urlparse(href)
            if url.scheme == "file":
                target = Path(unquote(url.path))
                assert target.exists(), f"{path}: broken link {href}"
                if url.fragment and target.suffix == ".html":
                    assert f'id="{url.fragment}"' in target.read_text(), f"{path}: {href}"
        assert seen["problems"] == [], (path, seen["problems"])


def test_every_page_is_small_offline_and_error_free(default_build, screen):
    check_pages(screen, pages_of(default_build))


def test_sweep_pages_are_small_offline_and_error_free(swept, swept_screen):
    pages = sweep_pages(swept)
    assert len(pages) == 3, pages  # the summary and two points
    check_pages(swept_screen, [swept / "index.html", *pages])
    index = (swept / "index.html").read_text()
    assert "sweep/summary.html" in index


def test_sweep_pages_write_percentages_without_a_space(swept, swept_screen):
    """The sweep summary and its points read percentages as the other pages do ("95% CI",
    "80% power"; tests/test_claims_pages.py checks the default build's pages), as the
    browser shows their text."""
    import re

    seen = ""
    for path in sweep_pages(swept):
        text = swept_screen[path]["text"]
        seen += text
        spaced = [text[max(0, m.start() - 60):m.end() + 20]
                  for m in re.finditer(r"\d\s+%", text)]  # also no-break and thin spaces
        assert not spaced, f"{path.relative_to(swept)}: {spaced[:5]}"
    assert re.search(r"\d%", seen), "no percentage on the sweep pages: the check read none"


def check_phone_and_screenshots(reports: Path, screen: dict[Path, dict],
                                phone: dict[Path, dict], pages: list[Path],
                                shot: bool) -> None:
    """Every page at 1280 px and 390 px: with ``shot`` (``--screenshots``) full-page
    screenshots saved; at 390 px no sideways page scroll, content visible, every figure
    within the screen."""
    for path in pages:
        for width, seen in ((SCREEN["width"], screen[path]), (PHONE["width"], phone[path])):
            if shot:
                saved = SHOTS / shot_name(reports, path, width)
                assert saved.stat().st_size > 5_000, saved
            assert seen["problems"] == [], (path, width, seen["problems"])
        seen = phone[path]
        assert seen["overflow"]["scroll"] <= seen["overflow"]["width"] + 1, (path, seen["overflow"])
        assert_visible(seen["visibility"], path)
        assert seen["too_wide"] == [], (path, seen["too_wide"])


def test_every_page_on_a_phone_and_screenshots(default_build, screen, phone, request):
    check_phone_and_screenshots(default_build, screen, phone, pages_of(default_build),
                                screenshots_on(request))


def test_sweep_pages_on_a_phone_and_screenshots(swept, swept_screen, swept_phone, request):
    check_phone_and_screenshots(swept, swept_screen, swept_phone, sweep_pages(swept),
                                screenshots_on(request))


def test_print_shows_content_without_controls(default_build, paper):
    """Printed (media print at A4 width): no buttons or contents box, every content block
    visible, nothing wider than the paper, and the report prints as a PDF."""
    for path in pages_of(default_build):
        seen = paper[path]
        assert_visible(seen["visibility"], path)
        assert seen["overflow"]["scroll"] <= seen["overflow"]["width"] + 1, (path, seen["overflow"])
        if path.name == "report.html":
            assert not seen["shown"]["#runspine-toggle-code"], path
            assert not seen["shown"][".runspine-toc"], path
            assert seen["shown"][".runspine-findings"], path
            pdf = Path(seen["pdf"]).read_bytes()
            assert pdf[:5] == b"%PDF-" and len(pdf) > 50_000, path
        assert seen["problems"] == [], (path, seen["problems"])


def test_headings_in_order_and_links_underlined(default_build, screen):
    for path in pages_of(default_build):
        seen = screen[path]["reader"]
        assert seen["first"] == 1, (path, seen)
        assert seen["skips"] == [], (path, seen)
        assert seen["plain"] == [], (path, seen)


def test_code_toggle(default_build, browser):
    report = default_build / "01_spinal_shrinkage_vs_pace" / "report.html"
    page, problems = open_offline(browser, report)
    code = page.locator(".jp-CodeCell .jp-Cell-inputWrapper").first
    assert not code.is_visible()  # readers see no code
    page.click("#runspine-toggle-code")
    assert code.is_visible()
    page.click("#runspine-toggle-code")
    assert not code.is_visible()
    assert page.locator("#runspine-toc-list li").count() >= 5
    assert page.locator("table.runspine-params").count() == 1
    assert problems == []
    page.close()


def test_consistency_page_as_a_reader_sees_it(default_build, browser):
    """The answer first, every flag visible with what was printed and what is possible,
    its link to the study report that uses the value working, and the index linking the
    page; on a phone each flag reads top to bottom."""
    index = (default_build / "index.html").read_text()
    assert 'href="consistency.html"' in index
    for viewport in (PHONE, SCREEN):
        page, problems = open_offline(browser, default_build / "consistency.html", viewport)
        text = page.inner_text("body")
        first = page.locator(".answer").inner_text()
        assert "cannot all be true as printed" in first
        flags = page.locator("article.flag")
        assert flags.count() >= 7
        mitchell = page.locator("article.flag", has_text="Oswestry Disability Index, runners")
        assert mitchell.is_visible()
        card = mitchell.inner_text()
        assert "mean 3.75 with n 9" in card and "fits n 8" in card and "Mitchell" in card
        assert "It cannot show:" in text
        assert problems == [], problems
        if viewport is PHONE:
            box = mitchell.bounding_box()
            assert box["width"] <= 390
            page.close()
    # on the screen, the flag's link leads to the study report that uses the value
    mitchell.get_by_role("link").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("05_disc_health_and_running_volume/report.html")
    page.close()


# ----------------------------------------------------------------- for non-statisticians
# The answer first on every screen and page, every term explained, nothing lost in print.

PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")


def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    import subprocess

    args = [PDFTOTEXT, "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    text = subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.replace("\u00ad", "").split())


def pdf_pages(pdf: Path) -> int:
    import re
    import subprocess

    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))


def test_the_answer_is_on_a_phones_first_screen(default_build, phone):
    """At 390 x 844 the answer sentence ends within the first screen, under the title."""
    for path in report_pages(default_build):
        seen = phone[path]["answer"]
        assert seen and seen["text"].startswith("Answer."), (path.parent.name, seen)
        assert seen["bottom"] <= PHONE["height"], (path.parent.name, seen)
        title = phone[path]["title_top"]
        assert title is not None and title < seen["top"], path.parent.name
        assert phone[path]["problems"] == [], phone[path]["problems"]


@pytest.mark.skipif(PDFTOTEXT is None or PDFINFO is None, reason="poppler-utils missing")
def test_print_page_one_has_the_answer_and_every_table_row(default_build, paper):
    """Printed to A4: page 1 carries the answer; every row of every table, folded ones
    included, reaches the PDF (each short cell of the row is in the PDF's text, so a
    table cut at the right edge or left folded fails); figures keep their captions."""
    import re

    for path in report_pages(default_build):
        seen = paper[path]
        answer = seen["answer"]["text"].removeprefix("Answer.").strip()
        rows = seen["rows"]
        pdf = Path(seen["pdf"])
        first = pdf_text(pdf, 1)
        assert " ".join(answer.split())[:60] in first, (path.parent.name, answer[:60], first[:500])
        text = pdf_text(pdf)
        squeezed = text.replace(" ", "")
        assert len(rows) >= 3, path.parent.name
        lost = []
        for row in rows:  # every short cell whole, and the first word of every longer one
            short = [c for c in row if c and len(c) <= 14 and " " not in c]
            words = [re.match(r"[^\W_]+", c) for c in row if len(c) > 14 or " " in c]
            short += [w.group(0) for w in words if w and len(w.group(0)) >= 4]
            missing = [c for c in short if c.replace(" ", "") not in squeezed]
            if missing:
                lost.append((row[:3], missing))
        assert lost == [], f"{path.parent.name}: {len(lost)} of {len(rows)} rows lost in print, e.g. {lost[:3]}"


def test_every_glossary_term_is_explained(default_build, screen):
    """Every form of a glossary term in a page's visible text (outside other links and
    code) is a link whose title is its plain explanation and whose target exists: the
    report's "Words used" list, or the glossary page, which lists every term."""
    from runspine.site import glossary

    terms = glossary.load(ROOT / "data")
    pattern, _ = glossary._matcher(terms)
    keys = {t.key for t in terms}
    glossary_page = (default_build / "glossary.html").read_text(encoding="utf-8")
    for key in keys:
        assert f'id="term-{key}"' in glossary_page, key
    for path in [default_build / "index.html", default_build / "claims.html",
                 default_build / "consistency.html", *report_pages(default_build)]:
        seen = screen[path]["terms"]
        bare = sorted({m.group(0) for text in seen["texts"] for m in pattern.finditer(text)})
        assert bare == [], f"{path.relative_to(default_build)}: unexplained terms {bare[:10]}"
        assert seen["terms"], path
        explained = {t.explanation for t in terms}
        for term in seen["terms"]:
            assert term["title"] in explained and term["target"], (path.name, term)
        if path.name == "report.html":
            assert "Words used in this report" in path.read_text(encoding="utf-8")


SCIENTIFIC = r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+\b"


def test_no_scientific_notation_and_no_true_false_cells(default_build, screen):
    import re

    for path in [default_build / "index.html", default_build / "claims.html",
                 *report_pages(default_build)]:
        text, cells = screen[path]["text"], screen[path]["cells"]
        found = re.findall(SCIENTIFIC, text)
        assert found == [], f"{path.name}: {found[:5]}"
        assert not {"True", "False", "nan", "NaN"} & set(cells), path
        assert "" not in cells, f"{path.name}: a blank table cell"


def test_nothing_wider_than_a_phone_outside_a_scroll_box(default_build, phone):
    """At 390 px no element reaches past the screen unless it is inside a box that
    scrolls sideways (which shows a shadow at the side that hides more)."""
    for path in pages_of(default_build):
        seen = phone[path]["overflow"]
        assert seen["wide"] == [], (path.name, seen)


def test_figures_are_readable_on_a_phone(default_build, phone):
    """At 390 px every figure of a report is drawn at least at 85% of its pixel size
    (the narrow rendering, same font sizes), so its text is not shrunk below about 10 px
    (the smallest figure text is 8 pt = 10.7 px at 96 dpi)."""
    for path in report_pages(default_build):
        figures = phone[path]["figures"]
        assert figures, path
        small = [f for f in figures if f["shown"] < 0.85 * f["natural"]]
        assert small == [], (path.parent.name, small)


@pytest.mark.skipif(PDFINFO is None, reason="poppler-utils missing")
def test_claims_page_prints_compactly(default_build, paper):
    pdf = Path(paper[default_build / "claims.html"]["pdf"])
    pages = pdf_pages(pdf)
    assert pages <= 12, f"claims.html prints on {pages} A4 pages"
    import csv

    from runspine.claims import quoted

    text = pdf_text(pdf).replace(" ", "")
    with open(ROOT / "data" / "claims.csv", newline="", encoding="utf-8") as fh:
        claims = list(csv.DictReader(fh))
    for claim in claims:  # every claim is on paper, in the article's words
        words = " ".join(quoted(claim).split())
        assert words[:40].replace(" ", "") in text, claim["claim_id"]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")
def test_print_screenshots_of_page_one(default_build, paper, request):
    """With ``--screenshots``: page 1 of every printed page, saved beside the other
    screenshots to look at."""
    import subprocess

    if not screenshots_on(request):
        pytest.skip("screenshots are saved with --screenshots (make screenshots)")

    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in pages_of(default_build):
        out = SHOTS / shot_name(default_build, path, 0).replace("-0.png", "-print1")
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",
                        "-singlefile", paper[path]["pdf"], str(out)], check=True)
        assert out.with_suffix(".png").stat().st_size > 5_000
