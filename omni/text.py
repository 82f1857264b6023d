from django.utils.text import slugify

# Unicode decomposition turns ç, ğ, ö, ş, ü and İ into ASCII letters, but the dotless ı has no
# decomposition and would vanish ("Kırmızı" -> "krmz").
_TURKISH = str.maketrans({"ı": "i", "İ": "i"})


def slugify_tr(value: str) -> str:
    return slugify((value or "").translate(_TURKISH))
