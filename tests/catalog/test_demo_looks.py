"""The demo catalog looks like a real shop's: every product has a drawing of what it is, in its
colour, with its Turkish name as real text, and a description with material, care and a size
guide in Turkish and English. Feeds never offer Google an SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile

from catalog import demo
from catalog.demo_descriptions import description
from catalog.demo_drawings import CATEGORY_DRAWINGS, DRAWINGS, drawing_for, product_svg
from catalog.descriptions import description_blocks
from catalog.models import Product, ProductImage
from tests.factories import ChannelFactory, product

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def test_every_demo_category_and_product_has_a_drawing_of_its_own_kind():
    leaves = {slug for children in demo.CATEGORIES.values() for slug, _tr, _en in children}
    assert set(CATEGORY_DRAWINGS) == leaves
    chosen = {spec[4]: drawing_for(category=spec[0], name_en=spec[4]) for spec in demo.PRODUCTS}
    assert set(chosen.values()) <= set(DRAWINGS)
    assert chosen["Linen midi dress"] == "dress"
    assert chosen["Waterproof boots"] == "boot"
    assert chosen["Ceramic vase"] == "vase"
    assert chosen["Cotton bath towel"] == "towel"
    assert chosen["Technical outdoor T-shirt"] == "tshirt"


@pytest.mark.parametrize("drawing", sorted(DRAWINGS))
def test_each_drawing_is_valid_svg_with_the_turkish_name_as_text(drawing):
    svg = product_svg(
        drawing=drawing,
        colour="#b3261e",
        name="Çiçekli Şık Gömlek & İğne <ı>",
        colour_name="Kırmızı",
    )

    root = parse(svg)

    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 600 600"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Çiçekli Şık Gömlek & İğne <ı>", "Kırmızı"]
    assert root.find(f"{SVG}title").text == "Çiçekli Şık Gömlek & İğne <ı> - Kırmızı"
    fills = {e.get("fill") for e in root.iter() if e.get("fill")} | {
        e.get("stroke") for e in root.iter() if e.get("stroke")
    }
    assert "#b3261e" in fills  # the variant's colour


def test_a_long_name_gets_a_smaller_font_so_nothing_is_cut_off():
    short, long = (
        parse(product_svg(drawing="pot", colour="#111111", name=name, colour_name="Siyah"))
        .find(f"{SVG}text")
        .get("font-size")
        for name in ("Bornoz", "Zeytin Ağacı Kesme Tahtası Büyük Boy")
    )
    assert int(short) == 34
    assert int(long) * 0.62 * len("Zeytin Ağacı Kesme Tahtası Büyük Boy") <= 520


def test_every_demo_product_has_a_description_in_turkish_and_english():
    for spec in demo.PRODUCTS:
        category, name_tr, size_attr, sizes = spec[0], spec[3], spec[6], spec[7]
        turkish = description(name_tr, language="tr", sizes=sizes)
        english = description(name_tr, language="en", sizes=sizes)
        tr_blocks, en_blocks = description_blocks(turkish), description_blocks(english)

        assert turkish != english
        assert [b.kind for b in tr_blocks] == [b.kind for b in en_blocks]
        assert tr_blocks[0].kind == "paragraph" and len(tr_blocks[0].lines[0]) > 40
        assert [label for label, _v in tr_blocks[1].details][:2] == ["Malzeme", "Bakım"]
        assert [label for label, _v in en_blocks[1].details][:2] == ["Material", "Care"]
        if size_attr in ("beden", "numara"):  # clothing and shoes: a size table, one row a size
            assert tr_blocks[-1].kind == "table", name_tr
            assert len(tr_blocks[-1].rows) == len(en_blocks[-1].rows) == len(sizes)
        if category.startswith(("kadin", "erkek")):
            assert tr_blocks[-1].caption in ("Beden tablosu (cm)", "Numara tablosu")


def test_a_description_is_read_into_paragraphs_details_and_a_table():
    text = (
        "Yazlık bir elbise.\nİkinci satır.\n\nMalzeme: %100 keten\nBakım: 30 °C\n\n"
        "Beden tablosu (cm)\nBeden | Göğüs\nS | 84-88\nM | 88-92 | fazla\n\n"
        "Gardırobun temeli: bir tişört.\n\nhttps://ornek.test"
    )

    blocks = description_blocks(text)

    assert [b.kind for b in blocks] == ["paragraph", "details", "table", "paragraph", "paragraph"]
    assert blocks[0].lines == ["Yazlık bir elbise.", "İkinci satır."]
    assert blocks[1].details == [("Malzeme", "%100 keten"), ("Bakım", "30 °C")]
    assert blocks[2].caption == "Beden tablosu (cm)" and blocks[2].header == ["Beden", "Göğüs"]
    assert blocks[2].rows == [["S", "84-88"], ["M", "88-92"]]  # cut to the header's width
    assert description_blocks("") == []


@pytest.mark.django_db
def test_seeding_with_images_draws_one_svg_per_colour(monkeypatch):
    monkeypatch.setattr(demo, "PRODUCTS", [demo.PRODUCTS[0], demo.PRODUCTS[40]])
    web = ChannelFactory(code="web")

    demo.seed({"web": web}, images=True)

    dress = Product.objects.get(slug="keten-midi-elbise")
    assert dress.description_tr.startswith("Yazın ilk sıcak günlerinden")
    assert "Size guide (cm)\nSize | EU | Bust | Waist | Hips\nS | 36" in dress.description_en
    images = list(dress.images.all())
    assert [(i.alt_tr, i.alt_en) for i in images] == [
        ("Keten Midi Elbise - Bej", "Linen midi dress - Beige"),
        ("Keten Midi Elbise - Yeşil", "Linen midi dress - Green"),
    ]
    assert images[1].image.name.endswith("keten-midi-elbise-yesil.svg")
    with images[1].image.open("rb") as file:
        root = parse(file.read())
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Keten Midi Elbise", "Yeşil"]
    assert 'fill="#2e6b3f"' in ET.tostring(root, encoding="unicode")
    towel = Product.objects.get(slug="pestemal-plaj-havlusu")
    assert towel.images.count() == 3


@pytest.mark.django_db
def test_the_google_feed_links_the_first_raster_image_and_never_an_svg(client):
    web = ChannelFactory(code="web")
    drawn = product(channels=[web], name="Çizim")
    both = product(channels=[web], name="İkisi")
    ProductImage.objects.create(product=drawn, image=ContentFile(b"<svg/>", name="a.svg"))
    ProductImage.objects.create(product=both, image=ContentFile(b"<svg/>", name="b.svg"))
    ProductImage.objects.create(
        product=both, sort_order=1, image=ContentFile(b"\x89PNG", name="b.png")
    )

    body = b"".join(client.get("/feeds/web/google.xml").streaming_content).decode()
    root = ET.fromstring(body)  # noqa: S314 (our own output)
    links = {
        item.findtext("{http://base.google.com/ns/1.0}title"): item.findtext(
            "{http://base.google.com/ns/1.0}image_link"
        )
        for item in root.iter("item")
    }

    assert links["Çizim"] is None
    assert links["İkisi"].startswith("http://testserver/media/products/")
    assert links["İkisi"].endswith(".png")


def test_the_admin_accepts_no_svg_upload_so_only_our_own_drawings_are_served():
    from django import forms
    from django.core.files.uploadedfile import SimpleUploadedFile

    field = ProductImage._meta.get_field("image").formfield()
    svg = product_svg(drawing="vase", colour="#f7f7f5", name="Vazo", colour_name="Beyaz")

    with pytest.raises(forms.ValidationError):
        field.clean(SimpleUploadedFile("vazo.svg", svg, "image/svg+xml"))
