"""End-to-end tests: a real headless Chromium (Debian's `chromium`, never a downloaded browser)
driven by Playwright against the live server (pytest-django `live_server`, the real database).

Marked `e2e`. Without chromium they are skipped locally and listed; with OMNI_REQUIRE_SERVICES=1
(CI, whose .ci/run installs chromium) a missing browser is a failure, as for PostgreSQL and
Redis. Each step's screenshot is saved under var/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("OMNI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# synchronous all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_missing() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"needs chromium at {CHROMIUM}, which is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs the playwright package, which is not installed"
    return ""


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def browser():
    missing = _chromium_missing()
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    yield from _page(browser, live_server, request, viewport={"width": 1280, "height": 900})


# A phone: 390 x 844 CSS pixels (an iPhone 12 to 15), touch, the mobile viewport meta honoured.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser, live_server, request):
    """A page as `page`, on a phone's screen (PHONE); screenshots of the first screen only
    with page.shot(step, full_page=False)."""
    yield from _page(browser, live_server, request, **PHONE)


def _page(browser, live_server, request, **options):
    context = browser.new_context(base_url=live_server.url, locale="en-US", **options)
    context.set_default_timeout(10_000)
    # A shopper who has read the cookie notice, which would otherwise stick to the bottom of
    # every storefront window (tests/e2e/test_shop_frame.py shows it to a first visit). Under
    # the storefront's paths only, where the notice is: set for every path, the offline till's
    # journey (tests/e2e/test_staff_offline.py) saw its service worker fetched while offline,
    # twice in two runs (the cause is not pinned down).
    host = live_server.url.split("://", 1)[1].split(":", 1)[0]
    context.add_cookies(
        [
            {"name": "cookie_notice", "value": "seen", "domain": host, "path": f"/{language}/"}
            for language, _name in settings.LANGUAGES
        ]
    )
    page = context.new_page()
    page.shots = []
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")

    def shot(step: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{len(page.shots) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        page.shots.append(path)
        return path

    page.shot = shot
    # Anything the Content-Security-Policy blocked (an inline style htmx added, a script) fails
    # the test: Chromium reports each on the console.
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert page.csp_violations == [], "blocked by the Content-Security-Policy"
