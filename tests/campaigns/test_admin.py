"""The merchant admin for promotions: saving goes through the services (promotion_clean's
errors on the form's fields, nothing saved), the kind's settings as plain fields, the actions,
a batch's CSV, "try a cart", and the pages in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.timezone import localtime

from accounts.models import User
from campaigns.models import Code, CodeBatch, Promotion
from campaigns.services import promotions as services
from omni.models import OutboxEvent
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

ADMIN = "/admin/campaigns/promotion/"
INLINES = {
    f"{prefix}-{name}": value
    for prefix in ("codes", "batches")
    for name, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MAX_NUM_FORMS", 1000))
}


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


def _form(**fields):
    data = {
        "name": "Yaz",
        "label_tr": "Yaz indirimi",
        "label_en": "",
        "kind": "percent",
        "target": "lines",
        "value": "10",
        "currency": "TRY",
        "stacking": "combinable",
        "priority": "0",
        "is_active": "on",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        **INLINES,
    }
    data.update(fields)
    return data


def _errors(page) -> dict[str, list[str]]:
    form = page.context["adminform"].form
    return {name: list(messages) for name, messages in form.errors.items()}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "150"}, "value"),
        (
            {
                "starts_at_0": "2027-06-02",
                "starts_at_1": "10:00",
                "ends_at_0": "2027-06-01",
                "ends_at_1": "10:00",
            },
            "ends_at",
        ),
        ({"kind": "bundle", "bundle_quantity": "1", "bundle_pay": "1"}, "bundle_quantity"),
        ({"kind": "tiered", "tiers": "1000: 15\n500: 10"}, "tiers"),
        ({"kind": "tiered", "tiers": "yüz yirmi"}, "tiers"),
        ({"kind": "buy_x_get_y", "buy": "0", "get": "1"}, "buy"),
        ({"kind": "gift", "value": "0", "gift_variant": "424242"}, "gift_variant"),
        ({"code": "ACILIS2026"}, "code"),
        ({"label_tr": ""}, "label_tr"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(admin_client, web, fields, field):
    services.promotion_create(
        name="Açılış", label_tr="Açılış", kind="percent", value="5", code="ACILIS2026"
    )

    with translation.override("en"):
        page = admin_client.post(f"{ADMIN}add/", _form(**fields))

    assert page.status_code == 200
    assert field in _errors(page), _errors(page)
    assert Promotion.objects.count() == 1 and Code.objects.count() == 1


def test_adding_a_promotion_goes_through_the_service(admin_client, web):
    page = admin_client.post(
        f"{ADMIN}add/",
        _form(
            kind="tiered",
            value="0",
            tiers="500: 10\n1000: 15",
            channels=[web.pk],
            starts_at_0="2027-06-01",
            starts_at_1="09:00",
            code="yaz2027",
            code_usage_limit="100",
        ),
    )

    assert page.status_code == 302, _errors(page)
    promotion = Promotion.objects.get()
    assert promotion.config == {
        "tiers": [{"from": "500.00", "percent": "10"}, {"from": "1000.00", "percent": "15"}]
    }
    assert localtime(promotion.starts_at).isoformat() == "2027-06-01T09:00:00+03:00"
    assert list(promotion.codes.values_list("code", "usage_limit")) == [("YAZ2027", 100)]
    assert promotion.requires_code and promotion.created_by is not None


def test_changing_a_promotion_records_the_event(admin_client, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", channels=[web.pk]
    )

    page = admin_client.post(f"{ADMIN}{promotion.pk}/change/", _form(value="20", channels=[web.pk]))

    assert page.status_code == 302, _errors(page)
    promotion.refresh_from_db()
    assert promotion.value == Decimal("20.00")
    assert OutboxEvent.objects.filter(key=f"promotion:{promotion.pk}").count() == 2


def test_pause_resume_and_copy_actions(admin_client, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", code="YAZ5"
    )
    select = {"_selected_action": [promotion.pk]}

    admin_client.post(ADMIN, {**select, "action": "pause"})
    paused = Promotion.objects.get(pk=promotion.pk).is_active
    admin_client.post(ADMIN, {**select, "action": "resume"})
    admin_client.post(ADMIN, {**select, "action": "copy"})

    assert paused is False and Promotion.objects.get(pk=promotion.pk).is_active
    copy = Promotion.objects.exclude(pk=promotion.pk).get()
    assert (copy.is_active, copy.codes.count()) == (False, 0)


def test_the_change_page_and_a_batch_csv(admin_client, web):
    promotion = services.promotion_create(
        name="Yaz",
        label_tr="Yaz",
        kind="buy_x_get_y",
        value="0",
        code="YAZ5",
        config={"buy": 1, "get": 1, "percent": 50},
    )
    batch = CodeBatch.objects.create(promotion=promotion, prefix="B", count=2)
    Code.objects.bulk_create(
        [Code(promotion=promotion, batch=batch, code=c, usage_limit=1) for c in ("BAAA", "BBBB")]
    )

    page = admin_client.get(f"{ADMIN}{promotion.pk}/change/")
    csv = admin_client.get(f"{ADMIN}{promotion.pk}/batches/{batch.pk}/codes.csv")

    html = page.content.decode()
    assert page.status_code == 200 and "YAZ5" in html and "BAAA" not in html
    assert page.context["adminform"].form.initial["get_percent"] == "50"
    assert b"".join(csv.streaming_content).decode().splitlines() == [
        "code,uses,used",
        "BAAA,1,0",
        "BBBB,1,0",
    ]


def test_try_a_cart(admin_client, web):
    item = f.product(channels=[web], price="200.00")
    variant = item.variants.get()
    services.promotion_create(
        name="Elbise", label_tr="Elbiselerde %10", kind="percent", value="10", products=[item.pk]
    )
    method = f.ShippingMethodFactory(channel=web, price=Decimal("49.90"))
    services.promotion_create(
        name="Kargo", label_tr="Kargo bedava", kind="shipping", value="100", target="order"
    )

    shown = admin_client.get(f"{ADMIN}preview/")
    tried = admin_client.post(
        f"{ADMIN}preview/",
        {
            "channel": web.pk,
            "lines": f"{variant.sku} 2",
            "codes": "YOKBOYLE",
            "shipping_method": method.pk,
        },
    )
    unknown = admin_client.post(f"{ADMIN}preview/", {"channel": web.pk, "lines": "NOPE 1"})

    assert shown.status_code == 200
    preview = tried.context["preview"]
    quote = preview.quote
    assert (quote.discount_total, quote.shipping, quote.shipping_discount, quote.total) == (
        Decimal("40.00"),
        Decimal("0.00"),
        Decimal("49.90"),
        Decimal("360.00"),
    )
    html = tried.content.decode()
    assert "Elbiselerde %10: -40,00" in html  # the admin speaks Turkish and "YOKBOYLE" in html
    assert "NOPE" in unknown.content.decode() and unknown.context["preview"] is None


def test_store_staff_cannot_open_the_pages(client, web):
    staff = f.UserFactory(role=User.Role.STORE_STAFF, is_staff=True)
    client.force_login(staff)

    assert client.get(ADMIN).status_code == 403
    assert client.get(f"{ADMIN}preview/").status_code == 403


def test_the_changelist_in_the_same_queries_for_1_and_many(admin_client, web):
    admin_client.get("/admin/")  # content types and permissions, cached for the process
    for new in (1, 20):
        for n in range(new):
            services.promotion_create(
                name=f"P{n}", label_tr="P", kind="percent", value="5", channels=[web.pk]
            )
        # session and user; the count (filtered, all); the page; the channel filter's choices
        with assert_num_queries(6):
            assert admin_client.get(f"{ADMIN}?status=active").status_code == 200


def test_generate_a_batch_of_codes_and_download_it(admin_client, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", code="YAZ5"
    )
    url = f"{ADMIN}{promotion.pk}/generate/"

    refused = admin_client.post(url, {"count": "0", "code_prefix": "", "usage_limit": "1"})
    made = admin_client.post(url, {"count": "25", "code_prefix": "YAZ", "usage_limit": "1"})

    assert refused.status_code == 200 and "count" in refused.context["form"].errors
    assert made.status_code == 302
    batch = promotion.batches.get()
    csv = admin_client.get(f"{ADMIN}{promotion.pk}/batches/{batch.pk}/codes.csv")
    rows = b"".join(csv.streaming_content).decode().splitlines()[1:]
    assert len(rows) == 25 == batch.codes.count()
    assert all(row.startswith("YAZ") for row in rows)


def test_the_change_page_in_the_same_queries_for_1_and_many_codes(admin_client, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", channels=[web.pk], code="YAZ0"
    )
    url = f"{ADMIN}{promotion.pk}/change/"
    admin_client.get(url)  # the content types, cached for the process
    for n in (1, 20):
        for i in range(n):
            services.code_create(promotion=promotion, code=f"YAZ{n}X{i}")
        # session and user; the promotion and its eight conditions; the named codes; the
        # batches; the choices of the four two-list pickers
        with assert_num_queries(17):
            assert admin_client.get(url).status_code == 200
