import pytest
from django.core.management import call_command

from catalog.models import Product, ProductChannelListing, ProductVariant, VariantChannelPrice
from sales_channels.models import Channel

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_believable_business_and_is_safe_to_run_again(capsys):
    call_command("seed_demo", "--no-images")
    first = (
        Product.objects.count(),
        ProductVariant.objects.count(),
        VariantChannelPrice.objects.count(),
    )
    call_command("seed_demo", "--no-images")
    out = capsys.readouterr().out

    assert (
        Product.objects.count(),
        ProductVariant.objects.count(),
        VariantChannelPrice.objects.count(),
    ) == first
    assert first[0] >= 50 and first[1] >= 200
    kinds = set(Channel.objects.values_list("kind", flat=True))
    assert kinds == {"web", "app", "store", "marketplace", "social"}
    assert Channel.objects.filter(kind="store").count() >= 2
    assert "merchant@omni.test" in out
    # every variant has a price on every channel, in TRY
    assert VariantChannelPrice.objects.exclude(currency="TRY").count() == 0
    assert first[2] == first[1] * Channel.objects.count()
    assert ProductChannelListing.objects.filter(is_published=True).exists()


def test_seed_demo_generates_a_large_catalog_in_bulk():
    call_command("seed_demo", "--no-images", "--variants", "100")
    assert (
        ProductVariant.objects.filter(sku__startswith="BENCH-").count() == 104
    )  # whole products of 8
    call_command("seed_demo", "--no-images", "--variants", "100")
    assert ProductVariant.objects.filter(sku__startswith="BENCH-").count() == 104
    bench = Product.objects.filter(slug__startswith="bench-").first()
    assert (
        bench.channel_listings.filter(is_published=True, price_min__isnull=False).count()
        == Channel.objects.count()
    )
