"""Helpers for the staff screens' journeys: the till's screen size, and signing in."""

from __future__ import annotations

from tests.staff.support import PASSWORD

TILL = {"width": 1366, "height": 768}  # a till PC's screen
TABLET = {"width": 1280, "height": 800}  # a 10-inch tablet in landscape


def staff_sign_in(page, email: str, store: str | None = None, next_path: str = "/staff/") -> None:
    """Sign in on the staff sign-in page (and pick `store`, a store's name, when asked)."""
    page.set_viewport_size(TILL)
    page.goto(f"/staff/sign-in/?next={next_path}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    if store is not None and "/staff/store/" in page.url:
        page.get_by_role("button", name=store).click()
