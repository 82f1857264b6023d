"""The merchant API for promotions (/api/v1/admin/promotions/): create, read, change, schedule,
pause, resume, copy, codes and "try a cart"; bad input is a 400 naming the field with nothing
saved; merchant staff with the permissions only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from campaigns.models import Code, CodeBatch, Promotion
from campaigns.services import promotions as services
from omni.models import OutboxEvent
from tests import factories as f
from tests.campaigns import redeem_world
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/promotions/"
PERMS = ("view_promotion", "add_promotion", "change_promotion")


def _staff(role=User.Role.MERCHANT_STAFF, perms=PERMS):
    user = f.UserFactory(role=role)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="campaigns", codename__in=perms)
    )
    return user


def _as(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


@pytest.fixture
def merchant(api):
    return _as(api, _staff())


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


def _body(**fields):
    return {"name": "Yaz", "label_tr": "Yaz indirimi", "kind": "percent", "value": "10", **fields}


def test_create_read_change_and_list(merchant, web):
    created = merchant.post(
        URL, _body(channels=[web.pk], starts_at="2027-06-01T09:00:00"), format="json"
    )
    promotion_id = created.json()["id"]
    changed = merchant.patch(f"{URL}{promotion_id}/", {"value": "15"}, format="json")
    read = merchant.get(f"{URL}{promotion_id}/")
    listed = merchant.get(URL, {"kind": "percent", "channel": web.pk})

    assert created.status_code == 201, created.json()
    assert created.json()["starts_at"] == "2027-06-01T09:00:00+03:00"  # Istanbul time
    assert created.json()["status"] == "scheduled" and created.json()["channels"] == [web.pk]
    assert changed.status_code == 200 and read.json()["value"] == "15.00"
    assert [p["id"] for p in listed.json()["results"]] == [promotion_id]
    assert OutboxEvent.objects.filter(key=f"promotion:{promotion_id}").count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "150"}, "value"),
        ({"value": "-5"}, "value"),
        ({"starts_at": "2026-06-02T00:00:00", "ends_at": "2026-06-01T00:00:00"}, "ends_at"),
        ({"products": [424242]}, "products"),
        ({"segments": [424242]}, "segments"),
        ({"kind": "gift", "value": "0", "config": {"variant": 424242}}, "config.variant"),
        (
            {"kind": "tiered", "config": {"tiers": [{"from": "0", "percent": "5"}]}},
            "config.tiers.0.from",
        ),
        ({"kind": "bundle", "config": {"quantity": 1, "pay": 1}}, "config.quantity"),
        ({"kind": "amount", "value": "10", "currency": "EUR"}, "currency"),
        ({"code": "ACILIS2026"}, "code"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_saves_nothing(merchant, web, fields, field):
    services.promotion_create(
        name="Açılış", label_tr="Açılış", kind="percent", value="5", code="ACILIS2026"
    )

    answer = merchant.post(URL, _body(**fields), format="json")

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and field in answer.json()["fields"], answer.json()
    assert Promotion.objects.count() == 1 and Code.objects.count() == 1


def test_a_bad_patch_is_a_400_and_changes_nothing(merchant, web):
    promotion = services.promotion_create(name="Yaz", label_tr="Yaz", kind="percent", value="5")

    answer = merchant.patch(f"{URL}{promotion.pk}/", {"value": "101", "name": "X"}, format="json")

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"value": ["A percentage is between 0 and 100."]}
    promotion.refresh_from_db()
    assert (promotion.name, str(promotion.value)) == ("Yaz", "5.00")


def test_pause_resume_schedule_and_copy(merchant, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", channels=[web.pk], code="YAZ5"
    )
    base = f"{URL}{promotion.pk}/"

    paused = merchant.post(f"{base}pause/")
    resumed = merchant.post(f"{base}resume/")
    scheduled = merchant.post(
        f"{base}schedule/",
        {"starts_at": "2026-07-01T00:00:00", "ends_at": "2026-07-31T23:59:00"},
        format="json",
    )
    bad_window = merchant.post(
        f"{base}schedule/",
        {"starts_at": "2026-07-31T00:00:00", "ends_at": "2026-07-01T00:00:00"},
        format="json",
    )
    copied = merchant.post(f"{base}copy/")

    assert paused.json()["status"] == "paused" and resumed.json()["is_active"] is True
    assert scheduled.json()["ends_at"] == "2026-07-31T23:59:00+03:00"
    assert bad_window.status_code == 400 and "ends_at" in bad_window.json()["fields"]
    assert copied.status_code == 201
    assert copied.json()["is_active"] is False and copied.json()["name"] == "Yaz (copy)"
    assert Code.objects.filter(promotion_id=copied.json()["id"]).count() == 0


def test_codes_list_and_create(merchant, web):
    promotion = services.promotion_create(name="Yaz", label_tr="Yaz", kind="percent", value="5")
    url = f"{URL}{promotion.pk}/codes/"

    created = merchant.post(url, {"code": "acilis2026", "usage_limit": 100}, format="json")
    taken = merchant.post(url, {"code": "ACILIS2026"}, format="json")
    listed = merchant.get(url)

    assert created.status_code == 201 and created.json()["code"] == "ACILIS2026"
    assert taken.status_code == 400
    assert taken.json()["fields"] == {"code": ["The code ACILIS2026 is already taken."]}
    assert [c["code"] for c in listed.json()["results"]] == ["ACILIS2026"]


def test_unknown_ids_are_404(merchant):
    for answer in (
        merchant.get(f"{URL}999999/"),
        merchant.patch(f"{URL}999999/", {"value": "1"}, format="json"),
        merchant.post(f"{URL}999999/pause/"),
        merchant.post(f"{URL}999999/copy/"),
        merchant.get(f"{URL}999999/codes/"),
    ):
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_the_preview_prices_a_cart_and_says_why(merchant, web):
    item = f.product(channels=[web], price="200.00")
    variant = item.variants.get()
    promotion = services.promotion_create(
        name="Elbise", label_tr="Elbiselerde %10", kind="percent", value="10", products=[item.pk]
    )
    body = {
        "channel": "web",
        "lines": [{"sku": variant.sku, "quantity": 2}],
        "codes": ["YOKBOYLE"],
    }

    answer = merchant.post(f"{URL}preview/", body, format="json")
    unknown = merchant.post(
        f"{URL}preview/", {**body, "lines": [{"sku": "NOPE", "quantity": 1}]}, format="json"
    )

    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["subtotal"], data["discount_total"], data["total"]) == (
        "400.00",
        "40.00",
        "360.00",
    )
    (line,) = data["lines"]
    assert line["discount"] == "40.00"
    assert line["reasons"] == [
        {
            "promotion": str(promotion.pk),
            "name": "Elbise",
            "label": "Elbiselerde %10",
            "amount": "40.00",
            "code": "",
        }
    ]
    assert list(data["rejected_codes"]) == ["YOKBOYLE"]
    assert unknown.status_code == 400 and "lines.0.sku" in unknown.json()["fields"]


@pytest.mark.parametrize(
    "role", [User.Role.STORE_STAFF, User.Role.CUSTOMER], ids=["store-staff", "shopper"]
)
def test_store_staff_and_shoppers_are_refused(api, web, role):
    promotion = services.promotion_create(name="Yaz", label_tr="Yaz", kind="percent", value="5")
    _as(api, _staff(role=role))  # even holding the permissions

    answers = [
        api.get(URL),
        api.post(URL, _body(), format="json"),
        api.post(f"{URL}{promotion.pk}/pause/"),
        api.post(f"{URL}preview/", {"channel": "web", "lines": []}, format="json"),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert Promotion.objects.get(pk=promotion.pk).is_active


def test_a_merchant_without_the_permission_is_refused(api, web):
    _as(api, _staff(perms=("view_promotion",)))

    assert api.get(URL).status_code == 200
    assert api.post(URL, _body(), format="json").status_code == 403
    assert api.get(URL, {"status": "nope"}).status_code == 400


def test_the_list_in_the_same_queries_for_1_and_many(merchant, web):
    merchant.get(URL)  # the token's user, cached content types
    for new in (1, 20):
        for _ in range(new):
            services.promotion_create(
                name="Yaz",
                label_tr="Yaz",
                kind="percent",
                value="5",
                channels=[web.pk],
            )
        # token and user, the user's and the groups' permissions; the count; the page; the
        # ids of the eight conditions
        with assert_num_queries(13):
            answer = merchant.get(URL, {"status": "active", "channel": web.pk})
        assert answer.status_code == 200
    assert answer.json()["count"] == 21


def test_batches_and_a_batchs_csv(merchant, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", code="YAZ5"
    )
    batch = CodeBatch.objects.create(promotion=promotion, prefix="B", count=2)
    Code.objects.bulk_create(
        [Code(promotion=promotion, batch=batch, code=c, usage_limit=1) for c in ("BAAA", "BBBB")]
    )

    listed = merchant.get(f"{URL}{promotion.pk}/batches/")
    csv = merchant.get(f"{URL}{promotion.pk}/batches/{batch.pk}/codes.csv")
    other = merchant.get(f"{URL}999999/batches/{batch.pk}/codes.csv")
    named = merchant.get(f"{URL}{promotion.pk}/codes/")

    assert [(b["id"], b["count"]) for b in listed.json()["results"]] == [(batch.pk, 2)]
    assert csv["Content-Type"].startswith("text/csv")
    assert b"".join(csv.streaming_content).decode().splitlines() == [
        "code,uses,used",
        "BAAA,1,0",
        "BBBB,1,0",
    ]
    assert other.status_code == 404
    assert [c["code"] for c in named.json()["results"]] == ["YAZ5"]  # a batch's are in its CSV


def test_uses_and_spent_come_from_the_redemptions(merchant, web):
    item = f.product(channels=[web], price="100.00")
    variant = item.variants.get()
    f.stocked(web, variant)
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="10", products=[item.pk]
    )
    redeem_world.place(web, f.CustomerFactory(), {variant: 2})

    read = merchant.get(f"{URL}{promotion.pk}/").json()
    listed = merchant.get(URL).json()["results"][0]

    assert (read["times_used"], read["spent"]) == (1, "20.00")
    assert (listed["times_used"], listed["spent"]) == (1, "20.00")


def test_generate_a_batch(merchant, web):
    promotion = services.promotion_create(
        name="Yaz", label_tr="Yaz", kind="percent", value="5", code="YAZ5"
    )
    url = f"{URL}{promotion.pk}/batches/"

    refused = merchant.post(url, {"count": 0}, format="json")
    made = merchant.post(url, {"count": 30, "prefix": "yaz"}, format="json")

    assert refused.status_code == 400 and "count" in refused.json()["fields"]
    assert made.status_code == 201 and made.json()["count"] == 30
    batch = CodeBatch.objects.get(pk=made.json()["id"])
    assert batch.codes.count() == 30 and set(batch.codes.values_list("usage_limit", flat=True)) == {
        1
    }


def test_the_preview_shows_a_gift_and_free_shipping(merchant, web):
    item = f.product(channels=[web], price="200.00")
    gift = f.product(channels=[web], price="50.00").variants.get()
    f.ShippingMethodFactory(channel=web, price="49.90")
    services.promotion_create(
        name="Hediye", label_tr="Hediye çanta", kind="gift", config={"variant": gift.pk}
    )
    services.promotion_create(
        name="Kargo", label_tr="Kargo bedava", kind="shipping", value="100", target="order"
    )
    body = {
        "channel": "web",
        "shipping_method": "standart",
        "lines": [{"sku": item.variants.get().sku, "quantity": 1}],
    }

    data = merchant.post(f"{URL}preview/", body, format="json").json()

    assert data["gifts"] == [
        {
            "variant_id": gift.pk,
            "sku": gift.sku,
            "quantity": 1,
            "label": "Hediye çanta",
            "promotion": data["gifts"][0]["promotion"],
            "in_cart": False,
        }
    ]
    assert (data["shipping"], data["shipping_discount"], data["total"]) == (
        "0.00",
        "49.90",
        "200.00",
    )
