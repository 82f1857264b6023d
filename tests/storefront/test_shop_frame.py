"""The frame of every storefront page and the merchant's own pages: the footer names the
retailer (company, MERSIS and tax numbers, address, contact) and links the pages the merchant
edits in the admin (returns, delivery, the KVKK notice, the cookie policy), in a fixed number of
queries however many pages; a page's text is rendered escaped with the retailer's details
filled in; the cookie notice says Omni sets only essential cookies, names them in the cookie
policy and is remembered once read."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from sales_channels.demo import RETAILER, seed_retailer
from sales_channels.models import Retailer
from storefront import content
from storefront.demo import PAGES, seed_pages
from storefront.models import ShopPage
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def frame(shop):
    seed_retailer()
    seed_pages()
    return shop


def body(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_the_footer_names_the_retailer_and_links_the_merchants_pages_in_their_order(client, frame):
    html = body(client.get("/tr/"))

    for value in ("legal_name", "mersis_number", "tax_office", "tax_number", "phone", "email"):
        assert RETAILER[value] in html, value
    assert "Caferağa Mah. Moda Cad. No: 42/1, 34710 Kadıköy / İstanbul" in html
    links = [f'<a href="/tr/page/{slug}/">{title_tr}</a>' for slug, title_tr, *_ in PAGES]
    positions = [html.index(link) for link in links]
    assert positions == sorted(positions)
    english = body(client.get("/en/"))
    assert '<a href="/en/page/cerez-politikasi/">Cookie policy</a>' in english


def test_a_saved_page_or_retailer_shows_in_the_footer_at_once(client, frame):
    client.get("/tr/")  # the frame is now cached
    retailer = Retailer.objects.get(pk=1)
    retailer.phone = "0212 555 00 11"
    retailer.save()
    ShopPage.objects.filter(slug="teslimat").update(title_tr="Kargo")  # no signal: still cached
    page = ShopPage.objects.get(slug="hakkimizda")
    page.in_footer = False
    page.save()

    html = body(client.get("/tr/"))

    assert "0212 555 00 11" in html and "0850 123 45 67" not in html
    assert "/tr/page/hakkimizda/" not in html
    assert ">Kargo</a>" in html  # read again after the save above


def test_the_frame_costs_no_query_once_cached_however_many_pages(client, frame):
    url = "/tr/p/" + frame.products[0].slug + "/"
    client.get(url)
    with assert_num_queries(0):
        content.shop_frame()
    for n in range(10):
        ShopPage.objects.create(slug=f"extra-{n}", title_tr=f"Ek {n}")
    with assert_num_queries(2):  # the retailer and the footer's pages
        frame_now = content.shop_frame()
    assert len(frame_now.pages) == len(PAGES) + 10
    with assert_num_queries(0):
        content.shop_frame()


def test_a_page_is_rendered_escaped_with_the_retailers_details_in_both_languages(client, frame):
    ShopPage.objects.create(
        slug="deneme",
        title_tr="Deneme <b>sayfası</b>",
        title_en="Test page",
        body_tr=(
            "Giriş satırı\nikinci satır\n\n## Başlık\n- bir **kalın**\n- iki\n\n"
            "<script>alert(1)</script> {{legal_name}}, {{return_days}} gün, {{nothing}}\n"
            "https://example.com/a?b=1&c=2 · destek@example.com"
        ),
        body_en="Only English {{trade_name}}",
    )

    html = body(client.get("/tr/page/deneme/"))

    assert "<h1>Deneme &lt;b&gt;sayfası&lt;/b&gt;</h1>" in html
    assert "<p>Giriş satırı<br>ikinci satır</p>" in html
    assert "<h2>Başlık</h2>" in html
    assert "<ul><li>bir <strong>kalın</strong></li><li>iki</li></ul>" in html
    assert "<script>alert(1)</script>" not in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Moda Ev Tekstil ve Ev Ürünleri Ticaret A.Ş." in html
    )
    assert "14 gün, {{nothing}}" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener">' in html
    assert '<a href="mailto:destek@example.com">destek@example.com</a>' in html
    english = body(client.get("/en/page/deneme/"))
    assert "<h1>Test page</h1>" in english and "Only English Moda Ev" in english


def test_an_unpublished_or_unknown_page_is_not_found(client, frame):
    ShopPage.objects.filter(slug="teslimat").update(is_published=False)

    assert client.get("/tr/page/teslimat/").status_code == 404
    assert client.get("/tr/page/yok/").status_code == 404
    assert "/tr/page/teslimat/" not in body(client.get("/tr/"))


def test_a_page_runs_a_fixed_number_of_queries(client, frame):
    client.get("/tr/page/iade-ve-degisim/")
    with assert_num_queries(3):  # the channel, the retailer, the page
        html = body(client.get("/tr/page/iade-ve-degisim/"))
    assert "{{" not in html
    assert "<strong>14 gün</strong>" in html


def test_every_seeded_page_has_both_languages_and_known_placeholders_only(client, frame):
    assert seed_pages() == 0  # run again: nothing added, the merchant's edits kept
    for slug, title_tr, title_en, *_ in PAGES:
        for language, title in (("tr", title_tr), ("en", title_en)):
            html = body(client.get(f"/{language}/page/{slug}/"))
            assert f"<h1>{title}</h1>" in html
            assert "{{" not in html, (slug, language)
            assert RETAILER["email"] in html or slug == "teslimat"


def test_the_cookie_policy_names_every_cookie_omni_sets(client, frame):
    cookies = {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        content.COOKIE_NOTICE_COOKIE,
    }
    for language in ("tr", "en"):
        html = body(client.get(f"/{language}/page/{content.COOKIE_POLICY_SLUG}/"))
        for name in cookies:
            assert f"<strong>{name}</strong>" in html, (language, name)


def test_the_cookie_notice_says_so_links_the_policy_and_is_remembered(frame):
    client = Client()
    html = body(client.get("/en/"))
    assert 'data-testid="cookie-notice"' in html
    assert "No advertising or analytics cookies" in html
    assert 'href="/en/page/cerez-politikasi/"' in html

    response = client.post("/en/cookies/seen/", {"next": "/en/page/teslimat/"})

    assert response.status_code == 302 and response.headers["Location"] == "/en/page/teslimat/"
    cookie = response.cookies[content.COOKIE_NOTICE_COOKIE]
    assert cookie.value == "seen"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert 'data-testid="cookie-notice"' not in body(client.get("/en/"))


def test_the_cookie_notice_answers_htmx_in_place_and_never_redirects_off_site(frame):
    client = Client()
    htmx = client.post("/tr/cookies/seen/", {"next": "/tr/"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and htmx.content == b""
    assert htmx.cookies[content.COOKIE_NOTICE_COOKIE].value == "seen"
    away = Client().post("/tr/cookies/seen/", {"next": "https://evil.example/"})
    assert away.headers["Location"] == "/tr/"
    assert Client().get("/tr/cookies/seen/").status_code == 405


def test_without_a_cookie_policy_page_the_notice_links_nowhere(client, frame):
    ShopPage.objects.filter(slug=content.COOKIE_POLICY_SLUG).delete()

    html = body(client.get("/tr/"))

    assert 'data-testid="cookie-notice"' in html
    assert "cerez-politikasi" not in html


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def merchant(client):
    user = f.UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_retailer_is_one_row_the_admin_opens_edits_and_never_adds_again_or_deletes(
    client, merchant, frame
):
    changelist = client.get("/admin/sales_channels/retailer/")
    assert changelist.headers["Location"] == "/admin/sales_channels/retailer/1/change/"
    change_form = body(client.get("/admin/sales_channels/retailer/1/change/"))
    assert "&lt;siparis@modaev.com.tr&gt;" in change_form  # a help text shown as text
    assert client.get("/admin/sales_channels/retailer/add/").headers["Location"] == (
        "/admin/sales_channels/retailer/1/change/"
    )
    assert client.post("/admin/sales_channels/retailer/add/", RETAILER).status_code == 302
    assert Retailer.objects.count() == 1
    assert client.get("/admin/sales_channels/retailer/1/delete/").status_code == 403
    form = {**RETAILER, "phone": "0216 000 00 00"}

    response = client.post("/admin/sales_channels/retailer/1/change/", form)

    assert response.status_code == 302
    assert Retailer.objects.get().phone == "0216 000 00 00"
    assert "0216 000 00 00" in body(client.get("/tr/"))


def test_a_fresh_install_adds_its_retailer_as_row_one(client, merchant):
    assert client.get("/admin/sales_channels/retailer/").headers["Location"] == (
        "/admin/sales_channels/retailer/add/"
    )
    response = client.post("/admin/sales_channels/retailer/add/", RETAILER)
    assert response.status_code == 302
    assert list(Retailer.objects.values_list("pk", flat=True)) == [1]


def test_the_merchant_adds_a_page_whose_address_then_stays(client, merchant, frame):
    response = client.post(
        "/admin/storefront/shoppage/add/",
        {
            "title_tr": "Beden Rehberi",
            "title_en": "Size guide",
            "slug": "beden-rehberi",
            "body_tr": "## Elbiseler\n- S: 36",
            "body_en": "",
            "is_published": "on",
            "in_footer": "on",
            "sort_order": "5",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    page = ShopPage.objects.get(slug="beden-rehberi")

    client.post(
        f"/admin/storefront/shoppage/{page.pk}/change/",
        {"title_tr": "Beden", "slug": "baska", "sort_order": "5", "is_published": "on"},
    )

    page.refresh_from_db()
    assert (page.slug, page.title_tr, page.in_footer) == ("beden-rehberi", "Beden", False)
    change_form = body(client.get(f"/admin/storefront/shoppage/{page.pk}/change/"))
    assert "{{return_days}}" in change_form  # the placeholders are listed for the merchant
    assert client.get("/en/page/beden-rehberi/").status_code == 200
