"""The web UI in a real browser: headless Debian Chromium driven by Playwright, against uvicorn on 127.0.0.1.

Opens the overview, a document and a diff, checks the word highlights are visible, takes screenshots into
the test's folder, downloads the original PDF, and confirms the hostile document ran no script. Skipped,
with the reason, where /usr/bin/chromium or the playwright package is missing (`apt-get install chromium`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web_site import Site, build_site
from watcher.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs the playwright package (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def base_url(site: Site) -> Iterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(site.data), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    # After the site and server: Playwright's sync API runs an event loop in this thread, and
    # `watcher check` (asyncio.run) cannot start inside it.
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What a page did that it should not: dialogs, console errors (such as CSP refusals), page errors."""

    def __init__(self, page: Any) -> None:
        self.events: list[str] = []
        page.on("dialog", lambda dialog: (self.events.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.on("console", lambda message: self.events.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: self.events.append(f"page error: {error}"))
        page.on("response", lambda response: self.events.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 else None)


def _no_script_ran(page: Any) -> None:
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.title() != "pwned"  # what the hostile script would set


def test_overview_to_document_to_diff_with_visible_highlights(browser: Any, base_url: str,
                                                             tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    page.goto(base_url + "/")
    assert page.title() == "Overview · watcher"
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    page.locator('table.documents a[href="/sources/hostile"]').click()
    page.wait_for_url(base_url + "/sources/hostile")
    assert page.locator("h1").inner_text() == "hostile title"
    _no_script_ran(page)

    page.get_by_role("link", name="diff with v1").click()
    page.wait_for_url(base_url + "/sources/hostile/diff/1..2")
    removed, added = page.locator("section.hunk del").first, page.locator("section.hunk ins").first
    assert removed.is_visible() and added.is_visible()
    for highlight in (removed, added):
        background = highlight.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "line-through" in removed.evaluate("e => getComputedStyle(e).textDecorationLine")
    page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
    _no_script_ran(page)

    for path in ("/sources/hostile/versions/1", "/sources/hostile/diff/1..2?view=side", "/search?q=__pwned",
                 f"/changes/{_hostile_change(page, base_url)}"):
        page.goto(base_url + path)
        assert page.locator("main").inner_text()
        _no_script_ran(page)
    assert watch.events == []
    assert (tmp_path / "diff.png").stat().st_size > 10_000
    context.close()


def _hostile_change(page: Any, base_url: str) -> int:
    page.goto(base_url + "/changes.json?source=hostile&kind=modified")
    return int(page.evaluate("() => JSON.parse(document.body.innerText)[0].id"))


def test_editorial_hunks_open_without_javascript_and_the_pdf_downloads(browser: Any, base_url: str,
                                                                       tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(base_url + "/")
    page.locator('a.diff-link[href="/sources/lab-policy/diff/2..3"]').click()
    page.get_by_role("link", name="← previous change").click()
    page.wait_for_url(base_url + "/sources/lab-policy/diff/1..2")
    editorial = page.locator("section.is-editorial").first
    assert not editorial.locator("p.text").is_visible()  # collapsed
    editorial.locator("summary").click()
    assert editorial.locator("p.text").is_visible()

    page.goto(base_url + "/")
    page.locator('a.diff-link[href="/sources/lab-pdf/diff/1..2"]').click()
    with page.expect_download() as download:
        page.locator('a.original[href="/sources/lab-pdf/versions/2/original"]').click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "lab-pdf-v2.pdf" and saved.read_bytes().startswith(b"%PDF-")
    context.close()


def test_readable_on_a_phone(browser: Any, base_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True)
    page = context.new_page()
    for path in ("/", "/changes", "/sources/lab-policy", "/sources/lab-policy/diff/1..2?view=side"):
        page.goto(base_url + path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px"
    page.screenshot(path=str(tmp_path / "phone-diff.png"), full_page=True)
    context.close()
