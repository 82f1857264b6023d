"""The shop on a phone (390 x 844, touch), in Turkish: the product's price and "Sepete ekle" on
the first screen whatever the number of options, the category's products first with the
filters behind a button, the header's cart count after a change made in the app, and no page
wider than the screen (home, category, product, cart, checkout, account)."""

from __future__ import annotations

import io
import json
import urllib.request
from decimal import Decimal

from playwright.sync_api import expect

from catalog import services as catalog_services
from catalog.models import ProductImage
from tests import factories as f
from tests.storefront.support import PASSWORD, build_shop

SCREEN_HEIGHT = 844
SIZE_TABLE = (
    "Beden tablosu (cm)\nBeden | Göğüs | Bel | Basen | Boy | Kol | Omuz | İç bacak\n"
    + "\n".join(
        f"{size} | {80 + 4 * i} | {62 + 4 * i} | {88 + 4 * i} | {160 + i} | {58 + i} | {36 + i} | 78"
        for i, size in enumerate(["XS", "S", "M", "L", "XL", "XXL"])
    )
)


def _picture() -> bytes:
    """A 600 x 600 product picture (the demo's size): media is not served by the test server,
    so the browser gets this one for every /media/ address."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 600), (180, 40, 50)).save(out, "PNG")
    return out.getvalue()


def serve_pictures(page) -> None:
    body = _picture()
    page.route(
        "**/media/**",
        lambda route: route.fulfill(status=200, body=body, content_type="image/png"),
    )


def with_pictures(product, n: int = 3) -> None:
    ProductImage.objects.bulk_create(
        ProductImage(product=product, image=f"products/{product.slug}-{i}.png", sort_order=i)
        for i in range(n)
    )


def on_first_screen(locator) -> None:
    """Visible without scrolling: the whole box inside the 390 x 844 screen."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_HEIGHT, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box


def fits_the_screen(page) -> None:
    """Nothing runs off the side: the page scrolls only downwards."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide"


def visit(page, path: str) -> None:
    """Open the page; a cookie notice, if the shop shows one, is acknowledged first (its own
    tests cover it), as a shopper does once."""
    page.goto(path)
    notice = page.get_by_test_id("cookie-notice")
    if notice.count():
        notice.get_by_role("button").click()
        expect(notice).to_have_count(0)


def sign_in(page, email: str) -> None:
    visit(page, "/en/account/sign-in/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("header").get_by_role("link", name="Your account")).to_be_visible()


def test_the_product_page_shows_the_price_and_add_to_cart_on_the_first_screen(phone):
    shop = build_shop(products=1, variants=8)  # eight options: the list runs below the screen
    product = shop.products[0]
    last = shop.variant(product, 7)
    catalog_services.prices_set(
        channel=shop.web, changes=[catalog_services.PriceChange(last.pk, Decimal("120.00"), None)]
    )
    with_pictures(product)
    product.description = SIZE_TABLE  # wider than the screen: it scrolls in its own box
    product.save(update_fields=["description"])
    serve_pictures(phone)

    visit(phone, f"/tr/p/{product.slug}/")
    on_first_screen(phone.get_by_test_id("price"))
    add = phone.get_by_role("button", name="Sepete ekle")
    on_first_screen(add)
    expect(phone.get_by_test_id("buybar")).to_contain_text("100,00\u00a0₺")
    on_first_screen(phone.locator(".gallery img").first)  # the first picture, whole
    fits_the_screen(phone)
    phone.shot("product", full_page=False)

    phone.locator(f'input[name="sku"][value="{last.sku}"]').check()  # below the screen
    expect(phone.get_by_test_id("buybar")).to_contain_text("120,00\u00a0₺")  # its price
    add.click()  # the bar's button adds the option chosen
    expect(phone.locator(f'tr[data-sku="{last.sku}"]')).to_have_count(1)
    expect(phone.get_by_test_id("cart-count")).to_have_text("1")
    fits_the_screen(phone)
    phone.shot("cart")


def test_the_category_shows_products_first_and_the_filters_behind_a_button(phone):
    build_shop(products=4)
    visit(phone, "/tr/c/kadin/")
    on_first_screen(phone.locator(".grid .card").first)
    button = phone.get_by_test_id("filters-button")
    on_first_screen(button)
    expect(button).to_have_text("Filtrele ve sırala")
    expect(phone.get_by_label("Sırala")).to_be_hidden()
    expect(phone.locator('a[data-facet="renk:kirmizi"]')).to_be_hidden()
    fits_the_screen(phone)
    phone.shot("category", full_page=False)

    button.click()
    expect(phone.get_by_label("Sırala")).to_be_visible()
    phone.shot("filters-open", full_page=False)
    phone.locator('a[data-facet="renk:kirmizi"]').click()
    expect(phone.locator(".grid .card")).to_have_count(2)  # Keten Elbise 1 and 3 are red
    expect(phone.locator('a[data-facet="renk:kirmizi"]')).to_be_hidden()  # closed again
    expect(button).to_contain_text("1")  # one filter on
    on_first_screen(phone.locator(".grid .card").first)
    phone.shot("filtered", full_page=False)


def _api(base: str, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    request = urllib.request.Request(  # noqa: S310 (the local live server)
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Omni-Channel": "app"}
        | ({"Authorization": f"Token {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def test_the_cart_count_follows_the_app_and_every_page_fits_the_screen(phone, live_server):
    shop = build_shop()
    app = f.ChannelFactory(code="app", name="App", kind="app")
    f.sells_from(app, shop.dc)
    variant = shop.variant(shop.products[0])
    catalog_services.prices_set(
        channel=app,
        changes=[
            catalog_services.PriceChange(variant.pk, variant.channel_prices.get().price, None)
        ],
    )
    catalog_services.product_listing_set(product=shop.products[0], channel=app, is_published=True)
    f.UserFactory(email="telefon@example.com")

    sign_in(phone, "telefon@example.com")
    phone.goto(f"/tr/p/{shop.products[1].slug}/")
    phone.get_by_role("button", name="Sepete ekle").click()
    expect(phone.get_by_test_id("cart-count")).to_have_text("1")

    token = _api(live_server.url, "POST", "/api/v1/auth/token/",
                 {"email": "telefon@example.com", "password": PASSWORD})["token"]  # fmt: skip
    _api(live_server.url, "POST", "/api/v1/cart/lines/", {"sku": variant.sku, "quantity": 2}, token)
    phone.goto("/tr/")
    expect(phone.get_by_test_id("cart-count")).to_have_text("3")  # 1 on the web, 2 in the app
    on_first_screen(phone.get_by_test_id("cart-link"))
    fits_the_screen(phone)
    phone.shot("home", full_page=False)

    for path, name in (
        ("/tr/cart/", "cart"),
        ("/tr/checkout/", "checkout"),
        ("/tr/account/", "account"),
        ("/tr/account/addresses/", "addresses"),
    ):
        phone.goto(path)
        expect(phone.get_by_test_id("cart-count")).to_have_text("3")
        fits_the_screen(phone)
        phone.shot(name)

    phone.goto("/tr/account/")
    expect(phone.locator("header").get_by_role("button", name="Çıkış yap")).to_be_hidden()
    phone.locator("main").get_by_role("button", name="Çıkış yap").click()  # the account's tabs
    expect(phone.locator("header").get_by_role("link", name="Giriş yap")).to_be_visible()
