"""A real `grader serve` on the toy assignment with a small class, and a headless Chromium to look at it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from grader.config import Settings
from grader.models import FINAL_STATUSES
from grader.service.db import make_engine, migrate, session_scope
from grader.service.records import Role
from grader.service.roster import add_member
from tests.api.conftest import TOY_EXERCISES, TOY_REFERENCE
from tests.utils.browser import Watched, chromium, watch
from tests.utils.service import Server, free_port, start_server
from tests.utils.toy import ADD, DOUBLER, IMPORTS, SCALE, toy_bytes

CLASS = {  # who: (name, email, role)
    "teacher": ("Tess Instructor", "tess@example.org", Role.instructor),
    "alice": ("Alice Archer", "alice@example.org", Role.student),
    "bob": ("Bob Baker", "bob@example.org", Role.student),
    "carol": ("Carol Chen", "carol@example.org", Role.student),
    "dave": ("Dave Never", "dave@example.org", Role.student),  # never submits
    "mallory": ("<script>window.__pwned='name'</script>Mallory", "mallory@example.org", Role.student),
}
PLOT = ("import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 4])\nplt.title('alice plots')\nplt.show()\n"
        "print('hello from alice')")
FINAL = tuple(FINAL_STATUSES)


@dataclass
class Site(Server):
    """The running service and the ids of the submissions graded before the tests start."""

    graded: dict[str, str] = field(default_factory=dict)


def _environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "GRADER_DATA_DIR": str(data_dir), "GRADER_CACHE_DIR": str(data_dir.parent / "cache"),
            "GRADER_EXERCISES_DIR": str(TOY_EXERCISES), "GRADER_REFERENCE_DIR": str(TOY_REFERENCE),
            "GRADER_POOL_SIZE": "1", "GRADER_SUBMISSIONS_PER_MINUTE": "20", "GRADER_FIGURES": "true"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The service with the class above; alice (4/4, with a plot), bob (2/4) and carol (3/4) are graded."""
    data_dir = tmp_path_factory.mktemp("site") / "data"
    engine = make_engine(Settings(data_dir=data_dir))
    migrate(engine)
    with session_scope(engine) as session:
        tokens = {who: add_member(session, name=name, email=email, role=role).token
                  for who, (name, email, role) in CLASS.items()}
    engine.dispose()
    port = free_port()
    process = start_server(_environment(data_dir), port=port, workers=1, log=data_dir.parent / "serve.log")
    server = Site(f"http://127.0.0.1:{port}", data_dir, process, tokens)
    try:
        server.graded = {
            "alice": server.submit("alice", toy_bytes(IMPORTS, ADD, PLOT, SCALE, DOUBLER), assignment="toy"),
            "bob": server.submit("bob", toy_bytes(IMPORTS, ADD, DOUBLER.replace("2 *", "3 *")), assignment="toy"),
            "carol": server.submit("carol", toy_bytes(IMPORTS, ADD, SCALE), assignment="toy"),
        }
        for who, submission_id in server.graded.items():
            assert server.wait(who, submission_id, until=FINAL)["status"] == "graded"
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a server that will not stop is killed
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def watched(page: Page) -> Watched:
    return watch(page)


def sign_in(page: Page, site: Site, who: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{site.url}/login")
    page.fill("#token", site.tokens[who])
    page.click("button[type=submit]")
    page.wait_for_load_state()
