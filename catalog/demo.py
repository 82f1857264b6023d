"""The demo catalog of "Moda Ev", a Turkish fashion and home retailer, and a generator of large
catalogs for benchmarks. Both are safe to run again: what exists is left as it is.

A demo product's pictures are drawings of it in each of its colours (catalog.demo_drawings, SVG)
and its descriptions are written in Turkish and English (catalog.demo_descriptions)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog import services
from catalog.demo_descriptions import description
from catalog.demo_drawings import drawing_for, product_svg
from catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductChannelListing,
    ProductImage,
    ProductVariant,
    TaxClass,
    VariantChannelPrice,
    VariantPriceHistory,
)
from catalog.validators import ean13_check_digit
from omni.db import statistics_refresh
from omni.seeding import DemoRun
from omni.text import slugify_tr
from sales_channels.models import Channel

SEED_AFTER = ("sales_channels",)  # priced and listed on every channel

TAX_CLASSES = [("kdv-1", "KDV %1", "VAT 1%", "1"), ("kdv-10", "KDV %10", "VAT 10%", "10"),
               ("kdv-20", "KDV %20", "VAT 20%", "20")]  # fmt: skip

COLOURS = {
    "siyah": ("Siyah", "Black", "#111111"), "beyaz": ("Beyaz", "White", "#f7f7f5"),
    "lacivert": ("Lacivert", "Navy", "#1f2a44"), "bej": ("Bej", "Beige", "#d9c8a9"),
    "kirmizi": ("Kırmızı", "Red", "#b3261e"), "yesil": ("Yeşil", "Green", "#2e6b3f"),
    "gri": ("Gri", "Grey", "#8a8d91"), "pembe": ("Pembe", "Pink", "#e8a1b3"),
    "mavi": ("Mavi", "Blue", "#3a6ea5"), "kahve": ("Kahverengi", "Brown", "#6b4423"),
}  # fmt: skip
SIZES = {
    "beden": ("Beden", "Size", [("xs", "XS"), ("s", "S"), ("m", "M"), ("l", "L"), ("xl", "XL")]),
    "numara": ("Numara", "Shoe size", [(str(n), str(n)) for n in range(36, 46)]),
    "boyut": ("Boyut", "Dimensions", [("tek-kisilik", "Tek Kişilik"), ("cift-kisilik", "Çift Kişilik"),
                                      ("50x90", "50x90 cm"), ("70x140", "70x140 cm"),
                                      ("standart", "Standart")]),
}  # fmt: skip

CATEGORIES = {
    ("kadin", "Kadın", "Women"): [
        ("kadin-elbise", "Elbise", "Dresses"), ("kadin-bluz", "Bluz ve Gömlek", "Blouses and shirts"),
        ("kadin-pantolon", "Pantolon", "Trousers"), ("kadin-ayakkabi", "Kadın Ayakkabı", "Women's shoes"),
    ],
    ("erkek", "Erkek", "Men"): [
        ("erkek-gomlek", "Gömlek", "Shirts"), ("erkek-tisort", "Tişört", "T-shirts"),
        ("erkek-pantolon", "Erkek Pantolon", "Men's trousers"), ("erkek-ayakkabi", "Erkek Ayakkabı", "Men's shoes"),
    ],
    ("ev", "Ev", "Home"): [
        ("ev-nevresim", "Nevresim Takımı", "Bed linen"), ("ev-havlu", "Havlu", "Towels"),
        ("ev-dekorasyon", "Dekorasyon", "Decoration"), ("ev-mutfak", "Mutfak", "Kitchen"),
    ],
}  # fmt: skip

BRANDS = {"moda-ev": "Moda Ev", "lina": "Lina", "pamukkale-home": "Pamukkale Home",
          "kuzey": "Kuzey Outdoor"}  # fmt: skip

S_TO_L, S_TO_XL, XS_TO_XL = ["s", "m", "l"], ["s", "m", "l", "xl"], ["xs", "s", "m", "l", "xl"]
WOMEN_SHOES, MEN_SHOES = ["36", "37", "38", "39", "40"], ["41", "42", "43", "44"]

# category, brand, tax class, Turkish name, English name, price, size attribute, sizes, colours
PRODUCTS = [
    ("kadin-elbise", "lina", "kdv-10", "Keten Midi Elbise", "Linen midi dress", 1299, "beden", S_TO_XL, ["bej", "yesil"]),
    ("kadin-elbise", "lina", "kdv-10", "Çiçek Desenli Viskon Elbise", "Floral viscose dress", 999, "beden", XS_TO_XL, ["pembe", "mavi"]),
    ("kadin-elbise", "moda-ev", "kdv-10", "Kruvaze Yaka Saten Elbise", "Satin wrap dress", 1599, "beden", S_TO_XL, ["siyah", "kirmizi"]),
    ("kadin-elbise", "lina", "kdv-10", "Örme Kazak Elbise", "Knitted jumper dress", 1199, "beden", S_TO_L, ["gri", "kahve"]),
    ("kadin-elbise", "moda-ev", "kdv-10", "Askılı Yazlık Elbise", "Strappy summer dress", 749, "beden", S_TO_XL, ["beyaz", "mavi"]),
    ("kadin-bluz", "lina", "kdv-10", "Poplin Oversize Gömlek", "Oversized poplin shirt", 699, "beden", XS_TO_XL, ["beyaz", "mavi"]),
    ("kadin-bluz", "moda-ev", "kdv-10", "Fırfırlı Şifon Bluz", "Ruffled chiffon blouse", 599, "beden", S_TO_XL, ["beyaz", "pembe", "siyah"]),
    ("kadin-bluz", "lina", "kdv-10", "İpeksi Saten Bluz", "Silky satin blouse", 649, "beden", S_TO_XL, ["bej", "siyah"]),
    ("kadin-bluz", "moda-ev", "kdv-10", "Basic Pamuklu Tişört", "Basic cotton T-shirt", 249, "beden", XS_TO_XL, ["beyaz", "siyah", "gri"]),
    ("kadin-bluz", "lina", "kdv-10", "Çizgili Keten Gömlek", "Striped linen shirt", 799, "beden", S_TO_XL, ["mavi", "bej"]),
    ("kadin-pantolon", "lina", "kdv-10", "Yüksek Bel Palazzo Pantolon", "High-waist palazzo trousers", 899, "beden", S_TO_XL, ["siyah", "bej"]),
    ("kadin-pantolon", "moda-ev", "kdv-10", "Mom Fit Jean", "Mom-fit jeans", 849, "beden", XS_TO_XL, ["mavi", "siyah"]),
    ("kadin-pantolon", "lina", "kdv-10", "Kumaş Havuç Pantolon", "Tapered tailored trousers", 799, "beden", S_TO_XL, ["lacivert", "gri"]),
    ("kadin-pantolon", "moda-ev", "kdv-10", "Keten Bol Paça Pantolon", "Wide-leg linen trousers", 949, "beden", S_TO_L, ["beyaz", "yesil"]),
    ("kadin-ayakkabi", "lina", "kdv-20", "Deri Loafer", "Leather loafers", 1899, "numara", WOMEN_SHOES, ["siyah", "kahve"]),
    ("kadin-ayakkabi", "moda-ev", "kdv-20", "Kalın Taban Sneaker", "Chunky sneakers", 1499, "numara", WOMEN_SHOES, ["beyaz"]),
    ("kadin-ayakkabi", "lina", "kdv-20", "Topuklu Sandalet", "Heeled sandals", 1299, "numara", WOMEN_SHOES, ["bej", "siyah"]),
    ("kadin-ayakkabi", "kuzey", "kdv-20", "Su Geçirmez Bot", "Waterproof boots", 2499, "numara", WOMEN_SHOES, ["kahve"]),
    ("erkek-gomlek", "moda-ev", "kdv-10", "Slim Fit Oxford Gömlek", "Slim-fit Oxford shirt", 749, "beden", S_TO_XL, ["beyaz", "mavi"]),
    ("erkek-gomlek", "kuzey", "kdv-10", "Oduncu Flanel Gömlek", "Flannel lumberjack shirt", 899, "beden", S_TO_XL, ["kirmizi", "yesil"]),
    ("erkek-gomlek", "moda-ev", "kdv-10", "Keten Yazlık Gömlek", "Linen summer shirt", 849, "beden", XS_TO_XL, ["bej", "beyaz"]),
    ("erkek-gomlek", "moda-ev", "kdv-10", "Klasik Yaka Poplin Gömlek", "Classic poplin shirt", 699, "beden", S_TO_XL, ["beyaz", "lacivert"]),
    ("erkek-tisort", "moda-ev", "kdv-10", "Bisiklet Yaka Pamuklu Tişört", "Crew-neck cotton T-shirt", 299, "beden", XS_TO_XL, ["beyaz", "siyah", "lacivert"]),
    ("erkek-tisort", "kuzey", "kdv-10", "Outdoor Teknik Tişört", "Technical outdoor T-shirt", 499, "beden", S_TO_XL, ["gri", "yesil"]),
    ("erkek-tisort", "moda-ev", "kdv-10", "Polo Yaka Pike Tişört", "Piqué polo shirt", 549, "beden", S_TO_XL, ["lacivert", "beyaz"]),
    ("erkek-tisort", "moda-ev", "kdv-10", "Baskılı Oversize Tişört", "Printed oversized T-shirt", 399, "beden", S_TO_XL, ["siyah", "bej"]),
    ("erkek-pantolon", "moda-ev", "kdv-10", "Regular Fit Chino Pantolon", "Regular-fit chinos", 899, "beden", S_TO_XL, ["bej", "lacivert"]),
    ("erkek-pantolon", "kuzey", "kdv-10", "Kargo Cepli Pantolon", "Cargo trousers", 999, "beden", S_TO_XL, ["yesil", "siyah"]),
    ("erkek-pantolon", "moda-ev", "kdv-10", "Slim Fit Jean", "Slim-fit jeans", 949, "beden", XS_TO_XL, ["mavi", "siyah"]),
    ("erkek-pantolon", "moda-ev", "kdv-10", "Eşofman Altı", "Jogging bottoms", 549, "beden", S_TO_XL, ["gri", "siyah"]),
    ("erkek-ayakkabi", "moda-ev", "kdv-20", "Deri Oxford Ayakkabı", "Leather Oxford shoes", 2299, "numara", MEN_SHOES, ["siyah", "kahve"]),
    ("erkek-ayakkabi", "kuzey", "kdv-20", "Trekking Botu", "Hiking boots", 2799, "numara", MEN_SHOES, ["kahve"]),
    ("erkek-ayakkabi", "moda-ev", "kdv-20", "Süet Sneaker", "Suede sneakers", 1699, "numara", MEN_SHOES, ["lacivert", "gri"]),
    ("erkek-ayakkabi", "moda-ev", "kdv-20", "Keten Espadril", "Linen espadrilles", 699, "numara", MEN_SHOES, ["bej", "lacivert"]),
    ("ev-nevresim", "pamukkale-home", "kdv-10", "Ranforce Nevresim Takımı", "Cotton percale duvet set", 999, "boyut", ["tek-kisilik", "cift-kisilik"], ["beyaz", "gri"]),
    ("ev-nevresim", "pamukkale-home", "kdv-10", "Saten Nevresim Takımı", "Satin duvet set", 1499, "boyut", ["tek-kisilik", "cift-kisilik"], ["bej", "lacivert"]),
    ("ev-nevresim", "moda-ev", "kdv-10", "Keten Nevresim Takımı", "Linen duvet set", 2199, "boyut", ["cift-kisilik"], ["bej", "yesil", "gri"]),
    ("ev-nevresim", "pamukkale-home", "kdv-10", "Pike Takımı", "Cotton bedspread set", 899, "boyut", ["tek-kisilik", "cift-kisilik"], ["beyaz", "mavi"]),
    ("ev-nevresim", "moda-ev", "kdv-10", "Müslin Yorgan Kılıfı", "Muslin duvet cover", 1199, "boyut", ["tek-kisilik", "cift-kisilik"], ["pembe", "beyaz"]),
    ("ev-havlu", "pamukkale-home", "kdv-10", "Pamuklu Banyo Havlusu", "Cotton bath towel", 299, "boyut", ["50x90", "70x140"], ["beyaz", "gri", "lacivert"]),
    ("ev-havlu", "pamukkale-home", "kdv-10", "Peştemal Plaj Havlusu", "Peshtemal beach towel", 349, "boyut", ["standart"], ["mavi", "kirmizi", "bej"]),
    ("ev-havlu", "moda-ev", "kdv-10", "Bambu Yüz Havlusu", "Bamboo face towel", 149, "boyut", ["50x90"], ["beyaz", "yesil", "pembe"]),
    ("ev-havlu", "pamukkale-home", "kdv-10", "Bornoz", "Bathrobe", 799, "beden", S_TO_L, ["beyaz", "gri"]),
    ("ev-dekorasyon", "moda-ev", "kdv-20", "Seramik Vazo", "Ceramic vase", 449, "boyut", ["standart"], ["beyaz", "bej", "yesil"]),
    ("ev-dekorasyon", "moda-ev", "kdv-20", "Örgü Kırlent", "Knitted cushion", 299, "boyut", ["standart"], ["bej", "gri", "kahve"]),
    ("ev-dekorasyon", "moda-ev", "kdv-20", "Kokulu Mum", "Scented candle", 249, "boyut", ["standart"], ["beyaz", "pembe"]),
    ("ev-dekorasyon", "moda-ev", "kdv-20", "Hasır Sepet", "Wicker basket", 399, "boyut", ["standart"], ["bej", "kahve"]),
    ("ev-dekorasyon", "moda-ev", "kdv-20", "Duvar Aynası", "Wall mirror", 1299, "boyut", ["standart"], ["siyah", "bej"]),
    ("ev-mutfak", "moda-ev", "kdv-20", "Döküm Tencere", "Cast-iron pot", 1899, "boyut", ["standart"], ["kirmizi", "siyah", "lacivert"]),
    ("ev-mutfak", "moda-ev", "kdv-20", "Porselen Yemek Takımı", "Porcelain dinner set", 2499, "boyut", ["standart"], ["beyaz"]),
    ("ev-mutfak", "moda-ev", "kdv-20", "Türk Kahvesi Fincan Takımı", "Turkish coffee cup set", 599, "boyut", ["standart"], ["beyaz", "kirmizi", "lacivert"]),
    ("ev-mutfak", "pamukkale-home", "kdv-20", "Keten Mutfak Önlüğü", "Linen apron", 249, "boyut", ["standart"], ["bej", "yesil", "siyah"]),
    ("ev-mutfak", "moda-ev", "kdv-20", "Bakır Cezve", "Copper coffee pot", 449, "boyut", ["standart"], ["kahve"]),
    ("ev-mutfak", "moda-ev", "kdv-20", "Zeytin Ağacı Kesme Tahtası", "Olive-wood chopping board", 399, "boyut", ["standart"], ["kahve"]),
    ("kadin-elbise", "lina", "kdv-10", "Gömlek Elbise", "Shirt dress", 1099, "beden", S_TO_XL, ["lacivert", "bej", "yesil"]),
    ("erkek-tisort", "kuzey", "kdv-10", "Merinos Yün İçlik", "Merino base layer", 899, "beden", S_TO_XL, ["siyah", "gri"]),
]  # fmt: skip


def barcode_for(number: int) -> str:
    """A valid EAN-13 in Türkiye's GS1 range (869...)."""
    first12 = f"869{number:09d}"
    return first12 + str(ean13_check_digit(first12))


def _ninety_nine(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1)) - Decimal("0.01")


def seed_reference() -> dict:
    """Tax classes, brands, attributes and categories."""
    tax = {}
    for code, tr, en, rate in TAX_CLASSES:
        tax[code], _c = TaxClass.objects.get_or_create(
            code=code, defaults={"name_tr": tr, "name_en": en, "rate": Decimal(rate)}
        )
    brands = {
        slug: Brand.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in BRANDS.items()
    }
    colour, _c = Attribute.objects.get_or_create(
        code="renk", defaults={"name_tr": "Renk", "name_en": "Colour", "sort_order": 1}
    )
    values: dict[tuple[str, str], AttributeValue] = {}
    for order, (slug, (tr, en, swatch)) in enumerate(COLOURS.items()):
        values["renk", slug], _c = AttributeValue.objects.get_or_create(
            attribute=colour,
            slug=slug,
            defaults={"name_tr": tr, "name_en": en, "swatch": swatch, "sort_order": order},
        )
    for position, (code, (tr, en, options)) in enumerate(SIZES.items(), start=2):
        attribute, _c = Attribute.objects.get_or_create(
            code=code, defaults={"name_tr": tr, "name_en": en, "sort_order": position}
        )
        for order, (slug, label) in enumerate(options):
            values[code, slug], _c = AttributeValue.objects.get_or_create(
                attribute=attribute,
                slug=slug,
                defaults={
                    "name_tr": label,
                    "name_en": label.replace("Kişilik", "person")
                    .replace("Tek", "Single")
                    .replace("Çift", "Double"),
                    "sort_order": order,
                },
            )
    categories = {}
    for (slug, tr, en), children in CATEGORIES.items():
        root = Category.objects.filter(slug=slug).first() or Category.objects.add_root(
            {"slug": slug, "name_tr": tr, "name_en": en}
        )
        categories[slug] = root
        for child_slug, child_tr, child_en in children:
            categories[child_slug] = Category.objects.filter(
                slug=child_slug
            ).first() or Category.objects.add_child(
                root, {"slug": child_slug, "name_tr": child_tr, "name_en": child_en}
            )
            root.refresh_from_db()
    return {"tax": tax, "brands": brands, "values": values, "categories": categories}


def seed(channels: dict[str, Channel], *, images: bool = True) -> dict[str, int]:
    """The hand-written demo catalog: 56 products, about 300 variants, priced on every channel."""
    ref = seed_reference()
    now = timezone.now()
    created = 0
    for number, spec in enumerate(PRODUCTS, start=1):
        category, brand, tax, name_tr, name_en, base, size_attr, sizes, colours = spec
        slug = slugify_tr(name_tr)
        if Product.objects.filter(slug=slug).exists():
            continue
        with transaction.atomic():
            product = services.product_create(
                name_tr=name_tr,
                name_en=name_en,
                slug=slug,
                description_tr=description(name_tr, language="tr", sizes=sizes),
                description_en=description(name_tr, language="en", sizes=sizes),
                brand=ref["brands"][brand],
                category=ref["categories"][category],
                tax_class=ref["tax"][tax],
            )
            variant_ids = []
            for index, (colour, size) in enumerate(itertools.product(colours, sizes)):
                variant = services.variant_create(
                    product=product,
                    sku=f"ME-{number:03d}-{colour[:3].upper()}-{size.upper()}",
                    barcode=barcode_for(number * 1000 + index),
                    attribute_values=[
                        ref["values"]["renk", colour],
                        ref["values"][size_attr, size],
                    ],
                    weight_grams=300 if size_attr == "beden" else 900,
                    sort_order=index,
                )
                variant_ids.append(variant.pk)
            on_sale = number % 4 == 0
            price = _ninety_nine(Decimal(base))
            for code, channel in channels.items():
                channel_price = (
                    _ninety_nine(price * Decimal("1.10")) if code == "trendyol" else price
                )
                services.prices_set(
                    channel=channel,
                    now=now - timedelta(days=60),
                    changes=[services.PriceChange(vid, channel_price) for vid in variant_ids],
                )
                if on_sale and code != "trendyol":
                    sale = _ninety_nine(channel_price * Decimal("0.8"))
                    services.prices_set(
                        channel=channel,
                        now=now - timedelta(days=7),
                        changes=[
                            services.PriceChange(vid, sale, channel_price) for vid in variant_ids
                        ],
                    )
                publish = not (code == "trendyol" and category == "ev-dekorasyon")
                services.product_listing_set(product=product, channel=channel, is_published=publish)
            if images:
                drawing = drawing_for(category=category, name_en=name_en)
                for position, colour in enumerate(colours):
                    ProductImage.objects.create(
                        product=product,
                        sort_order=position,
                        alt_tr=f"{name_tr} - {COLOURS[colour][0]}",
                        alt_en=f"{name_en} - {COLOURS[colour][1]}",
                        image=_image_file(drawing, name_tr, slug, colour),
                    )
        created += 1
    return {
        "products_created": created,
        "products": Product.objects.count(),
        "variants": ProductVariant.objects.count(),
    }


def _image_file(drawing: str, name: str, slug: str, colour: str) -> ContentFile:
    """The product's picture in one colour, an SVG (catalog.demo_drawings)."""
    tr, _en, hex_colour = COLOURS[colour]
    svg = product_svg(drawing=drawing, colour=hex_colour, name=name, colour_name=tr)
    return ContentFile(svg, name=f"{slug}-{colour}.svg")


@dataclass
class _BulkCatalog:
    """What every batch of the generated catalog shares: the reference rows it points to, the
    eight colour and size combinations of a product, and the prices' random source."""

    channels: dict[str, Channel]
    leaves: list[Category]
    brands: list[Brand]
    tax_class: TaxClass
    combos: list[tuple[AttributeValue, AttributeValue]]
    keys: list[str]  # each combination's attribute key
    rng: random.Random
    now: datetime


def seed_bulk(channels: dict[str, Channel], *, variants: int, batch: int = 4000) -> dict[str, int]:
    """A large generated catalog for benchmarks: `variants` variants in all, 8 a product, priced
    and published on every channel. Rows are bulk-inserted without outbox events (no channel
    needs to be told of a benchmark catalog). Runs again from where it stopped."""
    ref = seed_reference()
    combos = list(
        itertools.product(
            [ref["values"]["renk", c] for c in ("siyah", "beyaz", "lacivert", "bej")],
            [ref["values"]["beden", s] for s in ("s", "m")],
        )
    )
    keys = [services.attribute_key(combo) for combo in combos]
    existing = ProductVariant.objects.filter(sku__startswith="BENCH-").count()
    wanted = -(-max(variants - existing, 0) // len(combos))
    first = Product.objects.filter(slug__startswith="bench-").count()
    per_batch = max(batch // len(combos), 1)
    catalog = _BulkCatalog(
        channels=channels,
        leaves=[c for c in ref["categories"].values() if c.depth > 1],
        brands=list(ref["brands"].values()),
        tax_class=ref["tax"]["kdv-10"],
        combos=combos,
        keys=keys,
        rng=random.Random(first),  # noqa: S311 (prices for a benchmark, not a secret)
        now=timezone.now(),
    )
    made = 0
    for start in range(first, first + wanted, per_batch):
        made += _bulk_batch(catalog, range(start, min(start + per_batch, first + wanted)))
    if made:
        statistics_refresh()
    return {
        "variants_created": made,
        "variants": ProductVariant.objects.filter(sku__startswith="BENCH-").count(),
    }


def _bulk_batch(catalog: _BulkCatalog, numbers: range) -> int:
    """One batch of generated products, in one transaction: the products, their variants,
    prices and listings. Returns how many variants it made."""
    with transaction.atomic():
        products = Product.objects.bulk_create(
            Product(
                name_tr=f"Ürün {n:06d}",
                name_en=f"Product {n:06d}",
                slug=f"bench-{n:06d}",
                description_tr="Benchmark ürünü.",
                description_en="Benchmark product.",
                category=catalog.leaves[n % len(catalog.leaves)],
                brand=catalog.brands[n % len(catalog.brands)],
                tax_class=catalog.tax_class,
            )
            for n in numbers
        )
        base = {p.pk: _ninety_nine(Decimal(catalog.rng.randint(100, 3000))) for p in products}
        rows = _bulk_variants(catalog, products, numbers)
        _bulk_prices(catalog, rows, base)
        ProductChannelListing.objects.bulk_create(
            ProductChannelListing(
                product=product,
                channel=channel,
                is_published=True,
                price_min=base[product.pk],
                price_max=base[product.pk],
                currency=channel.currency,
            )
            for product in products
            for channel in catalog.channels.values()
        )
    return len(rows)


def _bulk_variants(
    catalog: _BulkCatalog, products: list[Product], numbers: range
) -> list[ProductVariant]:
    """Each product's eight variants, with their attribute values."""
    rows = ProductVariant.objects.bulk_create(
        ProductVariant(
            product=product,
            sku=f"BENCH-{n:06d}-{i}",
            sort_order=i,
            barcode=barcode_for(500_000_000 + n * 10 + i),
            attribute_key=catalog.keys[i],
        )
        for product, n in zip(products, numbers, strict=True)
        for i in range(len(catalog.combos))
    )
    through = ProductVariant.attribute_values.through
    through.objects.bulk_create(
        through(productvariant_id=variant.pk, attributevalue_id=value.pk)
        for variant, combo in zip(rows, itertools.cycle(catalog.combos), strict=False)
        for value in combo
    )
    return rows


def _bulk_prices(
    catalog: _BulkCatalog, rows: list[ProductVariant], base: dict[int, Decimal]
) -> None:
    """Every variant's price on every channel (its product's base price), and its history."""
    history = VariantPriceHistory.objects.bulk_create(
        VariantPriceHistory(
            variant=variant,
            channel=channel,
            price=base[variant.product_id],
            currency=channel.currency,
            started_at=catalog.now,
        )
        for variant in rows
        for channel in catalog.channels.values()
    )
    VariantChannelPrice.objects.bulk_create(
        VariantChannelPrice(
            variant_id=h.variant_id,
            channel_id=h.channel_id,
            price=h.price,
            currency=h.currency,
            price_since=catalog.now,
            version=h.pk,
        )
        for h in history
    )


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the catalog, and the benchmark catalog once every other
    app's demo is in (--variants)."""
    channels = run.made["channels"]
    catalog = seed(channels, images=run.images)
    run.write(
        f"Catalog: {catalog['products']} products, {catalog['variants']} variants "
        f"({catalog['products_created']} products new) on {len(channels)} channels."
    )
    if run.variants:

        def bulk() -> None:
            made = seed_bulk(channels, variants=run.variants)
            run.write(
                f"Benchmark catalog: {made['variants']} variants ({made['variants_created']} new)."
            )

        run.later(bulk)
