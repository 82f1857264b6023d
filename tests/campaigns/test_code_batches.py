"""Codes: made in batches of up to 10,000 unique, unguessable codes (the service and the
management command), exported as CSV; carried over when a visitor's cart joins the customer's
on sign-in."""

import csv
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from campaigns.models import Code, CodeBatch
from campaigns.services import codes
from omni.errors import ValidationError
from orders.models import Cart
from orders.services import carts
from tests import factories as f
from tests.campaigns.redeem_world import code, place, promotion
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

LOOK_ALIKES = set("0O1I")


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def spring(web):
    return promotion(channels=[web], requires_code=True, label="Bahar")


def test_ten_thousand_codes_are_made_at_once_unique_and_unguessable(spring):
    code(spring, "ELDEN")  # one made by hand before
    merchant = f.merchant()
    started = time.perf_counter()

    with assert_num_queries(13):  # the batch, 5 chunks checked, 5 written, the savepoint
        batch = codes.code_batch_generate(
            promotion=spring, count=10_000, prefix="bahar-", actor=merchant
        )

    elapsed = time.perf_counter() - started
    made = list(Code.objects.filter(batch=batch).values_list("code", "usage_limit", "promotion"))
    assert len(made) == len({c for c, _u, _p in made}) == 10_000
    assert {(u, p) for _c, u, p in made} == {(1, spring.pk)}
    for text, _u, _p in made:
        assert text.startswith("BAHAR-") and len(text) == 6 + 12
        assert set(text[6:]) <= set(codes.CODE_ALPHABET) and not set(text[6:]) & LOOK_ALIKES
    assert (batch.count, batch.prefix, batch.created_by) == (10_000, "BAHAR-", merchant)
    assert elapsed < 10, elapsed  # about a second on PostgreSQL; generous for a busy machine


def test_a_drawn_code_that_exists_is_drawn_again(spring, monkeypatch):
    code(spring, "TAKEN")
    drawn = iter(["TAKEN", "NEW1", "NEW2"])
    monkeypatch.setattr(codes, "_random_code", lambda prefix: next(drawn))

    batch = codes.code_batch_generate(promotion=spring, count=2)

    assert sorted(batch.codes.values_list("code", flat=True)) == ["NEW1", "NEW2"]
    assert Code.objects.get(code="TAKEN").batch is None


@pytest.mark.parametrize(
    "count, prefix, usage_limit, field",
    [
        (0, "", 1, "count"),
        (10_001, "", 1, "count"),
        (10, "ÇOK-UZUN-BIR-ÖNEK", 1, "prefix"),
        (10, "yüz%", 1, "prefix"),
        (10, "", 0, "usage_limit"),
    ],
)
def test_a_bad_batch_is_refused_on_its_field_and_nothing_is_made(
    spring, count, prefix, usage_limit, field
):
    with pytest.raises(ValidationError) as refused:
        codes.code_batch_generate(
            promotion=spring, count=count, prefix=prefix, usage_limit=usage_limit
        )

    assert list(refused.value.fields) == [field]
    assert not CodeBatch.objects.exists() and not Code.objects.exists()


def test_an_automatic_promotion_gets_no_codes(web):
    automatic = promotion(channels=[web])

    with pytest.raises(ValidationError) as refused:
        codes.code_batch_generate(promotion=automatic, count=5)

    assert list(refused.value.fields) == ["promotion"]
    assert not Code.objects.exists()


def test_the_csv_lists_each_code_with_its_uses_and_use(web, spring):
    batch = codes.code_batch_generate(promotion=spring, count=3, usage_limit=2)
    first = batch.codes.order_by("id").first()
    variant = f.product(channels=[web]).variants.get()
    f.stocked(web, variant)
    f.ShippingMethodFactory(channel=web)
    place(web, f.CustomerFactory(), {variant: 1}, codes=(first.code,))

    rows = list(csv.reader(io.StringIO("".join(codes.code_batch_csv(batch)))))

    assert rows[0] == ["code", "uses", "used"]
    assert rows[1:] == [
        [c.code, "2", "1" if c.pk == first.pk else "0"] for c in batch.codes.order_by("id")
    ]


def test_the_command_writes_the_batch_to_a_file(spring, tmp_path):
    out = tmp_path / "bahar.csv"

    call_command("promotion_codes_generate", str(spring.pk), "25", "--prefix=YAZ", f"--out={out}")

    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert len(rows) == 26 and rows[0] == ["code", "uses", "used"]
    assert {r[0][:3] for r in rows[1:]} == {"YAZ"}
    assert Code.objects.filter(batch__promotion=spring).count() == 25


@pytest.mark.parametrize(
    "args, says",
    [
        (["999999", "10"], "No promotion with the id 999999."),
        (["{spring}", "lots"], "COUNT must be a whole number of at least 1, not 'lots'."),
        (["{spring}", "0"], "COUNT must be a whole number of at least 1, not '0'."),
        (["{spring}", "20000"], "Make between 1 and 10,000 codes at a time."),
        (["{spring}", "5", "--prefix=ab cd!"], "A prefix is at most 12 letters"),
        (["{spring}", "5", "--out=/no/such/dir/x.csv"], "No such directory for --out"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(spring, args, says):
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("promotion_codes_generate", *[a.format(spring=spring.pk) for a in args])

    assert says in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not Code.objects.exists()


def test_signing_in_brings_the_visitors_codes_into_the_customers_cart(web, spring):
    code(spring, "BAHAR10")
    other = promotion(channels=[web], requires_code=True, label="Kış")
    code(other, "KIS5")
    variant = f.product(channels=[web]).variants.get()
    f.stocked(web, variant)
    customer = f.CustomerFactory()
    mine = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_codes_set(cart=mine, channel=web, codes=["KIS5"])
    visitor = carts.cart_create_anonymous(channel=web)
    carts.cart_add(cart=visitor, channel=web, variant_id=variant.pk, quantity=1)
    carts.cart_codes_set(cart=visitor, channel=web, codes=["BAHAR10", "KIS5"])

    merged = carts.cart_merge(anonymous=visitor, customer=customer, channel=web)

    assert Cart.objects.get(pk=merged.pk).codes == ["KIS5", "BAHAR10"]
    assert Cart.objects.get(pk=visitor.pk).status == "merged"
