"""factory_boy factories, one section per app, and helpers that build state through services."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth.models import Permission

from accounts.models import DeviceToken, User
from catalog import services as catalog_services
from catalog.demo import barcode_for
from catalog.models import Attribute, AttributeValue, Brand, Category, Product, TaxClass
from sales_channels.models import Channel

# --- sales channels -------------------------------------------------------------------------


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"channel-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = Channel.Kind.WEB
    currency = "TRY"


# --- accounts -------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Ayşe"
    last_name = "Kaya"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)


PASSWORD = "correct-horse-battery-9"


def merchant(*perms: str) -> User:
    """A merchant staff user holding exactly these permissions ("catalog.add_product", ...)."""
    user = UserFactory(role=User.Role.MERCHANT_STAFF, is_staff=True)
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # drop the permission cache


def token_for(user: User, **device: str) -> str:
    """A new API token for the user (a signed-in device), as sign-in gives it."""
    return DeviceToken.objects.create(user=user, **device)[1]


# --- catalog --------------------------------------------------------------------------------


class TaxClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClass
        django_get_or_create = ("code",)

    code = "kdv-20"
    name_tr = "KDV %20"
    rate = Decimal("20")


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Marka {n}")
    slug = factory.Sequence(lambda n: f"marka-{n}")


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attribute
        django_get_or_create = ("code",)

    code = "renk"
    name_tr = factory.LazyAttribute(lambda o: o.code.title())


class AttributeValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeValue
        django_get_or_create = ("attribute", "slug")

    attribute = factory.SubFactory(AttributeFactory)
    slug = factory.Sequence(lambda n: f"deger-{n}")
    name_tr = factory.LazyAttribute(lambda o: o.slug.title())


def category(
    slug: str = "giyim", parent: Category | None = None, name: str | None = None
) -> Category:
    found = Category.objects.filter(slug=slug).first()
    if found:
        return found
    fields = {"slug": slug, "name_tr": name or slug.title()}
    if parent:
        return Category.objects.add_child(parent, fields)
    return Category.objects.add_root(fields)


_numbers = iter(range(1, 10_000_000))


def product(
    *,
    channels: list[Channel] | tuple[Channel, ...] = (),
    price: str | Decimal = "100.00",
    compare_at: str | Decimal | None = None,
    variants: int = 1,
    name: str | None = None,
    in_category: Category | None = None,
    attributes: list[list[AttributeValue]] | None = None,
    published: bool = True,
    brand: Brand | None = None,
) -> Product:
    """A product with `variants` variants, priced and published on `channels` through services."""
    n = next(_numbers)
    item = catalog_services.product_create(
        name_tr=name or f"Ürün {n}",
        name_en=f"Product {n}" if name is None else "",
        category=in_category or category(),
        tax_class=TaxClassFactory(),
        brand=brand,
    )
    for i in range(variants):
        catalog_services.variant_create(
            product=item,
            sku=f"SKU-{n}-{i}",
            barcode=barcode_for(200_000_000 + n * 10 + i),
            attribute_values=(attributes[i] if attributes else ()),
            sort_order=i,
        )
    ids = list(item.variants.values_list("id", flat=True))
    for channel in channels:
        catalog_services.prices_set(
            channel=channel,
            changes=[
                catalog_services.PriceChange(
                    vid, Decimal(price), Decimal(compare_at) if compare_at else None
                )
                for vid in ids
            ],
        )
        catalog_services.product_listing_set(product=item, channel=channel, is_published=published)
    return item


# --- inventory ------------------------------------------------------------------------------

from inventory.models import ChannelLocation, StockLocation  # noqa: E402


class StockLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLocation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"loc-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = StockLocation.Kind.WAREHOUSE
    city = "İstanbul"
    latitude = Decimal("41.008200")
    longitude = Decimal("28.978400")
    ships_to_customers = True


def sells_from(channel: Channel, *locations: StockLocation, safety_stock: int = 0) -> None:
    """The channel sells from these locations, in this order."""
    for priority, location in enumerate(locations):
        ChannelLocation.objects.update_or_create(
            channel=channel,
            location=location,
            defaults={"priority": priority, "safety_stock": safety_stock},
        )


# --- customers and orders -------------------------------------------------------------------

from customers.models import Customer  # noqa: E402
from orders.models import ShippingMethod  # noqa: E402


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"musteri{n}@example.com")
    first_name = "Ayşe"
    last_name = "Kaya"
    phone = "+905551112233"


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod
        django_get_or_create = ("channel", "code")

    code = "standart"
    name_tr = "Standart Kargo"
    price = Decimal("49.90")
    free_over = Decimal("1000.00")
    tax_rate = Decimal("20")


ADDRESS = {
    "full_name": "Ayşe Kaya",
    "phone": "+905551112233",
    "line1": "Moda Caddesi No:12 D:3",
    "district": "Kadıköy",
    "city": "İstanbul",
    "postal_code": "34710",
    "country": "TR",
}


def stocked(
    channel: Channel, *variants, location: StockLocation | None = None, quantity: int = 10
) -> StockLocation:
    """Stock these variants at a location the channel sells from (a distribution centre)."""
    from inventory import services as inventory

    location = location or StockLocationFactory(
        code="dc-test", city="Kocaeli", latitude=Decimal("40.80"), longitude=Decimal("29.43")
    )
    sells_from(channel, location)
    inventory.stock_receive_many(location=location, lines={v.pk: quantity for v in variants})
    return location


def forms_accepted(order):
    """The shopper accepted the legal forms of a distance sale (web, app) before paying, as the
    pay page and the app do; payment_start refuses a web or app order without them. Other
    orders are returned as they are."""
    from orders.services import agreements

    if agreements.agreements_required(order):
        agreements.agreements_accept(order=order, ip="127.0.0.1")
    return order
