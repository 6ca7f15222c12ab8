"""Browser fixtures: the app served by a real server on a free port, and Debian's chromium via Playwright.

Use `live_server` (base URL), `browser` (one chromium for the session), `browser_context` (a fresh
context = a fresh set of cookies; call it twice for two people), `page`, `staff_user` /
`operator_user` (accounts with a known password) and `sign_in(page, live_server, email, password)`.
Mark tests `@pytest.mark.browser`. `save_artifact(page, name)` keeps a screenshot under
var/test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpline.services import accounts
from tests.servers import serving

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long test password"


@pytest.fixture
def live_server(app):
    """The app behind a real threaded HTTP server on a free port; yields its base URL."""
    with serving(app) as url:
        yield url


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        raise RuntimeError("browser tests need chromium (apt install chromium, or set CHROMIUM_PATH)")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser):
    """A factory of fresh contexts (separate cookie jars); all closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**{"viewport": {"width": 1200, "height": 900}, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser_context):
    return browser_context().new_page()


@dataclass
class User:
    email: str
    password: str
    role: str


@pytest.fixture
def staff_user(store, helpline) -> User:
    email, passwords = "sam.staff@example.org", helpline.passwords
    accounts.add(store, email, "staff", password=PASSWORD, phone="+12125550142", passwords=passwords)
    return User(email, PASSWORD, "staff")


@pytest.fixture
def operator_user(store, helpline) -> User:
    email, passwords = "olu.operator@example.org", helpline.passwords
    accounts.add(store, email, "operator", password=PASSWORD, phone="+12125550143", passwords=passwords)
    return User(email, PASSWORD, "operator")


def sign_in(page, base_url: str, email: str, password: str = PASSWORD, next_path: str = "/staff") -> None:
    """Sign in through the real form, and wait until the page after it has loaded."""
    page.goto(f"{base_url}/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{next_path}*")


def page_width(page) -> int:
    """The page's laid-out width once its stylesheets have loaded.

    Text can be found in a new page before its stylesheets arrive, and a layout measured then is the
    unstyled one (a table wider than a phone).
    """
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def save_artifact(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
