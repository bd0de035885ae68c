"""Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by Playwright.

Never `playwright install`: it downloads browsers, and the machines have no internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from grader.config import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"  # git-ignored; the README shows one of them
# Collects CSP violations in the page; Playwright's init scripts run whatever the page's policy says.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium (``--no-sandbox``: the tests run as root)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """What a page did that a test may assert on: requests off this machine, console errors, dialogs."""

    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def watch(page: Page) -> Watched:
    """Abort every request that would leave 127.0.0.1 and record console errors and dialogs."""
    seen = Watched()

    def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", None) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            seen.foreign_requests.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    page.route("**/*", only_this_machine)
    page.on("console", console)
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(WATCH_VIOLATIONS)
    return seen


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``build/screenshots/NAME.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
