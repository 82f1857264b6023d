"""A Content-Security-Policy and a Permissions-Policy on every page: the storefront, the account
pages, sign-in, the admin, the API docs and the pay-by-link pages. Scripts and styles come from
static files only (no 'unsafe-inline', no eval); the one inline element left (Swagger UI's style)
carries the page's nonce; no page and no template has an inline script, inline style, style
attribute or event-handler attribute without it. The e2e tests run the same pages in Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from payments.pages import provider_page
from tests import factories as f
from tests.storefront.support import build_shop

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


class InlineCode(HTMLParser):
    """What a strict policy would block: inline script or style without the page's nonce, style
    attributes and event-handler attributes."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
        nonced = self.nonce is not None and attributes.get("nonce") == self.nonce
        data = attributes.get("type") == "application/ld+json"  # data, not code
        if tag == "script" and "src" not in attributes and not nonced and not data:
            self.found.append("<script> without src or nonce")
        if tag == "style" and not nonced:
            self.found.append("<style> without nonce")
        if tag == "link" and attributes.get("rel") == "stylesheet" and "href" not in attributes:
            self.found.append("<link rel=stylesheet> without href")


def inline_code(response) -> list[str]:
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    parser = InlineCode(nonce[1] if nonce else None)
    parser.feed(response.content.decode())
    return parser.found


def assert_strict(response) -> None:
    found = policy(response)
    assert found["default-src"] == ["'self'"]
    assert found["script-src"][0] == "'self'"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(found["script-src"])
    assert not {"'unsafe-inline'", "*"} & set(found["style-src"])
    assert found["object-src"] == ["'none'"]
    assert found["base-uri"] == ["'self'"]
    assert found["frame-ancestors"] == ["'none'"]
    assert found["form-action"][0] == "'self'"
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.fixture
def shop():
    return build_shop(products=1)


@pytest.fixture
def shopper(client, shop):
    user = f.UserFactory(email="csp@example.com")
    client.force_login(user)
    return user


def test_every_storefront_page_carries_both_policies_and_no_inline_code(client, shop, shopper):
    variant = shop.variant(shop.products[0])
    client.post("/tr/cart/add/", {"sku": variant.sku, "quantity": 1})
    pages = [
        "/tr/",
        f"/tr/c/{shop.women.slug}/",
        f"/tr/p/{shop.products[0].slug}/",
        "/tr/search/?q=elbise",
        "/tr/cart/",
        "/tr/checkout/",
        "/tr/account/",
        "/tr/account/profile/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        assert inline_code(response) == [], url


def test_the_sign_in_pages_carry_both_policies_and_no_inline_code(shop):
    client = Client()
    for url in ["/tr/account/sign-in/", reverse("accounts:login"), "/admin/login/", "/pay/nope/"]:
        response = client.get(url)
        assert response.status_code in (200, 400), url  # a bad pay link: its error page
        assert_strict(response)
        assert inline_code(response) == [], url


def test_admin_pages_carry_both_policies_and_no_inline_code(client, shop):
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True, role="merchant_staff"))
    pages = [
        "/admin/",
        "/admin/catalog/product/",
        f"/admin/catalog/product/{shop.products[0].pk}/change/",
        "/admin/catalog/product/add/",
        "/admin/sales_channels/channel/",
        "/admin/sales_channels/channelendpoint/",
        "/admin/orders/order/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        assert inline_code(response) == [], url


def test_the_api_docs_load_their_script_as_a_file_and_nonce_their_style(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert_strict(page)
    assert inline_code(page) == []
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"])[1]
    assert f'<style nonce="{nonce}">' in page.content.decode()
    assert '<script src="/api/docs/?script="></script>' in page.content.decode()
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")


def test_a_nonce_is_new_on_every_page_that_uses_one(client):
    first = policy(client.get("/api/docs/"))["style-src"]
    second = policy(client.get("/api/docs/"))["style-src"]
    assert first != second


def test_forms_may_send_the_browser_to_the_payment_providers_page(client, settings):
    settings.OMNI_TEST_GATEWAY_URL = "http://127.0.0.1:8765/"
    settings.OMNI_CSP_FORM_ACTION = ["https://pay.example.com/3ds"]

    found = policy(client.get(reverse("accounts:login")))["form-action"]

    assert found == ["'self'", "http://127.0.0.1:8765", "https://pay.example.com"]


def test_no_form_may_send_the_browser_to_the_test_gateway_where_it_is_off(client, settings):
    """Production's default: the test gateway is off, so its (local, plain-http) provider is no
    place a form may post to."""
    settings.OMNI_ALLOW_TEST_GATEWAY = False
    settings.OMNI_TEST_GATEWAY_URL = "http://127.0.0.1:8765/"
    settings.OMNI_CSP_FORM_ACTION = ["https://pay.example.com/3ds"]

    found = policy(client.get(reverse("accounts:login")))["form-action"]

    assert found == ["'self'", "https://pay.example.com"]


def test_the_providers_own_page_gets_a_policy_of_its_own(rf):
    """iyzico's 3-D Secure answer: a form to the bank that submits itself with an inline script."""
    from omni.csp import CSPMiddleware

    request = rf.post("/tr/checkout/ME1/pay/")
    middleware = CSPMiddleware(lambda r: provider_page("<form action='https://bank.example'>"))
    response = middleware(request)

    found = policy(response)
    assert found["script-src"] == ["'unsafe-inline'"]
    assert found["form-action"][0] == "https:"
    assert found["frame-ancestors"] == ["'none'"]
    assert found["default-src"] == ["'none'"]


# --- the templates themselves ---------------------------------------------------------------

COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
STYLE = re.compile(r"<style\b([^>]*)>", re.I)
ATTRIBUTE = re.compile(r"<[a-z][^>]*\s(style|on[a-z]+)\s*=", re.I)


def test_no_template_has_inline_code_without_a_nonce():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES)
        if "email" in name.parts[:-1]:
            continue  # an e-mail, not a page: mail clients need inline styles, and no CSP applies
        text = COMMENT.sub("", path.read_text())
        for attrs in SCRIPT.findall(text):
            if "src=" not in attrs and "CSP_NONCE" not in attrs:
                found.append(f"{name}: <script{attrs}>")
        for attrs in STYLE.findall(text):
            if "CSP_NONCE" not in attrs:
                found.append(f"{name}: <style{attrs}>")
        found += [f"{name}: {a}= attribute" for a in ATTRIBUTE.findall(text)]
    assert found == []


def test_the_template_check_sees_inline_code(tmp_path):
    """The check above finds what it looks for (it would pass on an empty folder too)."""
    text = '<p style="x"><button onclick="go()"><script>go()</script><style>p{}</style>'
    assert len(ATTRIBUTE.findall(text)) == 2
    assert SCRIPT.findall(text) == [""] and STYLE.findall(text) == [""]
    assert len(list(TEMPLATES.rglob("*.html"))) > 20
